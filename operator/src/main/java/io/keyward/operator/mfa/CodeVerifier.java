package io.keyward.operator.mfa;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.kube.StatusWriter;
import io.keyward.operator.kube.UserStatusUpdater;
import io.keyward.operator.metrics.KeywardMetrics;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a TOTP code for a user and records the attempt in the user's status by compare and swap:
 * the accepted time step (so the code cannot be used again, by this replica or another) and the
 * failures (for the lock). Codes are never logged, stored or put into a message.
 */
public final class CodeVerifier {
  /** The annotation a code arrives in, on an ApiUser (enrolment) or an ApiKey (a key). */
  public static final String ANNOTATION = "keyward.io/totp-code";

  private final KubernetesClient client;
  private final UserStatusUpdater updater;
  private final Totp totp;
  private final Clock clock;
  private final String namespace;
  private final KeywardMetrics metrics;

  public CodeVerifier(
      KubernetesClient client,
      UserStatusUpdater updater,
      Totp totp,
      Clock clock,
      String operatorNamespace,
      KeywardMetrics metrics) {
    this.client = client;
    this.updater = updater;
    this.totp = totp;
    this.clock = clock;
    this.namespace = operatorNamespace;
    this.metrics = metrics;
  }

  /** A resource with its code annotation taken off, and the code (trimmed; "" if blank). */
  public record Taken<R>(R resource, String code) {}

  /**
   * Takes the code annotation off {@code resource} by an update that carries its resourceVersion:
   * of two replicas only one gets the code, and a crash from here on loses the attempt instead of
   * repeating it. The code then lives in memory only. A 409 is thrown on to the caller.
   *
   * @return null when the resource carries no code
   */
  public static <R extends HasMetadata> Taken<R> take(KubernetesClient client, R resource) {
    Map<String, String> annotations = resource.getMetadata().getAnnotations();
    if (annotations == null || !annotations.containsKey(ANNOTATION)) {
      return null;
    }
    R copy = StatusWriter.deepCopy(resource);
    String code = copy.getMetadata().getAnnotations().remove(ANNOTATION);
    R written = client.resource(copy).update();
    return new Taken<>(written, code == null ? "" : code.trim());
  }

  /**
   * The result of an attempt.
   *
   * @param decision empty when the user has no enrolment Secret to check against
   * @param user the user as last written
   */
  public record Attempt(Optional<TotpGuard.Decision> decision, ApiUser user) {
    public boolean accepted() {
      return decision.map(d -> d.outcome() == TotpGuard.Outcome.ACCEPTED).orElse(false);
    }
  }

  /**
   * The time steps whose code equals {@code code} for the user's enrolment Secret; empty when the
   * user has no enrolment Secret of Keyward's to check against. Reads, decides nothing.
   */
  public Optional<List<Long>> matchingSteps(ApiUser user, String code) {
    Secret secret =
        client
            .secrets()
            .inNamespace(namespace)
            .withName(EnrolmentSecret.name(user.getMetadata().getName()))
            .get();
    Optional<String> totpSecret =
        secret != null && EnrolmentSecret.belongsTo(secret, user)
            ? EnrolmentSecret.totpSecret(secret)
            : Optional.empty();
    return totpSecret.map(s -> totp.matchingSteps(s, code, clock.instant()));
  }

  /** Counts a refused code in the metrics. */
  public void refused(String user, TotpGuard.Decision d) {
    if (d.outcome() != TotpGuard.Outcome.ACCEPTED) {
      metrics.totpFailure(user, d.reason());
    }
  }

  /**
   * Checks {@code code} for the user and records the attempt.
   *
   * @param confirmEnrolment an accepted code also confirms the user's enrolment
   */
  public Attempt verify(ApiUser cached, String code, boolean confirmEnrolment) {
    String userName = cached.getMetadata().getName();
    Optional<List<Long>> matching = matchingSteps(cached, code);
    if (matching.isEmpty()) {
      return new Attempt(Optional.empty(), cached);
    }
    Instant now = clock.instant();
    List<Long> steps = matching.get();
    UserStatusUpdater.Updated<TotpGuard.Decision> updated =
        updater.update(
            cached,
            userName,
            (user, status) -> {
              if (status.mfa == null) {
                status.mfa = new ApiUserStatus.MfaStatus();
              }
              TotpGuard.State state = state(status.mfa);
              TotpGuard.Decision d = TotpGuard.decide(state, steps, now);
              if (d.next().equals(state) && !(confirmEnrolment && d.step() != null)) {
                return UserStatusUpdater.Step.keep(d);
              }
              store(status.mfa, d.next());
              if (confirmEnrolment && d.outcome() == TotpGuard.Outcome.ACCEPTED) {
                status.mfa.confirmed = true;
              }
              return UserStatusUpdater.Step.write(d);
            });
    TotpGuard.Decision d = updated.result();
    refused(userName, d);
    return new Attempt(Optional.of(d), updated.user());
  }

  /** A user's verification state from its status. */
  public static TotpGuard.State state(ApiUserStatus.MfaStatus mfa) {
    if (mfa == null) {
      return TotpGuard.State.EMPTY;
    }
    return new TotpGuard.State(
        mfa.lastUsedStep,
        mfa.failures == null ? List.of() : mfa.failures.stream().map(Instant::parse).toList(),
        mfa.lockedUntil == null ? null : Instant.parse(mfa.lockedUntil));
  }

  public static void store(ApiUserStatus.MfaStatus mfa, TotpGuard.State state) {
    mfa.lastUsedStep = state.lastUsedStep();
    mfa.failures =
        state.failures().isEmpty()
            ? null
            : new ArrayList<>(state.failures().stream().map(Instant::toString).toList());
    mfa.lockedUntil = state.lockedUntil() == null ? null : state.lockedUntil().toString();
  }
}
