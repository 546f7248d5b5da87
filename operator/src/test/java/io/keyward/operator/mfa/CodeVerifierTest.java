package io.keyward.operator.mfa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyward.operator.MockApiServer;
import io.keyward.operator.MutableClock;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.kube.StatusWriter;
import io.keyward.operator.kube.UserStatusUpdater;
import io.keyward.operator.metrics.KeywardMetrics;
import io.keyward.operator.mfa.TotpGuard.Outcome;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Codes against a mock API server whose status writes are compare and swap: taken off their
 * resource once, checked against the user's sealed TOTP secret (never a Secret), and recorded so a
 * code works once and failures lock. Time is a {@link MutableClock}; codes are computed with {@link
 * Totp}.
 */
class CodeVerifierTest {
  static final String NS = "keyward-system";
  static MockApiServer api;
  static KubernetesClient client;
  static final Totp TOTP = new Totp();
  static final SeedSeal SEAL = SeedSeal.withKey(SeedSeal.newKey());

  MutableClock clock;
  KeywardMetrics metrics;
  CodeVerifier verifier;

  @BeforeAll
  static void start() {
    api = new MockApiServer();
    client = api.client();
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  @BeforeEach
  void verifier() {
    // Mid-step, so the steps either side are whole steps away.
    clock = new MutableClock(Instant.parse("2026-12-01T10:00:15Z"));
    metrics = new KeywardMetrics();
    verifier =
        new CodeVerifier(
            new UserStatusUpdater(client, new StatusWriter(client)), TOTP, clock, SEAL, metrics);
  }

  // --- take ---

  @Test
  void takeRemovesTheAnnotationAndReturnsTheTrimmedCode() {
    ApiKey key = key("take", Map.of(CodeVerifier.ANNOTATION, " 123456\n", "team", "eth"));

    CodeVerifier.Taken<ApiKey> taken = CodeVerifier.take(client, key);

    assertThat(taken.code()).isEqualTo("123456");
    assertThat(taken.resource().getMetadata().getAnnotations())
        .doesNotContainKey(CodeVerifier.ANNOTATION);
    assertThat(taken.resource().getMetadata().getResourceVersion())
        .isNotEqualTo(key.getMetadata().getResourceVersion());
    ApiKey stored = client.resources(ApiKey.class).inNamespace("ns").withName("take").get();
    assertThat(stored.getMetadata().getAnnotations())
        .doesNotContainKey(CodeVerifier.ANNOTATION)
        .containsEntry("team", "eth");
    // The given resource (a cached instance) is not changed.
    assertThat(key.getMetadata().getAnnotations()).containsKey(CodeVerifier.ANNOTATION);
  }

  @Test
  void takeFromAUserWorksTheSameAndABlankCodeIsEmpty() {
    ApiUser user = user("take-user", Map.of(CodeVerifier.ANNOTATION, "  "));
    CodeVerifier.Taken<ApiUser> taken = CodeVerifier.take(client, user);
    assertThat(taken.code()).isEmpty();
    assertThat(client.resources(ApiUser.class).withName("take-user").get().getMetadata())
        .satisfies(m -> assertThat(m.getAnnotations()).doesNotContainKey(CodeVerifier.ANNOTATION));
  }

  @Test
  void takeWithoutACodeWritesNothing() {
    ApiKey key = key("no-code", Map.of("team", "eth"));
    int writes = api.writes().size();
    assertThat(CodeVerifier.take(client, key)).isNull();
    assertThat(api.writes()).hasSize(writes);
  }

  @Test
  void takeOnAStaleResourceThrowsTheConflictAndLeavesTheCode() {
    ApiKey stale = key("take-stale", Map.of(CodeVerifier.ANNOTATION, "123456"));
    // Another replica takes the code first.
    CodeVerifier.take(
        client, client.resources(ApiKey.class).inNamespace("ns").withName("take-stale").get());
    ApiKey afterFirst =
        client.resources(ApiKey.class).inNamespace("ns").withName("take-stale").get();

    assertThatThrownBy(() -> CodeVerifier.take(client, stale))
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
    assertThat(
            client
                .resources(ApiKey.class)
                .inNamespace("ns")
                .withName("take-stale")
                .get()
                .getMetadata()
                .getResourceVersion())
        .isEqualTo(afterFirst.getMetadata().getResourceVersion());
  }

  // --- verify ---

  @Test
  void aRightCodeIsAcceptedOnceAndItsReplayRefused() {
    ApiUser user = enrolledUser("once");
    String code = code("once", 0);

    CodeVerifier.Attempt first = verifier.verify(user, code, false);

    assertThat(first.accepted()).isTrue();
    assertThat(first.decision().orElseThrow().step()).isEqualTo(step(0));
    ApiUserStatus.MfaStatus mfa = mfa("once");
    assertThat(mfa.lastUsedStep).isEqualTo(step(0));
    assertThat(first.user().getMetadata().getResourceVersion())
        .isEqualTo(read("once").getMetadata().getResourceVersion());

    CodeVerifier.Attempt replay = verifier.verify(first.user(), code, false);

    assertThat(replay.accepted()).isFalse();
    assertThat(replay.decision().orElseThrow().outcome()).isEqualTo(Outcome.REPLAYED);
    assertThat(replay.decision().orElseThrow().reason()).isEqualTo("CodeReplayed");
    assertThat(mfa("once").failures).hasSize(1);
    assertThat(failures("once", "CodeReplayed")).isEqualTo(1.0);
  }

  @Test
  void aReplicaThatReadTheUserBeforeTheCodeWasUsedCannotAcceptItAgain() {
    ApiUser readEarly = enrolledUser("replica");
    String code = code("replica", 0);
    assertThat(verifier.verify(read("replica"), code, false).accepted()).isTrue();

    // The same code, decided on a stale read: the write conflicts and it is decided again.
    CodeVerifier.Attempt second = verifier.verify(readEarly, code, false);

    assertThat(second.decision().orElseThrow().outcome()).isEqualTo(Outcome.REPLAYED);
    assertThat(mfa("replica").lastUsedStep).isEqualTo(step(0));
  }

  @Test
  void theNextStepsCodeIsAcceptedAfterOne() {
    ApiUser user = enrolledUser("next-step");
    assertThat(verifier.verify(user, code("next-step", 0), false).accepted()).isTrue();
    clock.advance(Totp.STEP);
    assertThat(verifier.verify(read("next-step"), code("next-step", 0), false).accepted()).isTrue();
    assertThat(mfa("next-step").lastUsedStep).isEqualTo(step(0));
  }

  @Test
  void fiveFailuresLockVerificationEvenForARightCode() {
    ApiUser user = enrolledUser("lock");
    String wrong = wrongCode("lock");
    for (int i = 1; i <= 4; i++) {
      TotpGuard.Decision d = verifier.verify(read("lock"), wrong, false).decision().orElseThrow();
      assertThat(d.outcome()).isEqualTo(Outcome.INVALID);
      assertThat(d.lockedNow()).isFalse();
      assertThat(mfa("lock").failures).hasSize(i);
      clock.advance(Duration.ofSeconds(1));
    }
    Instant fifthAt = clock.instant();
    TotpGuard.Decision fifth = verifier.verify(read("lock"), wrong, false).decision().orElseThrow();
    assertThat(fifth.lockedNow()).isTrue();
    assertThat(fifth.reason()).isEqualTo("TooManyAttempts");
    assertThat(mfa("lock").lockedUntil).isEqualTo(fifthAt.plus(TotpGuard.LOCK).toString());
    assertThat(failures("lock", "InvalidCode")).isEqualTo(4.0);

    TotpGuard.Decision locked =
        verifier.verify(read("lock"), code("lock", 0), false).decision().orElseThrow();
    assertThat(locked.outcome()).isEqualTo(Outcome.LOCKED);
    assertThat(mfa("lock").lastUsedStep).isNull();

    clock.advance(TotpGuard.LOCK);
    assertThat(verifier.verify(read("lock"), code("lock", 0), false).accepted()).isTrue();
    assertThat(mfa("lock").lockedUntil).isNull();
    assertThat(mfa("lock").failures).isNull();
    assertThat(user.getMetadata().getName()).isEqualTo("lock");
  }

  @Test
  void anAcceptedCodeConfirmsEnrolmentWhenAsked() {
    pendingUser("confirm");
    assertThat(verifier.verify(read("confirm"), wrongCode("confirm"), true).accepted()).isFalse();
    assertThat(mfa("confirm").confirmed).isNotEqualTo(Boolean.TRUE);

    assertThat(verifier.verify(read("confirm"), code("confirm", 0), true).accepted()).isTrue();
    assertThat(mfa("confirm").confirmed).isTrue();
  }

  @Test
  void aSecretWhoseEnrolmentIsNotConfirmedChecksNoKeysCode() {
    pendingUser("pending");
    int writes = api.writes().size();
    assertThat(verifier.verify(read("pending"), code("pending", 0), false).decision()).isEmpty();
    assertThat(api.writes()).as("nothing recorded").hasSize(writes);
  }

  @Test
  void aCodeIsDecidedOnTheSecretTheServerHasNotTheOneRead() {
    ApiUser stale = enrolledUser("reset-between");
    String oldCode = code("reset-between", 0);
    // A reset and a new enrolment land after the read.
    seal(read("reset-between"), TOTP.newSecret(), true);

    TotpGuard.Decision d = verifier.verify(stale, oldCode, false).decision().orElseThrow();

    assertThat(d.outcome()).isEqualTo(Outcome.INVALID);
    assertThat(code("reset-between", 0)).isNotEqualTo(oldCode);
    assertThat(verifier.verify(read("reset-between"), code("reset-between", 0), false).accepted())
        .isTrue();
  }

  @Test
  void aLockedRefusalThatChangesNothingWritesNothing() {
    enrolledUser("locked-quiet");
    ApiUser u = read("locked-quiet");
    ApiUserStatus status = StatusWriter.copy(u.getStatus(), ApiUserStatus.class, null);
    status.mfa.lockedUntil = clock.instant().plusSeconds(60).toString();
    new StatusWriter(client).write(u, status);
    int writes = api.writes().size();

    TotpGuard.Decision d =
        verifier
            .verify(read("locked-quiet"), code("locked-quiet", 0), false)
            .decision()
            .orElseThrow();

    assertThat(d.outcome()).isEqualTo(Outcome.LOCKED);
    assertThat(api.writes()).hasSize(writes);
  }

  // --- matchingSteps ---

  @Test
  void stepsMatchWithinOneStepOfDrift() {
    ApiUser user = enrolledUser("drift");
    ApiUserStatus.MfaStatus mfa = mfa("drift");
    assertThat(verifier.matchingSteps(user, mfa, code("drift", 0))).contains(List.of(step(0)));
    assertThat(verifier.matchingSteps(user, mfa, code("drift", -1))).contains(List.of(step(-1)));
    assertThat(verifier.matchingSteps(user, mfa, code("drift", 1))).contains(List.of(step(1)));
    assertThat(verifier.matchingSteps(user, mfa, code("drift", -2)).orElseThrow())
        .doesNotContain(step(-2));
    assertThat(verifier.matchingSteps(user, mfa, "12ab56")).contains(List.of());
  }

  @Test
  void noSealedSecretNothingToMatch() {
    ApiUser user = user("no-secret", Map.of());
    assertThat(verifier.matchingSteps(user, null, "123456")).isEmpty();
    int writes = api.writes().size();
    assertThat(verifier.verify(user, "123456", true).decision()).isEmpty();
    assertThat(api.writes()).as("nothing recorded").hasSize(writes);
  }

  @Test
  void anEnrolmentSecretIsNeverReadEvenWithTheUsersOwnerReference() {
    ApiUser user = enrolledUser("planted");
    // Whoever may create Secrets in the operator's namespace writes one with the user's owner
    // reference, labels and type, and a secret of their own.
    String attacker = TOTP.newSecret();
    client.secrets().inNamespace(NS).resource(EnrolmentSecret.build(user, NS, attacker)).create();

    TotpGuard.Decision d =
        verifier
            .verify(read("planted"), TOTP.code(attacker, step(0)), false)
            .decision()
            .orElseThrow();

    assertThat(d.outcome()).isEqualTo(Outcome.INVALID);
    assertThat(verifier.verify(read("planted"), code("planted", 0), false).accepted()).isTrue();
  }

  @Test
  void aSealedSecretCopiedToAnotherAccountDoesNotOpen() {
    enrolledUser("sealed-for-a");
    ApiUser b = user("sealed-for-b", Map.of());
    ApiUserStatus.MfaStatus copied = mfa("sealed-for-a");
    assertThat(verifier.matchingSteps(b, copied, code("sealed-for-a", 0))).isEmpty();
    // Nor for a new account of the same name (another uid).
    ApiUser sameName = read("sealed-for-a");
    sameName.getMetadata().setUid("uid-of-a-later-account");
    assertThat(verifier.matchingSteps(sameName, copied, code("sealed-for-a", 0))).isEmpty();
  }

  // --- helpers ---

  private final Map<String, String> secrets = new java.util.HashMap<>();

  /** A user whose enrolment is confirmed: a sealed secret in its status. */
  private ApiUser enrolledUser(String name) {
    ApiUser user = user(name, Map.of());
    return seal(user, TOTP.newSecret(), true);
  }

  /** A user with a sealed secret whose enrolment is not confirmed yet. */
  private ApiUser pendingUser(String name) {
    ApiUser user = user(name, Map.of());
    return seal(user, TOTP.newSecret(), false);
  }

  /** Seals {@code secret} into the user's status, as the ApiUser controller does. */
  private ApiUser seal(ApiUser user, String secret, boolean confirmed) {
    String name = user.getMetadata().getName();
    secrets.put(name, secret);
    ApiUserStatus status =
        StatusWriter.copy(user.getStatus(), ApiUserStatus.class, ApiUserStatus::new);
    if (status.mfa == null) {
      status.mfa = new ApiUserStatus.MfaStatus();
    }
    status.mfa.sealedSeed = SEAL.seal(secret, name, user.getMetadata().getUid());
    status.mfa.confirmed = confirmed;
    return new StatusWriter(client).write(user, status);
  }

  /** The code of the step {@code offset} steps from now. */
  private String code(String user, int offset) {
    return TOTP.code(secrets.get(user), step(offset));
  }

  /** A well-formed code that matches no step within the drift. */
  private String wrongCode(String user) {
    List<String> near = LongStream.rangeClosed(-1, 1).mapToObj(o -> code(user, (int) o)).toList();
    for (int i = 0; ; i++) {
      String candidate = String.format("%06d", i);
      if (!near.contains(candidate)) {
        return candidate;
      }
    }
  }

  private long step(int offset) {
    return Totp.step(clock.instant()) + offset;
  }

  private double failures(String user, String reason) {
    return Optional.ofNullable(
            metrics
                .registry()
                .find("keyward.totp.failures")
                .tags("user", user, "reason", reason)
                .counter())
        .map(c -> c.count())
        .orElse(0.0);
  }

  private static ApiUserStatus.MfaStatus mfa(String user) {
    ApiUserStatus s = read(user).getStatus();
    return s == null ? null : s.mfa;
  }

  private static ApiUser read(String name) {
    return client.resources(ApiUser.class).withName(name).get();
  }

  private static ApiUser user(String name, Map<String, String> annotations) {
    ApiUser u = new ApiUser();
    u.setMetadata(new ObjectMetaBuilder().withName(name).withAnnotations(annotations).build());
    u.setSpec(new ApiUserSpec());
    return client.resource(u).create();
  }

  private static ApiKey key(String name, Map<String, String> annotations) {
    ApiKey k = new ApiKey();
    k.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace("ns")
            .withAnnotations(annotations)
            .build());
    k.setSpec(new ApiKeySpec());
    k.getSpec().user = "alice";
    k.getSpec().note = "a bot";
    return client.resource(k).create();
  }
}
