package io.keyward.operator.kube;

import io.keyward.operator.api.Condition;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Sets Kubernetes-style conditions, keeping lastTransitionTime while the status is unchanged. */
public final class Conditions {
  public static final String READY = "Ready";
  public static final String VERIFIED = "Verified";
  public static final String QUOTA_AVAILABLE = "QuotaAvailable";
  public static final String SECRET_PRESENT = "SecretPresent";

  private Conditions() {}

  /** Sets (adds or updates) one condition. */
  public static void set(
      List<Condition> conditions,
      String type,
      boolean status,
      String reason,
      String message,
      Long generation,
      Instant now) {
    String s = status ? "True" : "False";
    Optional<Condition> existing = find(conditions, type);
    Condition c =
        existing.orElseGet(
            () -> {
              Condition fresh = new Condition();
              fresh.type = type;
              conditions.add(fresh);
              return fresh;
            });
    if (!s.equals(c.status) || c.lastTransitionTime == null) {
      c.lastTransitionTime = now.toString();
    }
    c.status = s;
    c.reason = reason;
    c.message = message;
    c.observedGeneration = generation;
  }

  /** Removes a condition that no longer applies. */
  public static void remove(List<Condition> conditions, String type) {
    conditions.removeIf(c -> type.equals(c.type));
  }

  /** The condition of a type, if set. */
  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions.stream().filter(c -> type.equals(c.type)).findFirst();
  }
}
