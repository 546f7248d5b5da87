package io.keyward.operator.apiuser;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.api.Condition;
import io.keyward.operator.apiuser.UserFacts.Enrolment;
import io.keyward.operator.apiuser.UserFacts.Seed;
import io.keyward.operator.kube.Conditions;
import io.keyward.operator.kube.StatusWriter;
import io.keyward.operator.mfa.TotpGuard;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ApiUser's next status: the ledger, the sealed TOTP secret (first, reset, migration, one
 * sealed by another replica), the enrolment copy's record, a code, and the Ready reason.
 */
class UserStatusTest {
  static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  static final Instant EARLIER = Instant.parse("2026-11-30T10:00:00Z");
  static final String ENROLMENT = "keyward-system/alice-totp";

  // --- the ledger ---

  @Test
  void theLedgerIsLeftAsItIsAndCounted() {
    ApiUserStatus current = status(ref("a"), ref("b"));
    sealed(current, false);
    UserStatus.Next next = next(facts(), plan(), UserStatus.Done.copy("s-1"), current);
    assertThat(next.status().keyRefs).extracting(r -> r.uid).containsExactly("a", "b");
    assertThat(next.status().keys.used).isEqualTo(2);
    assertThat(next.status().keys.limit).isEqualTo(5);
  }

  // --- the sealed secret ---

  @Test
  void theFirstSecretIsSealedPendingWithNoCopyYet() {
    UserFacts f = facts().enrolment(new Enrolment.Missing()).seed(Seed.NONE).build(status());
    UserStatus.Next next = next(f, UserPlanner.plan(f), UserStatus.Done.NOTHING, status());
    assertThat(next.seed()).isEqualTo(UserStatus.SeedChange.FIRST);
    assertThat(next.status().mfa.sealedSeed).isEqualTo("sealed-1");
    assertThat(next.status().mfa.confirmed).isFalse();
    assertThat(next.status().mfa.enrolmentSecret).isNull();
    assertThat(next.status().mfa.state).isEqualTo("EnrolmentPending");
    assertThat(ready(next).reason).isEqualTo("MfaNotEnrolled");
  }

  @Test
  void aSecretAnotherReplicaSealedFirstIsKept() {
    UserFacts f = facts().enrolment(new Enrolment.Missing()).seed(Seed.NONE).build(status());
    ApiUserStatus server = status();
    server.mfa = new ApiUserStatus.MfaStatus();
    server.mfa.sealedSeed = "sealed-by-the-other";
    server.mfa.confirmed = false;
    UserStatus.Next next = next(f, UserPlanner.plan(f), UserStatus.Done.NOTHING, server);
    assertThat(next.seed()).isEqualTo(UserStatus.SeedChange.NONE);
    assertThat(next.status().mfa.sealedSeed).isEqualTo("sealed-by-the-other");
  }

  @Test
  void theCopyOfAPendingSecretIsRecorded() {
    ApiUserStatus current = status();
    sealed(current, false);
    UserStatus.Next next = next(facts(), plan(), UserStatus.Done.copy("s-2"), current);
    assertThat(next.seed()).isEqualTo(UserStatus.SeedChange.NONE);
    assertThat(next.status().mfa.sealedSeed).isEqualTo("sealed-0");
    assertThat(next.status().mfa.enrolmentSecret.uid).isEqualTo("s-2");
    assertThat(next.status().mfa.enrolmentSecret.namespace).isEqualTo("keyward-system");
    assertThat(next.status().mfa.enrolmentSecret.name).isEqualTo("alice-totp");
  }

  @Test
  void onceConfirmedTheDeletedCopyIsNoLongerRecorded() {
    ApiUserStatus current = status();
    sealed(current, true);
    current.mfa.enrolmentSecret = secretRef("s-1");
    UserStatus.Next next =
        next(facts(), plan(), new UserStatus.Done(null, false, true, false, null), current);
    assertThat(next.status().mfa.enrolmentSecret).isNull();
    assertThat(next.status().mfa.sealedSeed).isEqualTo("sealed-0");
    assertThat(next.status().mfa.confirmed).isTrue();
    assertThat(next.status().mfa.state).isEqualTo("Enrolled");
    assertThat(ready(next).reason).isEqualTo("Ready");
  }

  @Test
  void aLostCopyOfAConfirmedSecretChangesNothing() {
    ApiUserStatus current = status();
    sealed(current, true);
    UserFacts f = facts().enrolment(new Enrolment.Missing()).build(current);
    UserStatus.Next next = next(f, UserPlanner.plan(f), UserStatus.Done.NOTHING, current);
    assertThat(next.seed()).isEqualTo(UserStatus.SeedChange.NONE);
    assertThat(next.status().mfa.sealedSeed).isEqualTo("sealed-0");
    assertThat(next.status().mfa.confirmed).isTrue();
  }

  @Test
  void aResetSealsANewSecretToBeConfirmedAndIsHandledOnce() {
    ApiUserStatus current = status();
    sealed(current, true);
    current.mfa.lastUsedStep = 100L;
    UserFacts f = facts().enrolment(new Enrolment.Missing()).reset("ticket-1").build(current);
    UserStatus.Next next = next(f, UserPlanner.plan(f), UserStatus.Done.NOTHING, current);
    assertThat(next.seed()).isEqualTo(UserStatus.SeedChange.RESET);
    assertThat(next.status().mfa.sealedSeed).isEqualTo("sealed-1");
    assertThat(next.status().mfa.confirmed).isFalse();
    assertThat(next.status().mfa.lastHandledReset).isEqualTo("ticket-1");
    assertThat(next.status().mfa.lastUsedStep).as("the replay record stays").isEqualTo(100L);
    assertThat(next.status().mfa.state).isEqualTo("EnrolmentPending");
    assertThat(ready(next).reason).isEqualTo("MfaNotEnrolled");

    // The same manifest applied again: nothing.
    ApiUserStatus after = next.status();
    UserFacts again = facts().enrolment(new Enrolment.Missing()).reset("ticket-1").build(after);
    UserStatus.Next second =
        next(
            again,
            UserPlanner.plan(again),
            UserStatus.Done.NOTHING,
            StatusWriter.copy(after, ApiUserStatus.class, ApiUserStatus::new));
    assertThat(second.seed()).isEqualTo(UserStatus.SeedChange.NONE);
    assertThat(second.status().mfa.sealedSeed).isEqualTo("sealed-1");
  }

  @Test
  void aResetOnANewUserResetsNothingAndIsRecordedHandled() {
    UserFacts f =
        facts().enrolment(new Enrolment.Missing()).seed(Seed.NONE).reset("t-0").build(status());
    UserStatus.Next next = next(f, UserPlanner.plan(f), UserStatus.Done.NOTHING, status());
    assertThat(next.seed()).isEqualTo(UserStatus.SeedChange.FIRST);
    assertThat(next.status().mfa.lastHandledReset).isEqualTo("t-0");
  }

  @Test
  void aResetWhileMfaIsOffDropsTheSecretAndMakesNone() {
    ApiUserStatus current = status();
    sealed(current, true);
    UserFacts f = facts().mfa(false).reset("ticket-1").build(current);
    UserStatus.Next next = next(f, UserPlanner.plan(f), UserStatus.Done.NOTHING, current);
    assertThat(next.seed()).isEqualTo(UserStatus.SeedChange.RESET);
    assertThat(next.status().mfa.sealedSeed).isNull();
    assertThat(next.status().mfa.confirmed).isFalse();
    assertThat(next.status().mfa.state).isEqualTo("Disabled");
  }

  @Test
  void anEnrolmentConfirmedBeforeSealedSecretsIsSealedFromTheSecretItWasConfirmedWith() {
    ApiUserStatus current = status();
    current.mfa = new ApiUserStatus.MfaStatus();
    current.mfa.confirmed = true;
    current.mfa.enrolmentSecret = secretRef("s-1");
    UserFacts f = facts().enrolment(new Enrolment.Legacy("s-1")).seed(Seed.NONE).build(current);
    UserStatus.Next next = next(f, UserPlanner.plan(f), UserStatus.Done.NOTHING, current);
    assertThat(next.seed()).isEqualTo(UserStatus.SeedChange.MIGRATED);
    assertThat(next.status().mfa.sealedSeed).isEqualTo("sealed-legacy");
    assertThat(next.status().mfa.confirmed).isTrue();
    assertThat(next.status().mfa.state).isEqualTo("Enrolled");
  }

  @Test
  void anEnrolmentConfirmedBeforeWhoseSecretCannotBeProvedStartsOver() {
    ApiUserStatus current = status();
    current.mfa = new ApiUserStatus.MfaStatus();
    current.mfa.confirmed = true;
    current.mfa.enrolmentSecret = secretRef("s-1");
    // A Secret with Keyward's metadata, but not the one the status recorded: a planted one.
    UserFacts f = facts().enrolment(new Enrolment.Legacy("s-9")).seed(Seed.NONE).build(current);
    UserStatus.Next next = next(f, UserPlanner.plan(f), UserStatus.Done.NOTHING, current);
    assertThat(next.seed()).isEqualTo(UserStatus.SeedChange.RESTARTED);
    assertThat(next.status().mfa.sealedSeed).isEqualTo("sealed-1");
    assertThat(next.status().mfa.confirmed).isFalse();
    assertThat(next.status().mfa.enrolmentSecret).isNull();
  }

  @Test
  void aSealedSecretThatDoesNotOpenIsReportedAndKept() {
    ApiUserStatus current = status();
    sealed(current, true);
    current.mfa.sealedSeed = "unreadable-1";
    UserFacts f = facts().enrolment(new Enrolment.Missing()).seed(Seed.UNREADABLE).build(current);
    UserStatus.Next next = next(f, UserPlanner.plan(f), UserStatus.Done.NOTHING, current);
    assertThat(next.seed()).isEqualTo(UserStatus.SeedChange.NONE);
    assertThat(next.status().mfa.sealedSeed).isEqualTo("unreadable-1");
    assertThat(ready(next).reason).isEqualTo("SealedSeedUnreadable");
    assertThat(ready(next).message)
        .contains("keyward-sealing-key")
        .contains("keyward.io/reset-totp=<new value>");
  }

  // --- a code ---

  @Test
  void anAcceptedCodeConfirmsEnrolmentAndRecordsItsStep() {
    ApiUserStatus current = status();
    sealed(current, false);
    UserStatus.Next next =
        next(
            facts().code().build(current),
            checkPlan(),
            UserStatus.Done.copy("s-1"),
            current,
            new FakeSeeds().matching(List.of(100L)));
    assertThat(next.code().outcome()).isEqualTo(TotpGuard.Outcome.ACCEPTED);
    assertThat(next.status().mfa.confirmed).isTrue();
    assertThat(next.status().mfa.lastUsedStep).isEqualTo(100L);
    assertThat(next.status().mfa.state).isEqualTo("Enrolled");
    assertThat(ready(next).reason).isEqualTo("Ready");
  }

  @Test
  void aReplayedCodeIsRefusedAndCounted() {
    ApiUserStatus current = status();
    sealed(current, false);
    current.mfa.lastUsedStep = 100L;
    UserStatus.Next next =
        next(
            facts().code().build(current),
            checkPlan(),
            UserStatus.Done.copy("s-1"),
            current,
            new FakeSeeds().matching(List.of(100L)));
    assertThat(next.code().outcome()).isEqualTo(TotpGuard.Outcome.REPLAYED);
    assertThat(next.code().reason()).isEqualTo("CodeReplayed");
    assertThat(next.status().mfa.confirmed).isFalse();
    assertThat(next.status().mfa.failures).containsExactly(NOW.toString());
    assertThat(ready(next).reason).isEqualTo("MfaNotEnrolled");
  }

  @Test
  void theFifthFailureLocks() {
    ApiUserStatus current = status();
    sealed(current, false);
    current.mfa.failures = new java.util.ArrayList<>(List.of(t(-60), t(-50), t(-40), t(-30)));
    UserStatus.Next next =
        next(facts().code().build(current), checkPlan(), UserStatus.Done.copy("s-1"), current);
    assertThat(next.code().reason()).isEqualTo("TooManyAttempts");
    assertThat(next.status().mfa.state).isEqualTo("Locked");
    assertThat(next.status().mfa.lockedUntil).isEqualTo(NOW.plus(TotpGuard.LOCK).toString());
    assertThat(next.status().mfa.failures).isNull();
  }

  @Test
  void aCodeWithNothingToCheckItAgainstIsNotDecided() {
    ApiUserStatus current = status();
    sealed(current, false);
    current.mfa.sealedSeed = "unreadable-1";
    UserStatus.Next next =
        next(
            facts().seed(Seed.UNREADABLE).code().build(current),
            checkPlan(),
            UserStatus.Done.NOTHING,
            current,
            new FakeSeeds().matching(List.of(100L)));
    assertThat(next.code()).isNull();
    assertThat(next.status().mfa.failures).isNull();
  }

  @Test
  void aCodeIsNotDecidedOnASecretThatChangedSinceTheRead() {
    ApiUserStatus read = status();
    sealed(read, false);
    ApiUserStatus server = status();
    sealed(server, false);
    server.mfa.sealedSeed = "sealed-after-a-reset";
    UserStatus.Next next =
        next(
            facts().code().build(read),
            checkPlan(),
            UserStatus.Done.copy("s-1"),
            server,
            new FakeSeeds().matching(List.of(100L)));
    assertThat(next.code()).isNull();
    assertThat(next.status().mfa.lastUsedStep).isNull();
  }

  @Test
  void aSkippedCodeIsNotDecided() {
    ApiUserStatus read = status();
    sealed(read, true);
    UserFacts f = facts().code().build(read);
    ApiUserStatus current = status();
    sealed(current, true);
    UserPlan p = UserPlanner.plan(f);
    assertThat(p.code().use()).isEqualTo(UserPlan.CodeUse.SKIP);
    UserStatus.Next next =
        next(f, p, UserStatus.Done.copy("s-1"), current, new FakeSeeds().matching(List.of(100L)));
    assertThat(next.code()).isNull();
    assertThat(next.status().mfa.lastUsedStep).isNull();
  }

  // --- mfa.state and Ready ---

  /** One row of the Ready table: the facts and what the user reads. */
  record Ready(
      String situation,
      Facts facts,
      boolean conflictStep,
      String problem,
      boolean confirmed,
      String lockedUntil,
      String mfaState,
      String reason,
      String message) {
    @Override
    public String toString() {
      return situation;
    }
  }

  static Stream<Arguments> readiness() {
    return Stream.of(
        ready(
            "an invalid spec comes first",
            facts().violations("a", "b").suspended().mfa(false),
            true,
            "cannot create",
            false,
            null,
            "Disabled",
            "InvalidSpec",
            "a; b"),
        ready(
            "then an enrolment Secret conflict (the plan's)",
            facts().suspended(),
            true,
            null,
            false,
            null,
            "EnrolmentPending",
            "EnrolmentSecretConflict",
            "Secret keyward-system/alice-totp exists and was not written by Keyward"),
        ready(
            "then an enrolment Secret problem (the action's)",
            facts().suspended(),
            false,
            "enrolment Secret keyward-system/alice-totp cannot be created: HTTP 403",
            false,
            null,
            "EnrolmentPending",
            "EnrolmentSecretConflict",
            "enrolment Secret keyward-system/alice-totp cannot be created: HTTP 403"),
        ready(
            "then suspension",
            facts().suspended(),
            false,
            null,
            false,
            null,
            "EnrolmentPending",
            "Suspended",
            "spec.suspended is true"),
        ready(
            "then enrolment not confirmed",
            facts(),
            false,
            null,
            false,
            null,
            "EnrolmentPending",
            "MfaNotEnrolled",
            "scan qr.png of Secret keyward-system/alice-totp, then annotate the ApiUser with"
                + " keyward.io/totp-code=<code>"),
        ready(
            "enrolled: ready",
            facts(),
            false,
            null,
            true,
            null,
            "Enrolled",
            "Ready",
            "account ready"),
        ready(
            "MFA off: ready without enrolment",
            facts().mfa(false),
            false,
            null,
            false,
            null,
            "Disabled",
            "Ready",
            "account ready"),
        ready(
            "locked but enrolled: still ready, shown Locked",
            facts(),
            false,
            null,
            true,
            NOW.plusSeconds(60).toString(),
            "Locked",
            "Ready",
            "account ready"),
        ready(
            "a lock that is over shows the enrolment again",
            facts(),
            false,
            null,
            true,
            NOW.toString(),
            "Enrolled",
            "Ready",
            "account ready"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("readiness")
  void theReadyReasonInOrder(Ready row) {
    ApiUserStatus current = status();
    sealed(current, row.confirmed());
    current.mfa.lockedUntil = row.lockedUntil();
    UserFacts f = row.facts().build(current);
    UserPlan.Step step =
        row.conflictStep() ? new UserPlan.Conflict(UserPlanner.conflict(f)) : new UserPlan.Steady();
    UserStatus.Next next =
        next(
            f,
            new UserPlan(step, UserPlan.Seal.KEEP, UserPlan.Code.NONE, null),
            new UserStatus.Done(
                row.conflictStep() ? null : "s-1", false, false, false, row.problem()),
            current);
    assertThat(next.status().mfa.state).as("mfa.state").isEqualTo(row.mfaState());
    Condition ready = ready(next);
    assertThat(ready.status).isEqualTo("Ready".equals(row.reason()) ? "True" : "False");
    assertThat(ready.reason).isEqualTo(row.reason());
    assertThat(ready.message).contains(row.message());
    assertThat(ready.observedGeneration).isEqualTo(2L);
    assertThat(next.status().observedGeneration).isEqualTo(2L);
  }

  @Test
  void anUnreadableSecretComesBeforeAConflictAndSuspension() {
    ApiUserStatus current = status();
    sealed(current, false);
    current.mfa.sealedSeed = "unreadable-1";
    UserFacts f = facts().suspended().seed(Seed.UNREADABLE).build(current);
    UserStatus.Next next =
        next(
            f,
            new UserPlan(
                new UserPlan.Conflict(UserPlanner.conflict(f)),
                UserPlan.Seal.KEEP,
                UserPlan.Code.NONE,
                null),
            UserStatus.Done.NOTHING,
            current);
    assertThat(ready(next).reason).isEqualTo("SealedSeedUnreadable");
  }

  @Test
  void aReadyConditionThatStaysKeepsItsTransitionTime() {
    ApiUserStatus current = status();
    sealed(current, true);
    Conditions.set(current.conditions, Conditions.READY, true, "Ready", "old", 1L, EARLIER);
    UserStatus.Next next = next(facts(), plan(), UserStatus.Done.NOTHING, current);
    assertThat(ready(next).lastTransitionTime).isEqualTo(EARLIER.toString());
  }

  // --- helpers ---

  static Arguments ready(
      String situation,
      Facts facts,
      boolean conflictStep,
      String problem,
      boolean confirmed,
      String lockedUntil,
      String mfaState,
      String reason,
      String message) {
    return Arguments.of(
        new Ready(
            situation,
            facts,
            conflictStep,
            problem,
            confirmed,
            lockedUntil,
            mfaState,
            reason,
            message));
  }

  /** The next status on {@code current}, with facts read from it unless they were built. */
  static UserStatus.Next next(Facts f, UserPlan p, UserStatus.Done d, ApiUserStatus current) {
    return next(f.build(current), p, d, current);
  }

  static UserStatus.Next next(UserFacts f, UserPlan p, UserStatus.Done d, ApiUserStatus current) {
    return next(f, p, d, current, new FakeSeeds());
  }

  static UserStatus.Next next(
      UserFacts f, UserPlan p, UserStatus.Done d, ApiUserStatus current, FakeSeeds seeds) {
    return UserStatus.build(f, p, d, current, seeds);
  }

  static Condition ready(UserStatus.Next next) {
    return Conditions.find(next.status().conditions, Conditions.READY).orElseThrow();
  }

  static String t(int secondsFromNow) {
    return NOW.plusSeconds(secondsFromNow).toString();
  }

  static UserPlan plan() {
    return new UserPlan(new UserPlan.Steady(), UserPlan.Seal.KEEP, UserPlan.Code.NONE, null);
  }

  static UserPlan checkPlan() {
    return new UserPlan(
        new UserPlan.Steady(),
        UserPlan.Seal.KEEP,
        new UserPlan.Code(UserPlan.CodeUse.CHECK, null),
        null);
  }

  static ApiUserStatus.KeyRef ref(String uid) {
    ApiUserStatus.KeyRef r = new ApiUserStatus.KeyRef();
    r.namespace = "ns";
    r.name = "key-" + uid;
    r.uid = uid;
    r.type = "spot";
    return r;
  }

  static ApiUserStatus status(ApiUserStatus.KeyRef... refs) {
    ApiUserStatus s = new ApiUserStatus();
    s.keyRefs = new java.util.ArrayList<>(List.of(refs));
    return s;
  }

  /** A sealed secret ({@code sealed-0}), confirmed or not. */
  static void sealed(ApiUserStatus s, boolean confirmed) {
    s.mfa = new ApiUserStatus.MfaStatus();
    s.mfa.sealedSeed = "sealed-0";
    s.mfa.confirmed = confirmed;
  }

  static ApiUserStatus.SecretRef secretRef(String uid) {
    ApiUserStatus.SecretRef r = new ApiUserStatus.SecretRef();
    r.namespace = "keyward-system";
    r.name = "alice-totp";
    r.uid = uid;
    return r;
  }

  static Facts facts() {
    return new Facts();
  }

  /**
   * The facts of alice: MFA required, a valid spec, the copy of a sealed secret that opens, no
   * code, no reset; read from the status given to {@link #build}.
   */
  static final class Facts {
    boolean mfa = true;
    boolean suspended;
    List<String> violations = List.of();
    Enrolment enrolment = new Enrolment.Copy("s-1");
    Seed seed = Seed.SEALED;
    boolean code;
    String reset;

    Facts mfa(boolean on) {
      mfa = on;
      return this;
    }

    Facts suspended() {
      suspended = true;
      return this;
    }

    Facts violations(String... v) {
      violations = List.of(v);
      return this;
    }

    Facts enrolment(Enrolment e) {
      enrolment = e;
      return this;
    }

    Facts seed(Seed s) {
      seed = s;
      return this;
    }

    Facts code() {
      code = true;
      return this;
    }

    Facts reset(String value) {
      reset = value;
      return this;
    }

    /** The facts as read from {@code read} (a copy: the build works on the server's own). */
    UserFacts build(ApiUserStatus read) {
      return new UserFacts(
          NOW,
          "alice",
          2,
          StatusWriter.copy(read, ApiUserStatus.class, ApiUserStatus::new),
          violations,
          mfa,
          suspended,
          ENROLMENT,
          mfa && violations.isEmpty() ? enrolment : null,
          seed,
          code,
          reset,
          5,
          AccountAudit.settings(null, mfa, suspended, 5));
    }
  }
}
