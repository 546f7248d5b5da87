package io.keyward.operator.apiuser;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.api.Condition;
import io.keyward.operator.apiuser.UserFacts.Enrolment;
import io.keyward.operator.kube.Conditions;
import io.keyward.operator.mfa.TotpGuard;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The ApiUser's next status: the ledger, the enrolment record, a code, and the Ready reason. */
class UserStatusTest {
  static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  static final Instant EARLIER = Instant.parse("2026-11-30T10:00:00Z");
  static final String ENROLMENT = "keyward-system/alice-totp";

  // --- the ledger ---

  @Test
  void theLedgerIsLeftAsItIsAndCounted() {
    ApiUserStatus current = status(ref("a"), ref("b"));
    UserStatus.Next next =
        UserStatus.build(
            facts().build(),
            plan(),
            new UserStatus.Done("s-1", false, null),
            current,
            Optional.empty());
    assertThat(next.status().keyRefs).extracting(r -> r.uid).containsExactly("a", "b");
    assertThat(next.status().keys.used).isEqualTo(2);
    assertThat(next.status().keys.limit).isEqualTo(5);
  }

  // --- the enrolment Secret ---

  @Test
  void aNewEnrolmentSecretResetsAConfirmedEnrolment() {
    ApiUserStatus current = status();
    enrolled(current, "s-1", true);
    UserStatus.Next next =
        UserStatus.build(
            facts().enrolment(new Enrolment.Ours("s-2")).build(),
            plan(),
            new UserStatus.Done("s-2", true, null),
            current,
            Optional.empty());
    assertThat(next.reset()).isTrue();
    assertThat(next.status().mfa.confirmed).isFalse();
    assertThat(next.status().mfa.enrolmentSecret.uid).isEqualTo("s-2");
    assertThat(next.status().mfa.enrolmentSecret.namespace).isEqualTo("keyward-system");
    assertThat(next.status().mfa.enrolmentSecret.name).isEqualTo("alice-totp");
    assertThat(next.status().mfa.state).isEqualTo("EnrolmentPending");
    assertThat(ready(next).reason).isEqualTo("MfaNotEnrolled");
  }

  @Test
  void aNewEnrolmentSecretOfAnUnconfirmedUserIsNoReset() {
    ApiUserStatus current = status();
    enrolled(current, "s-1", false);
    UserStatus.Next next =
        UserStatus.build(
            facts().build(),
            plan(),
            new UserStatus.Done("s-2", true, null),
            current,
            Optional.empty());
    assertThat(next.reset()).isFalse();
    assertThat(next.status().mfa.enrolmentSecret.uid).isEqualTo("s-2");
  }

  @Test
  void theFirstEnrolmentSecretIsRecordedUnconfirmed() {
    UserStatus.Next next =
        UserStatus.build(
            facts().build(),
            plan(),
            new UserStatus.Done("s-1", true, null),
            status(),
            Optional.empty());
    assertThat(next.reset()).isFalse();
    assertThat(next.status().mfa.enrolmentSecret.uid).isEqualTo("s-1");
    assertThat(next.status().mfa.confirmed).isFalse();
    assertThat(next.status().mfa.state).isEqualTo("EnrolmentPending");
  }

  @Test
  void theSameEnrolmentSecretKeepsTheConfirmation() {
    ApiUserStatus current = status();
    enrolled(current, "s-1", true);
    UserStatus.Next next =
        UserStatus.build(
            facts().build(),
            plan(),
            new UserStatus.Done("s-1", false, null),
            current,
            Optional.empty());
    assertThat(next.reset()).isFalse();
    assertThat(next.status().mfa.confirmed).isTrue();
    assertThat(next.status().mfa.state).isEqualTo("Enrolled");
    assertThat(ready(next).reason).isEqualTo("Ready");
    assertThat(ready(next).status).isEqualTo("True");
  }

  // --- a code ---

  @Test
  void anAcceptedCodeConfirmsEnrolmentAndRecordsItsStep() {
    ApiUserStatus current = status();
    enrolled(current, "s-1", false);
    UserStatus.Next next =
        UserStatus.build(
            facts().code().build(),
            checkPlan(),
            new UserStatus.Done("s-1", false, null),
            current,
            Optional.of(List.of(100L)));
    assertThat(next.code().outcome()).isEqualTo(TotpGuard.Outcome.ACCEPTED);
    assertThat(next.status().mfa.confirmed).isTrue();
    assertThat(next.status().mfa.lastUsedStep).isEqualTo(100L);
    assertThat(next.status().mfa.state).isEqualTo("Enrolled");
    assertThat(ready(next).reason).isEqualTo("Ready");
  }

  @Test
  void aReplayedCodeIsRefusedAndCounted() {
    ApiUserStatus current = status();
    enrolled(current, "s-1", false);
    current.mfa.lastUsedStep = 100L;
    UserStatus.Next next =
        UserStatus.build(
            facts().code().build(),
            checkPlan(),
            new UserStatus.Done("s-1", false, null),
            current,
            Optional.of(List.of(100L)));
    assertThat(next.code().outcome()).isEqualTo(TotpGuard.Outcome.REPLAYED);
    assertThat(next.code().reason()).isEqualTo("CodeReplayed");
    assertThat(next.status().mfa.confirmed).isFalse();
    assertThat(next.status().mfa.failures).containsExactly(NOW.toString());
    assertThat(ready(next).reason).isEqualTo("MfaNotEnrolled");
  }

  @Test
  void theFifthFailureLocks() {
    ApiUserStatus current = status();
    enrolled(current, "s-1", false);
    current.mfa.failures = new java.util.ArrayList<>(List.of(t(-60), t(-50), t(-40), t(-30)));
    UserStatus.Next next =
        UserStatus.build(
            facts().code().build(),
            checkPlan(),
            new UserStatus.Done("s-1", false, null),
            current,
            Optional.of(List.of()));
    assertThat(next.code().reason()).isEqualTo("TooManyAttempts");
    assertThat(next.status().mfa.state).isEqualTo("Locked");
    assertThat(next.status().mfa.lockedUntil).isEqualTo(NOW.plus(TotpGuard.LOCK).toString());
    assertThat(next.status().mfa.failures).isNull();
  }

  @Test
  void aCodeWithNothingToCheckItAgainstIsNotDecided() {
    ApiUserStatus current = status();
    UserStatus.Next next =
        UserStatus.build(
            facts().code().build(),
            checkPlan(),
            UserStatus.Done.NOTHING,
            current,
            Optional.empty());
    assertThat(next.code()).isNull();
    assertThat(next.status().mfa.failures).isNull();
  }

  @Test
  void aSkippedCodeIsNotDecided() {
    ApiUserStatus read = status();
    enrolled(read, "s-1", true);
    UserFacts f = facts().status(read).code().build();
    ApiUserStatus current = status();
    enrolled(current, "s-1", true);
    UserPlan p = UserPlanner.plan(f);
    assertThat(p.code().use()).isEqualTo(UserPlan.CodeUse.SKIP);
    UserStatus.Next next =
        UserStatus.build(
            f, p, new UserStatus.Done("s-1", false, null), current, Optional.of(List.of(100L)));
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
            "EnrolmentConflict",
            "enrolment Secret keyward-system/alice-totp exists and is not Keyward's for this user"),
        ready(
            "then an enrolment Secret problem (the action's)",
            facts().suspended(),
            false,
            "enrolment Secret keyward-system/alice-totp cannot be created: HTTP 403",
            false,
            null,
            "EnrolmentPending",
            "EnrolmentConflict",
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
    enrolled(current, "s-1", row.confirmed());
    current.mfa.lockedUntil = row.lockedUntil();
    UserFacts f = row.facts().build();
    UserPlan.Step step =
        row.conflictStep() ? new UserPlan.Conflict(UserPlanner.conflict(f)) : new UserPlan.Steady();
    UserStatus.Next next =
        UserStatus.build(
            f,
            new UserPlan(step, UserPlan.Code.NONE, null),
            new UserStatus.Done(row.conflictStep() ? null : "s-1", false, row.problem()),
            current,
            Optional.empty());
    assertThat(next.status().mfa.state).as("mfa.state").isEqualTo(row.mfaState());
    Condition ready = ready(next);
    assertThat(ready.status).isEqualTo("Ready".equals(row.reason()) ? "True" : "False");
    assertThat(ready.reason).isEqualTo(row.reason());
    assertThat(ready.message).contains(row.message());
    assertThat(ready.observedGeneration).isEqualTo(2L);
    assertThat(next.status().observedGeneration).isEqualTo(2L);
  }

  @Test
  void aReadyConditionThatStaysKeepsItsTransitionTime() {
    ApiUserStatus current = status();
    enrolled(current, "s-1", true);
    Conditions.set(current.conditions, Conditions.READY, true, "Ready", "old", 1L, EARLIER);
    UserStatus.Next next =
        UserStatus.build(
            facts().build(),
            plan(),
            new UserStatus.Done("s-1", false, null),
            current,
            Optional.empty());
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

  static Condition ready(UserStatus.Next next) {
    return Conditions.find(next.status().conditions, Conditions.READY).orElseThrow();
  }

  static String t(int secondsFromNow) {
    return NOW.plusSeconds(secondsFromNow).toString();
  }

  static UserPlan plan() {
    return new UserPlan(new UserPlan.Steady(), UserPlan.Code.NONE, null);
  }

  static UserPlan checkPlan() {
    return new UserPlan(
        new UserPlan.Steady(), new UserPlan.Code(UserPlan.CodeUse.CHECK, null), null);
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

  static void enrolled(ApiUserStatus s, String uid, boolean confirmed) {
    s.mfa = new ApiUserStatus.MfaStatus();
    s.mfa.enrolmentSecret = new ApiUserStatus.SecretRef();
    s.mfa.enrolmentSecret.namespace = "keyward-system";
    s.mfa.enrolmentSecret.name = "alice-totp";
    s.mfa.enrolmentSecret.uid = uid;
    s.mfa.confirmed = confirmed;
  }

  static Facts facts() {
    return new Facts();
  }

  /** The facts of alice: MFA required, a valid spec, her own enrolment Secret, no code. */
  static final class Facts {
    boolean mfa = true;
    boolean suspended;
    List<String> violations = List.of();
    Enrolment enrolment = new Enrolment.Ours("s-1");
    boolean code;
    ApiUserStatus status = new ApiUserStatus();

    Facts status(ApiUserStatus s) {
      status = s;
      return this;
    }

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

    Facts code() {
      code = true;
      return this;
    }

    UserFacts build() {
      return new UserFacts(
          NOW,
          "alice",
          2,
          status,
          violations,
          mfa,
          suspended,
          ENROLMENT,
          mfa && violations.isEmpty() ? enrolment : null,
          code,
          5,
          AccountAudit.settings(null, mfa, suspended, 5));
    }
  }
}
