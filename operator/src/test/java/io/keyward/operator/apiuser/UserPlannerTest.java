package io.keyward.operator.apiuser;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.apiuser.UserFacts.Enrolment;
import io.keyward.operator.apiuser.UserPlan.CodeUse;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ApiUser planner's table: the step for each state of the enrolment Secret, what a code that
 * arrived is for, and when the user is looked at again.
 */
class UserPlannerTest {
  static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  static final String ENROLMENT = "keyward-system/alice-totp";

  /** One row; {@code skipWhy} only for SKIP. */
  record Row(
      String situation,
      UserFacts facts,
      Class<?> step,
      CodeUse code,
      String skipWhy,
      Instant next) {
    @Override
    public String toString() {
      return situation;
    }
  }

  static Stream<Arguments> table() {
    return Stream.of(
        // The enrolment Secret.
        row(
            "no enrolment Secret: create it",
            facts(new Enrolment.Missing()),
            UserPlan.CreateEnrolment.class,
            CodeUse.NONE,
            null,
            null),
        row(
            "an earlier account's enrolment Secret: replace it",
            facts(new Enrolment.Leftover()),
            UserPlan.ReplaceLeftover.class,
            CodeUse.NONE,
            null,
            null),
        row(
            "a Secret of that name that is not Keyward's: touch nothing",
            facts(new Enrolment.Foreign()),
            UserPlan.Conflict.class,
            CodeUse.NONE,
            null,
            null),
        row(
            "this user's enrolment Secret: steady",
            facts(new Enrolment.Ours("s-1")),
            UserPlan.Steady.class,
            CodeUse.NONE,
            null,
            null),
        row(
            "MFA off: no enrolment Secret is looked at",
            facts(null).mfa(false),
            UserPlan.Steady.class,
            CodeUse.NONE,
            null,
            null),
        row(
            "an invalid spec: no enrolment Secret is looked at",
            facts(null).violations("spec.namespaces: must not be empty"),
            UserPlan.Steady.class,
            CodeUse.NONE,
            null,
            null),
        // A code.
        row(
            "a code while MFA is off: skipped",
            facts(null).mfa(false).code(),
            UserPlan.Steady.class,
            CodeUse.SKIP,
            "MFA is disabled",
            null),
        row(
            "a code once enrolment is confirmed for this Secret: skipped",
            facts(new Enrolment.Ours("s-1")).confirmedFor("s-1").code(),
            UserPlan.Steady.class,
            CodeUse.SKIP,
            "TOTP enrolment is already confirmed",
            null),
        row(
            "a code after the enrolment Secret was replaced: checked",
            facts(new Enrolment.Ours("s-2")).confirmedFor("s-1").code(),
            UserPlan.Steady.class,
            CodeUse.CHECK,
            null,
            null),
        row(
            "a code after the enrolment Secret was lost: checked (it is created first)",
            facts(new Enrolment.Missing()).confirmedFor("s-1").code(),
            UserPlan.CreateEnrolment.class,
            CodeUse.CHECK,
            null,
            null),
        row(
            "a code before enrolment is confirmed: checked",
            facts(new Enrolment.Ours("s-1")).recorded("s-1", false).code(),
            UserPlan.Steady.class,
            CodeUse.CHECK,
            null,
            null),
        // The lock.
        row(
            "locked: looked at again when the lock ends",
            facts(new Enrolment.Ours("s-1")).lockedUntil(NOW.plusSeconds(300)),
            UserPlan.Steady.class,
            CodeUse.NONE,
            null,
            NOW.plusSeconds(300)),
        row(
            "a code while locked is still checked (and refused), the lock end still counts",
            facts(new Enrolment.Ours("s-1")).lockedUntil(NOW.plusSeconds(300)).code(),
            UserPlan.Steady.class,
            CodeUse.CHECK,
            null,
            NOW.plusSeconds(300)),
        row(
            "a lock that is over: nothing to wait for",
            facts(new Enrolment.Ours("s-1")).lockedUntil(NOW),
            UserPlan.Steady.class,
            CodeUse.NONE,
            null,
            null),
        row(
            "a lock left from before MFA was turned off: nothing to wait for",
            facts(null).mfa(false).lockedUntil(NOW.plusSeconds(300)),
            UserPlan.Steady.class,
            CodeUse.NONE,
            null,
            null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void plans(Row row) {
    UserPlan plan = UserPlanner.plan(row.facts());
    assertThat(plan.step()).as("step").isInstanceOf(row.step());
    assertThat(plan.code().use()).as("code").isEqualTo(row.code());
    if (row.code() == CodeUse.SKIP) {
      assertThat(plan.code().skipWhy()).isEqualTo(row.skipWhy());
    }
    assertThat(plan.next()).as("next").isEqualTo(row.next());
  }

  @Test
  void aForeignSecretsConflictNamesIt() {
    UserPlan plan = UserPlanner.plan(facts(new Enrolment.Foreign()).build());
    assertThat(((UserPlan.Conflict) plan.step()).message())
        .isEqualTo(
            "enrolment Secret keyward-system/alice-totp exists and is not Keyward's for this user");
  }

  @Test
  void aCodeOfAConfirmedUserWithAnInvalidSpecIsNotNeeded() {
    UserPlan plan =
        UserPlanner.plan(
            facts(null)
                .violations("spec.namespaces: must not be empty")
                .confirmedFor("s-1")
                .code()
                .build());
    assertThat(plan.code().use()).isEqualTo(CodeUse.SKIP);
  }

  static Arguments row(
      String situation, Facts f, Class<?> step, CodeUse code, String skipWhy, Instant next) {
    return Arguments.of(new Row(situation, f.build(), step, code, skipWhy, next));
  }

  static Facts facts(Enrolment e) {
    return new Facts(e);
  }

  /** The facts of user alice: MFA required, a valid spec, nothing recorded, no code. */
  static final class Facts {
    final Enrolment enrolment;
    final ApiUserStatus status = new ApiUserStatus();
    boolean mfa = true;
    List<String> violations = List.of();
    boolean code;

    Facts(Enrolment enrolment) {
      this.enrolment = enrolment;
    }

    Facts mfa(boolean on) {
      mfa = on;
      return this;
    }

    Facts violations(String... v) {
      violations = List.of(v);
      return this;
    }

    Facts code() {
      code = true;
      return this;
    }

    Facts confirmedFor(String uid) {
      return recorded(uid, true);
    }

    Facts recorded(String uid, boolean confirmed) {
      mfa().enrolmentSecret = new ApiUserStatus.SecretRef();
      mfa().enrolmentSecret.namespace = "keyward-system";
      mfa().enrolmentSecret.name = "alice-totp";
      mfa().enrolmentSecret.uid = uid;
      mfa().confirmed = confirmed;
      return this;
    }

    Facts lockedUntil(Instant t) {
      mfa().lockedUntil = t.toString();
      return this;
    }

    private ApiUserStatus.MfaStatus mfa() {
      if (status.mfa == null) {
        status.mfa = new ApiUserStatus.MfaStatus();
      }
      return status.mfa;
    }

    UserFacts build() {
      return new UserFacts(
          NOW,
          "alice",
          2,
          status,
          violations,
          mfa,
          false,
          ENROLMENT,
          enrolment,
          code,
          5,
          AccountAudit.settings(null, mfa, false, 5));
    }
  }
}
