package io.keyward.operator.apiuser;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.apiuser.UserFacts.Enrolment;
import io.keyward.operator.apiuser.UserFacts.Seed;
import io.keyward.operator.apiuser.UserPlan.CodeUse;
import io.keyward.operator.apiuser.UserPlan.Seal;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ApiUser planner's table: how the sealed TOTP secret changes (first, reset, migration), the
 * step for each state of the enrolment Secret against it, what a code that arrived is for, and when
 * the user is looked at again.
 */
class UserPlannerTest {
  static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  static final String ENROLMENT = "keyward-system/alice-totp";

  /** One row; {@code skipWhy} only for SKIP. */
  record Row(
      String situation,
      UserFacts facts,
      Class<?> step,
      Seal seal,
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
        // The first secret.
        row(
            "a new user: a secret is sealed, and nothing else is written yet",
            facts(new Enrolment.Missing()).seed(Seed.NONE),
            UserPlan.Steady.class,
            Seal.NEW,
            CodeUse.NONE),
        row(
            "a Secret there before any secret was sealed is not read: a new secret",
            facts(new Enrolment.Impostor()).seed(Seed.NONE),
            UserPlan.Steady.class,
            Seal.NEW,
            CodeUse.NONE),
        // Pending: the enrolment Secret is a copy of the sealed secret.
        row(
            "pending, no enrolment Secret: the copy is written (the same secret)",
            facts(new Enrolment.Missing()),
            UserPlan.CreateCopy.class,
            Seal.KEEP,
            CodeUse.NONE),
        row(
            "pending, the copy is there: steady",
            facts(new Enrolment.Copy("s-1")),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.NONE),
        row(
            "pending, a Secret of Keyward's type that is not the copy: replaced unread",
            facts(new Enrolment.Impostor()),
            UserPlan.ReplaceImpostor.class,
            Seal.KEEP,
            CodeUse.NONE),
        row(
            "pending, a Secret of another type: touch nothing",
            facts(new Enrolment.Foreign()),
            UserPlan.Conflict.class,
            Seal.KEEP,
            CodeUse.NONE),
        // Confirmed: no copy is kept, none is written again.
        row(
            "confirmed, the copy is there: deleted",
            facts(new Enrolment.Copy("s-1")).confirmed(),
            UserPlan.DeleteCopy.class,
            Seal.KEEP,
            CodeUse.NONE),
        row(
            "confirmed, the copy was deleted: nothing, and no new secret",
            facts(new Enrolment.Missing()).confirmed(),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.NONE),
        row(
            "confirmed, a Secret of Keyward's type appears: deleted unread",
            facts(new Enrolment.Impostor()).confirmed(),
            UserPlan.DeleteImpostor.class,
            Seal.KEEP,
            CodeUse.NONE),
        row(
            "confirmed, a Secret of another type: left alone, nothing needs the name",
            facts(new Enrolment.Foreign()).confirmed(),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.NONE),
        // A sealed secret that does not open.
        row(
            "the sealed secret does not open: nothing is written and no new secret made",
            facts(new Enrolment.Missing()).seed(Seed.UNREADABLE),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.NONE),
        row(
            "a code while the sealed secret does not open: skipped",
            facts(new Enrolment.Missing()).seed(Seed.UNREADABLE).code(),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.SKIP,
            "the sealed TOTP secret does not open (see Ready)"),
        // The reset.
        row(
            "a reset with a new value: a new secret; the Secret waits for it",
            facts(new Enrolment.Missing()).confirmed().reset("ticket-1"),
            UserPlan.Steady.class,
            Seal.NEW,
            CodeUse.NONE),
        row(
            "a reset of a pending enrolment: a new secret",
            facts(new Enrolment.Copy("s-1")).reset("ticket-1"),
            UserPlan.Steady.class,
            Seal.NEW,
            CodeUse.NONE),
        row(
            "a reset of an unreadable secret: a new secret",
            facts(new Enrolment.Missing()).seed(Seed.UNREADABLE).confirmed().reset("ticket-1"),
            UserPlan.Steady.class,
            Seal.NEW,
            CodeUse.NONE),
        row(
            "the reset value already handled (a manifest applied again): nothing",
            facts(new Enrolment.Missing()).confirmed().reset("ticket-1").handled("ticket-1"),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.NONE),
        row(
            "a code that comes with a reset: skipped, it is of the old secret",
            facts(new Enrolment.Missing()).confirmed().reset("ticket-2").handled("ticket-1").code(),
            UserPlan.Steady.class,
            Seal.NEW,
            CodeUse.SKIP,
            "a new TOTP secret is being made: enrol it from Secret keyward-system/alice-totp and"
                + " send a code of it"),
        row(
            "a reset while MFA is off: no secret is made",
            facts(null).mfa(false).confirmed().reset("ticket-1"),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.NONE),
        // Enrolments confirmed before sealed secrets.
        row(
            "confirmed before sealed secrets with the Secret the status recorded: migrated",
            facts(new Enrolment.Legacy("s-1")).seed(Seed.NONE).recorded("s-1", true),
            UserPlan.Steady.class,
            Seal.MIGRATE,
            CodeUse.NONE),
        row(
            "a code while migrating: the enrolment is confirmed, skipped",
            facts(new Enrolment.Legacy("s-1")).seed(Seed.NONE).recorded("s-1", true).code(),
            UserPlan.Steady.class,
            Seal.MIGRATE,
            CodeUse.SKIP,
            "TOTP enrolment is already confirmed"),
        row(
            "confirmed before, but another Secret with Keyward's metadata (planted): a new secret",
            facts(new Enrolment.Legacy("s-2")).seed(Seed.NONE).recorded("s-1", true),
            UserPlan.Steady.class,
            Seal.NEW,
            CodeUse.NONE),
        row(
            "pending before sealed secrets: not carried over, a new secret",
            facts(new Enrolment.Legacy("s-1")).seed(Seed.NONE).recorded("s-1", false),
            UserPlan.Steady.class,
            Seal.NEW,
            CodeUse.NONE),
        row(
            "confirmed before, and the status records no Secret: a new secret",
            facts(new Enrolment.Legacy("s-1")).seed(Seed.NONE).confirmed(),
            UserPlan.Steady.class,
            Seal.NEW,
            CodeUse.NONE),
        // MFA off, an invalid spec.
        row(
            "MFA off: no enrolment Secret is looked at, no secret made",
            facts(null).mfa(false).seed(Seed.NONE),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.NONE),
        row(
            "an invalid spec: no enrolment Secret is looked at, no secret made",
            facts(null).seed(Seed.NONE).violations("spec.namespaces: must not be empty"),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.NONE),
        // A code.
        row(
            "a code while MFA is off: skipped",
            facts(null).mfa(false).code(),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.SKIP,
            "MFA is disabled"),
        row(
            "a code once enrolment is confirmed: skipped",
            facts(new Enrolment.Missing()).confirmed().code(),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.SKIP,
            "TOTP enrolment is already confirmed"),
        row(
            "a code before enrolment is confirmed: checked against the sealed secret",
            facts(new Enrolment.Copy("s-1")).code(),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.CHECK),
        row(
            "a code while pending and the copy was lost: checked (the copy is written again)",
            facts(new Enrolment.Missing()).code(),
            UserPlan.CreateCopy.class,
            Seal.KEEP,
            CodeUse.CHECK),
        row(
            "a code while pending and an impostor is there: checked against the sealed secret",
            facts(new Enrolment.Impostor()).code(),
            UserPlan.ReplaceImpostor.class,
            Seal.KEEP,
            CodeUse.CHECK),
        // The lock.
        row(
            "locked: looked at again when the lock ends",
            facts(new Enrolment.Copy("s-1")).lockedUntil(NOW.plusSeconds(300)),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.NONE,
            null,
            NOW.plusSeconds(300)),
        row(
            "a code while locked is still checked (and refused), the lock end still counts",
            facts(new Enrolment.Copy("s-1")).lockedUntil(NOW.plusSeconds(300)).code(),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.CHECK,
            null,
            NOW.plusSeconds(300)),
        row(
            "a lock that is over: nothing to wait for",
            facts(new Enrolment.Copy("s-1")).lockedUntil(NOW),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.NONE),
        row(
            "a lock left from before MFA was turned off: nothing to wait for",
            facts(null).mfa(false).lockedUntil(NOW.plusSeconds(300)),
            UserPlan.Steady.class,
            Seal.KEEP,
            CodeUse.NONE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void plans(Row row) {
    UserPlan plan = UserPlanner.plan(row.facts());
    assertThat(plan.step()).as("step").isInstanceOf(row.step());
    assertThat(plan.seal()).as("seal").isEqualTo(row.seal());
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
            "Secret keyward-system/alice-totp exists and was not written by Keyward (it is not"
                + " read as a TOTP secret): delete it and the operator writes the enrolment"
                + " Secret");
  }

  @Test
  void aCodeOfAConfirmedUserWithAnInvalidSpecIsNotNeeded() {
    UserPlan plan =
        UserPlanner.plan(
            facts(null)
                .violations("spec.namespaces: must not be empty")
                .confirmed()
                .code()
                .build());
    assertThat(plan.code().use()).isEqualTo(CodeUse.SKIP);
  }

  static Arguments row(String situation, Facts f, Class<?> step, Seal seal, CodeUse code) {
    return row(situation, f, step, seal, code, null, null);
  }

  static Arguments row(
      String situation, Facts f, Class<?> step, Seal seal, CodeUse code, String skipWhy) {
    return row(situation, f, step, seal, code, skipWhy, null);
  }

  static Arguments row(
      String situation,
      Facts f,
      Class<?> step,
      Seal seal,
      CodeUse code,
      String skipWhy,
      Instant next) {
    return Arguments.of(new Row(situation, f.build(), step, seal, code, skipWhy, next));
  }

  static Facts facts(Enrolment e) {
    return new Facts(e);
  }

  /**
   * The facts of user alice: MFA required, a valid spec, a sealed secret that opens (status says
   * so), pending, no code, no reset.
   */
  static final class Facts {
    final Enrolment enrolment;
    final ApiUserStatus status = new ApiUserStatus();
    boolean mfa = true;
    Seed seed = Seed.SEALED;
    List<String> violations = List.of();
    boolean code;
    String reset;

    Facts(Enrolment enrolment) {
      this.enrolment = enrolment;
      mfa().sealedSeed = "v1.sealed";
    }

    Facts mfa(boolean on) {
      mfa = on;
      return this;
    }

    Facts seed(Seed s) {
      seed = s;
      mfa().sealedSeed = s == Seed.NONE ? null : "v1.sealed";
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

    Facts reset(String value) {
      reset = value;
      return this;
    }

    Facts handled(String value) {
      mfa().lastHandledReset = value;
      return this;
    }

    Facts confirmed() {
      mfa().confirmed = true;
      return this;
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
          mfa && violations.isEmpty() ? enrolment : null,
          seed,
          code,
          reset,
          5,
          AccountAudit.settings(null, mfa, false, 5));
    }
  }
}
