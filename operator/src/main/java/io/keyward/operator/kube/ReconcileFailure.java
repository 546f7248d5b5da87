package io.keyward.operator.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.keyward.operator.api.Condition;
import io.keyward.operator.issuance.IssuanceException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A failure that ended a reconciliation, as a condition reason a user can act on and a message that
 * names what failed. The message never carries the API server's own text for a write (it could
 * quote what was sent), nor anything of a secret.
 *
 * @param reason the condition and event reason
 * @param message what failed and what to do
 * @param passing the failure is one a retry usually gets past (a conflict, an unreachable server):
 *     worth a condition only once retries keep failing
 */
public record ReconcileFailure(String reason, String message, boolean passing) {

  /** Retries after which a passing failure is reported all the same. */
  public static final int REPORT_AFTER = 3;

  /** Whether to report it now, on the given attempt (JOSDK counts from 1; 0 when unknown). */
  public boolean reportAt(int attempt, boolean last) {
    return !passing || last || attempt >= REPORT_AFTER;
  }

  /**
   * The failure an exception that ended a reconciliation is to be reported as, or empty while a
   * passing one may still be got past by JOSDK's retry.
   */
  public static Optional<ReconcileFailure> toReport(Exception e, Optional<RetryInfo> retry) {
    ReconcileFailure failure = of(e);
    return failure.reportAt(
            retry.map(RetryInfo::getAttemptCount).orElse(0),
            retry.map(RetryInfo::isLastAttempt).orElse(false))
        ? Optional.of(failure)
        : Optional.empty();
  }

  /**
   * Records the failure on {@code conditions} (the Ready condition of a copy of the resource's
   * status), writes that status with {@code write} (a failure to write is left to the retry), and
   * sends an event when the reason or message is new.
   */
  public void record(
      HasMetadata resource,
      List<Condition> conditions,
      Instant now,
      Runnable write,
      EventRecorder events) {
    Optional<Condition> before = Conditions.find(conditions, Conditions.READY);
    Conditions.set(
        conditions,
        Conditions.READY,
        false,
        reason,
        message,
        resource.getMetadata().getGeneration(),
        now);
    try {
      write.run();
    } catch (RuntimeException e) {
      // A newer version exists, or the server is unreachable: the retry decides again.
    }
    if (before.isEmpty()
        || !reason.equals(before.get().reason)
        || !message.equals(before.get().message)) {
      events.warning(resource, reason, message);
    }
  }

  /** The failure for an exception a reconciliation ended with. */
  public static ReconcileFailure of(Exception e) {
    Throwable cause = e;
    // JOSDK wraps what the reconciler threw.
    while (!(cause instanceof IssuanceException
            || cause instanceof KubernetesClientException
            || cause instanceof Stale)
        && cause.getCause() != null
        && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    if (cause instanceof IssuanceException i) {
      return new ReconcileFailure(
          i.code() == 422 ? "SecretRejected" : "IssuanceFailed", i.getMessage(), false);
    }
    if (cause instanceof Stale) {
      return new ReconcileFailure(
          "Conflict",
          "the resource kept changing while the operator wrote it; it tries again",
          true);
    }
    if (cause instanceof KubernetesClientException k) {
      String reason =
          switch (k.getCode()) {
            case 401, 403 -> "Forbidden";
            case 409 -> "Conflict";
            case -1, 0, 429, 500, 502, 503, 504 -> "ApiServerUnavailable";
            default -> "ApiError";
          };
      String what =
          switch (reason) {
            case "Forbidden" -> "the operator's identity may not do this; check its RBAC";
            case "Conflict" ->
                "the resource kept changing while the operator wrote it; it tries again";
            case "ApiServerUnavailable" ->
                "the API server did not answer; the operator tries again";
            default -> "the operator tries again";
          };
      return new ReconcileFailure(
          reason,
          "a request to the API server failed: "
              + (k.getCode() <= 0 ? "no answer" : "HTTP " + k.getCode())
              + "; "
              + what,
          reason.equals("Conflict") || reason.equals("ApiServerUnavailable"));
    }
    return new ReconcileFailure(
        "ReconcileError",
        "the reconciliation failed ("
            + cause.getClass().getSimpleName()
            + "); the operator tries again; its log has the details",
        false);
  }
}
