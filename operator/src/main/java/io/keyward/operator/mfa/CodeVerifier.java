package io.keyward.operator.mfa;

import io.fabric8.kubernetes.api.model.HasMetadata;
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

  private final UserStatusUpdater updater;
  private final Totp totp;
  private final Clock clock;
  private final SeedSeal seal;
  private final KeywardMetrics metrics;

  public CodeVerifier(
      UserStatusUpdater updater, Totp totp, Clock clock, SeedSeal seal, KeywardMetrics metrics) {
    this.updater = updater;
    this.totp = totp;
    this.clock = clock;
    this.seal = seal;
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
   * @param decision empty when the user has no confirmed TOTP secret to check against
   * @param user the user as last written
   */
  public record Attempt(Optional<TotpGuard.Decision> decision, ApiUser user) {
    public boolean accepted() {
      return decision.map(d -> d.outcome() == TotpGuard.Outcome.ACCEPTED).orElse(false);
    }
  }

  /**
   * The time steps whose code equals {@code code} under the user's sealed TOTP secret ({@code
   * status.mfa.sealedSeed}, which only the operator writes); empty when none is sealed or it does
   * not open for this user with the sealing key. No Secret is read. Decides nothing.
   */
  public Optional<List<Long>> matchingSteps(
      ApiUser user, ApiUserStatus.MfaStatus mfa, String code) {
    if (mfa == null || mfa.sealedSeed == null) {
      return Optional.empty();
    }
    return seal.tryOpen(mfa.sealedSeed, user.getMetadata().getName(), user.getMetadata().getUid())
        .map(seed -> totp.matchingSteps(seed, code, clock.instant()));
  }

  /** Counts a refused code in the metrics. */
  public void refused(String user, TotpGuard.Decision d) {
    if (d.outcome() != TotpGuard.Outcome.ACCEPTED) {
      metrics.totpFailure(user, d.reason());
    }
  }

  /**
   * Checks {@code code} for the user and records the attempt. The code is matched against the
   * sealed secret of the status each attempt of the compare and swap decides on, so a reset that
   * lands in between is never bypassed by a decision on the secret before it.
   *
   * @param confirmEnrolment an accepted code also confirms the user's enrolment; without it, a
   *     secret whose enrolment is not confirmed checks nothing
   */
  public Attempt verify(ApiUser cached, String code, boolean confirmEnrolment) {
    String userName = cached.getMetadata().getName();
    String uid = cached.getMetadata().getUid();
    Instant now = clock.instant();
    UserStatusUpdater.Updated<TotpGuard.Decision> updated =
        updater.update(
            cached,
            userName,
            (user, status) -> {
              if (!uid.equals(user.getMetadata().getUid())
                  || status.mfa == null
                  || (!confirmEnrolment && !Boolean.TRUE.equals(status.mfa.confirmed))) {
                return UserStatusUpdater.Step.keep(null);
              }
              Optional<List<Long>> matching = matchingSteps(user, status.mfa, code);
              if (matching.isEmpty()) {
                return UserStatusUpdater.Step.keep(null);
              }
              TotpGuard.State state = state(status.mfa);
              TotpGuard.Decision d = TotpGuard.decide(state, matching.get(), now);
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
    if (d == null) {
      return new Attempt(Optional.empty(), updated.user());
    }
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
