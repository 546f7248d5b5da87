package io.keyward.operator.apikey;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.apikey.KeyPlan.AwaitCode;
import io.keyward.operator.apikey.KeyPlan.Blocked;
import io.keyward.operator.apikey.KeyPlan.Cause;
import io.keyward.operator.apikey.KeyPlan.Conflict;
import io.keyward.operator.apikey.KeyPlan.EndGrace;
import io.keyward.operator.apikey.KeyPlan.Expire;
import io.keyward.operator.apikey.KeyPlan.Extend;
import io.keyward.operator.apikey.KeyPlan.Issue;
import io.keyward.operator.apikey.KeyPlan.Leave;
import io.keyward.operator.apikey.KeyPlan.Resume;
import io.keyward.operator.apikey.KeyPlan.Rotate;
import io.keyward.operator.apikey.KeyPlan.StayExpired;
import io.keyward.operator.apikey.KeyPlan.Steady;
import io.keyward.operator.apikey.KeyPlan.SyncSecret;
import io.keyward.operator.apikey.KeyPlan.WaitForSlot;
import io.keyward.operator.apiuser.AccountCheck;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.expiry.Renewal;
import io.keyward.operator.issuance.SecretCheck.Verdict;
import io.keyward.operator.kube.Conditions;
import io.keyward.operator.mfa.AccessPolicy;
import io.keyward.operator.mfa.TotpGuard;
import io.keyward.operator.quota.SlotLedger;
import io.keyward.operator.validation.ApiKeyRules;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The planner's table: one row per situation of the README's rules, each with the step it plans and
 * when the key is looked at again. Keys here are valid for 90 days and renewed 14 days before
 * expiry (the defaults) unless a row says otherwise.
 */
class KeyPlannerTest {
  static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  static final Instant ISSUED = Instant.parse("2026-11-01T10:00:00Z");
  static final Instant EXPIRES = ISSUED.plus(Duration.ofDays(90));
  static final Instant RENEW_AT = EXPIRES.minus(Duration.ofDays(14));
  static final Instant FRESH_RENEW_AT = NOW.plus(Duration.ofDays(76));
  static final ApiKeyRules RULES = new ApiKeyRules(KeywardConfig.defaults());
  static final KeyPlanner PLANNER = new KeyPlanner(Duration.ofDays(365));

  /** One row. */
  record Row(String situation, KeyFacts facts, Class<?> step, Instant next) {
    @Override
    public String toString() {
      return situation;
    }
  }

  static Stream<Arguments> table() {
    Instant inAMonth = NOW.plus(Duration.ofDays(30));
    return Stream.of(
        // Expiry that already happened.
        row(
            "an expired key stays expired",
            issued(s -> s.phase = "Expired"),
            StayExpired.class,
            null),
        row(
            "an expired key with a new renew value starts over as a new key",
            issued(s -> s.phase = "Expired")
                .renew("v2")
                .secret(Verdict.ISSUE)
                .slot(KeyFacts.Slot.FREE),
            Issue.class,
            FRESH_RENEW_AT),
        row(
            "an expired key whose old slot and grant are still held: they go first, then anew",
            issued(s -> s.phase = "Expired")
                .renew("v2")
                .holder("alice")
                .secret(Verdict.ISSUE)
                .slot(KeyFacts.Slot.HOLDS),
            StayExpired.class,
            NOW),
        // The spec.
        row("an invalid spec blocks a new key", fresh().invalid(), Blocked.class, null),
        row(
            "an invalid spec keeps an issued key's deadlines",
            issued().invalid(),
            Blocked.class,
            RENEW_AT),
        row(
            "an issued key with an invalid spec still expires at expiresAt",
            issued().invalid().at(EXPIRES),
            Expire.class,
            EXPIRES),
        // The account.
        row("a missing user blocks the key", fresh().account(missing()), Blocked.class, null),
        row(
            "a namespace the user does not allow blocks the key",
            fresh().account(account(List.of("other"), false, false, false)),
            Blocked.class,
            null),
        row(
            "a suspended user blocks a new key",
            fresh().account(account(List.of("*"), true, false, false)),
            Blocked.class,
            null),
        row(
            "a suspended user blocks an issued key but not its deadlines",
            issued().account(account(List.of("*"), true, false, false)),
            Blocked.class,
            RENEW_AT),
        row(
            "MFA not enrolled blocks a new key",
            fresh().account(account(List.of("*"), false, true, false)),
            Blocked.class,
            null),
        // The slot.
        row("no free slot: the key waits", fresh().slot(waitForSlot()), WaitForSlot.class, null),
        row(
            "an issued key that lost its slot waits, and its deadlines still count",
            issued().slot(waitForSlot()),
            WaitForSlot.class,
            RENEW_AT),
        row(
            "an issued key without a slot still expires",
            issued().slot(waitForSlot()).at(EXPIRES.plusSeconds(1)),
            Expire.class,
            EXPIRES.plusSeconds(1)),
        // MFA.
        row(
            "an MFA user's new key waits for a code",
            fresh().account(mfaEnrolled()),
            AwaitCode.class,
            null),
        row(
            "an MFA user's new key with a code goes on to issue, the code checked first",
            fresh().account(mfaEnrolled()).code(),
            Issue.class,
            FRESH_RENEW_AT),
        row(
            "a locked user's new key waits until the lock ends",
            fresh().account(mfaEnrolled()).totp(locked(NOW.plusSeconds(600))),
            AwaitCode.class,
            NOW.plusSeconds(600)),
        row(
            "a widening edit of an issued MFA key keeps it steady on the narrower settings",
            issued(s -> s.effective.permissions = List.of("read"))
                .account(mfaEnrolled())
                .permissions("read", "trade"),
            Steady.class,
            RENEW_AT),
        // The Secret.
        row("no key and no Secret: issue", fresh(), Issue.class, FRESH_RENEW_AT),
        row(
            "the Secret holds the pending key: finish it",
            issued(s -> s.pending = pending("Rotate")).secret(Verdict.FINISH_PENDING),
            Resume.class,
            NOW),
        row(
            "a pending key never reached the Secret in 10 s: drop it",
            issued(
                    s -> {
                      s.pending = pending("Rotate");
                      s.pending.issuedAt = NOW.minusSeconds(10).toString();
                    })
                .secret(Verdict.DROP_STALE_PENDING),
            Resume.class,
            NOW),
        row(
            "a pending rotation 3 s old the Secret does not hold yet: its writer gets 10 s",
            issued(
                    s -> {
                      s.pending = pending("Rotate");
                      s.pending.issuedAt = NOW.minusSeconds(3).toString();
                    })
                .secret(Verdict.DROP_STALE_PENDING),
            KeyPlan.AwaitPending.class,
            NOW.plusSeconds(7)),
        row(
            "a key being written by another writer, recorded 3 s ago: wait for it",
            fresh()
                .status(
                    s -> {
                      s.pending = pending("Issue");
                      s.pending.issuedAt = NOW.minusSeconds(3).toString();
                    })
                .secret(Verdict.ISSUE),
            KeyPlan.AwaitPending.class,
            NOW.plusSeconds(7)),
        row(
            "a key being written recorded 10 s ago and still no Secret: abandoned, issue anew",
            fresh()
                .status(
                    s -> {
                      s.pending = pending("Issue");
                      s.pending.issuedAt = NOW.minusSeconds(10).toString();
                    })
                .secret(Verdict.ISSUE),
            Issue.class,
            NOW.plus(Duration.ofDays(76))),
        row(
            "a Secret with a key no grant records (planted): replaced, never adopted",
            fresh().secret(Verdict.REPLACE_TAMPERED),
            Issue.class,
            NOW.plus(Duration.ofDays(76))),
        row(
            "the Secret was lost: a new key (pending first, finished in the same pass)",
            issued().secret(Verdict.REISSUE_LOST),
            Issue.class,
            NOW.plus(Duration.ofDays(76))),
        row(
            "the Secret was lost with its namespace: nothing is issued again",
            issued().secret(Verdict.REISSUE_LOST).terminating(),
            Leave.class,
            null),
        row(
            "the Secret holds foreign material: replace it with a new key",
            issued().secret(Verdict.REPLACE_TAMPERED),
            Issue.class,
            NOW.plus(Duration.ofDays(76))),
        row(
            "a Secret of that name is not this key's: look again in a minute",
            fresh().secret(Verdict.CONFLICT),
            Conflict.class,
            NOW.plus(Duration.ofMinutes(1))),
        // A settled key.
        row("a settled key: steady until renewAt", issued(), Steady.class, RENEW_AT),
        row(
            "renewAt reached with Rotate: rotate; next, the end of the old key's grace",
            issued().at(RENEW_AT),
            Rotate.class,
            RENEW_AT.plus(Duration.ofDays(1))),
        row(
            "renewAt reached with Extend: extend by the validity",
            issued().policy("Extend").at(RENEW_AT),
            Extend.class,
            EXPIRES.plus(Duration.ofDays(90)).minus(Duration.ofDays(14))),
        row(
            "renewAt reached with Never: steady until expiresAt",
            issued().policy("Never").at(RENEW_AT),
            Steady.class,
            EXPIRES),
        row(
            "expiresAt reached with Never: expire",
            issued().policy("Never").at(EXPIRES),
            Expire.class,
            EXPIRES),
        row(
            "expiresAt passed with Rotate (the operator was down): rotate at once",
            issued().at(EXPIRES.plusSeconds(60)),
            Rotate.class,
            EXPIRES.plusSeconds(60).plus(Duration.ofDays(76))),
        row(
            "a rotate value not acted on: rotate now",
            issued().rotate("2026-12-01"),
            Rotate.class,
            NOW.plus(Duration.ofDays(1))),
        row(
            "a renew value not acted on: extend now",
            issued().renew("2026-12-01"),
            Extend.class,
            EXPIRES.plus(Duration.ofDays(90)).minus(Duration.ofDays(14))),
        row(
            "the previous key's grace is over: it leaves the Secret first",
            issued(s -> s.previous = previous(NOW.minusSeconds(1))),
            EndGrace.class,
            NOW),
        row(
            "a previous key the status no longer lists leaves the Secret",
            issued().secretHasPrevious(),
            EndGrace.class,
            NOW),
        row(
            "the Secret's metadata drifted: bring it in line",
            issued().drift(),
            SyncSecret.class,
            RENEW_AT),
        row(
            "during a grace period: look again at its end",
            issued(s -> s.previous = previous(inAMonth.minus(Duration.ofDays(25)))),
            Steady.class,
            inAMonth.minus(Duration.ofDays(25))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void plansOneStepAndItsDeadline(Row row) {
    KeyPlan plan = PLANNER.plan(row.facts());
    assertThat(plan.step()).as(row.situation()).isInstanceOf(row.step());
    assertThat(plan.next()).as(row.situation() + ": next look").isEqualTo(row.next());
  }

  @org.junit.jupiter.api.Test
  void theTableCoversEveryStep() {
    List<Class<?>> covered =
        table().<Class<?>>map(a -> ((Row) a.get()[0]).step()).distinct().toList();
    assertThat(covered)
        .containsAll(
            Stream.of(KeyPlan.class.getDeclaredClasses())
                .filter(c -> c.isRecord() && KeyPlan.Step.class.isAssignableFrom(c))
                .<Class<?>>map(c -> c)
                .toList());
  }

  @org.junit.jupiter.api.Test
  void detailsOfTheRows() {
    // An MFA user's key takes no slot while it waits for a code, and claims one with its code.
    assertThat(PLANNER.plan(fresh().account(mfaEnrolled()).build()).claimSlot()).isFalse();
    assertThat(PLANNER.plan(fresh().account(mfaEnrolled()).code().build()).claimSlot()).isTrue();
    // A new key claims its slot; an issued one that holds its slot claims nothing.
    assertThat(PLANNER.plan(fresh().slot(KeyFacts.Slot.FREE).build()).claimSlot()).isTrue();
    assertThat(PLANNER.plan(issued().build()).claimSlot()).isFalse();
    // A code on a key that cannot use it is discarded with a reason; one that is not needed is
    // skipped.
    assertThat(PLANNER.plan(fresh().invalid().code().build()).discardCode())
        .isEqualTo("the spec is invalid");
    assertThat(PLANNER.plan(fresh().slot(waitForSlot()).code().build()).discardCode())
        .isEqualTo("the key waits for a slot");
    assertThat(PLANNER.plan(issued().account(mfaEnrolled()).code().build()).access().code())
        .isEqualTo(AccessPolicy.CodeUse.SKIP);
    assertThat(PLANNER.plan(fresh().code().build()).discardCode())
        .isEqualTo("ApiUser alice has MFA disabled");
    // The code on a widening edit is checked; meanwhile the narrower settings are in force.
    KeyPlan widening =
        PLANNER.plan(
            issued(s -> s.effective.permissions = List.of("read"))
                .account(mfaEnrolled())
                .permissions("read", "trade")
                .code()
                .build());
    assertThat(widening.access().code()).isEqualTo(AccessPolicy.CodeUse.CHECK);
    assertThat(widening.access().inForce().permissions()).containsExactly("read");
    // A lost Secret of a key never issued is a first issuance (no pending record to write).
    assertThat(
            ((Issue) PLANNER.plan(fresh().secret(Verdict.REPLACE_TAMPERED).build()).step()).cause())
        .isEqualTo(Cause.FIRST);
    assertThat(((Issue) PLANNER.plan(issued().secret(Verdict.REISSUE_LOST).build()).step()).cause())
        .isEqualTo(Cause.SECRET_LOST);
    // A rotation past expiry gives the old key no grace; one at renewAt gives it the grace period.
    assertThat(
            ((Rotate) PLANNER.plan(issued().at(EXPIRES.plusSeconds(60)).build()).step())
                .previousValidUntil())
        .isNull();
    assertThat(((Rotate) PLANNER.plan(issued().at(RENEW_AT).build()).step()).previousValidUntil())
        .isEqualTo(RENEW_AT.plus(Duration.ofHours(24)));
    // An invalid issued key past its grace end drops the previous key while it stays blocked.
    Blocked b =
        (Blocked)
            PLANNER
                .plan(issued(s -> s.previous = previous(NOW.minusSeconds(1))).invalid().build())
                .step();
    assertThat(b.endGrace()).isTrue();
    assertThat(b.phase()).isEqualTo("Invalid");
    // A suspended user's issued key keeps its phase; a new one shows Pending.
    assertThat(
            ((Blocked)
                    PLANNER
                        .plan(issued().account(account(List.of("*"), true, false, false)).build())
                        .step())
                .phase())
        .isNull();
    assertThat(
            ((Blocked)
                    PLANNER
                        .plan(fresh().account(account(List.of("*"), true, false, false)).build())
                        .step())
                .phase())
        .isEqualTo("Pending");
  }

  // --- building facts ---

  static Arguments row(String situation, Facts f, Class<?> step, Instant next) {
    return Arguments.of(new Row(situation, f.build(), step, next));
  }

  static Facts fresh() {
    return new Facts(new ApiKeyStatus());
  }

  static Facts issued() {
    return issued(s -> {});
  }

  static Facts issued(java.util.function.Consumer<ApiKeyStatus> change) {
    ApiKeyStatus s = new ApiKeyStatus();
    s.phase = "Active";
    s.accessKey = "KWCURRENT";
    s.secretFingerprint = "sha256:current";
    s.secretName = "bot-credentials";
    s.algorithm = "HmacSHA256";
    s.issuedAt = ISSUED.toString();
    s.expiresAt = EXPIRES.toString();
    s.renewAt = RENEW_AT.toString();
    s.effective = new ApiKeyStatus.Effective();
    s.effective.user = "alice";
    s.effective.type = "spot";
    s.effective.permissions = List.of("read");
    s.effective.ipWhitelist = List.of();
    Conditions.set(s.conditions, Conditions.READY, true, "Issued", "active", 1L, ISSUED);
    Conditions.set(
        s.conditions, Conditions.SECRET_PRESENT, true, "SecretWritten", "ok", 1L, ISSUED);
    change.accept(s);
    return new Facts(s).secret(Verdict.STEADY).slot(KeyFacts.Slot.HOLDS);
  }

  static ApiKeyStatus.PendingKey pending(String reason) {
    ApiKeyStatus.PendingKey p = new ApiKeyStatus.PendingKey();
    p.accessKey = "KWNEXT";
    p.secretFingerprint = "sha256:next";
    p.issuedAt = NOW.toString();
    p.expiresAt = NOW.plus(Duration.ofDays(90)).toString();
    p.reason = reason;
    return p;
  }

  static ApiKeyStatus.PreviousKey previous(Instant validUntil) {
    ApiKeyStatus.PreviousKey p = new ApiKeyStatus.PreviousKey();
    p.accessKey = "KWPREVIOUS";
    p.validUntil = validUntil.toString();
    return p;
  }

  static AccountCheck.Account account(
      List<String> namespaces, boolean suspended, boolean mfa, boolean confirmed) {
    return new AccountCheck.Account("alice", true, namespaces, suspended, mfa, confirmed);
  }

  static AccountCheck.Account missing() {
    return AccountCheck.Account.missing("alice");
  }

  static AccountCheck.Account mfaEnrolled() {
    return account(List.of("*"), false, true, true);
  }

  static KeyFacts.Slot waitForSlot() {
    return new KeyFacts.Slot.Wait(
        new SlotLedger.Wait(List.of(new SlotLedger.Slot("ns", "holder", "u1", "spot")), 1, 0));
  }

  static TotpGuard.State locked(Instant until) {
    return new TotpGuard.State(null, List.of(), until);
  }

  /** A builder of facts: a valid key of user alice in namespace ns, MFA off, a free slot. */
  static final class Facts {
    ApiKeyStatus status;
    ApiKeySpec spec = new ApiKeySpec();
    AccountCheck.Account account = KeyPlannerTest.account(List.of("*"), false, false, false);
    KeyFacts.Slot slot = KeyFacts.Slot.FREE;
    Verdict secret = Verdict.ISSUE;
    boolean drift;
    boolean secretHasPrevious;
    String rotate;
    String renew;
    boolean code;
    TotpGuard.State totp = TotpGuard.State.EMPTY;
    boolean terminating;
    String holder;
    Instant now = NOW;

    Facts(ApiKeyStatus status) {
      this.status = status;
      spec.user = "alice";
      spec.note = "a bot";
      spec.permissions = new ArrayList<>(List.of("read"));
    }

    Facts invalid() {
      spec.note = " ";
      return this;
    }

    Facts account(AccountCheck.Account a) {
      account = a;
      return this;
    }

    Facts slot(KeyFacts.Slot s) {
      slot = s;
      return this;
    }

    Facts secret(Verdict v) {
      secret = v;
      return this;
    }

    Facts holder(String user) {
      holder = user;
      return this;
    }

    Facts status(java.util.function.Consumer<ApiKeyStatus> change) {
      change.accept(status);
      return this;
    }

    Facts drift() {
      drift = true;
      return this;
    }

    Facts secretHasPrevious() {
      secretHasPrevious = true;
      return this;
    }

    Facts rotate(String v) {
      rotate = v;
      return this;
    }

    Facts renew(String v) {
      renew = v;
      return this;
    }

    Facts code() {
      code = true;
      return this;
    }

    Facts totp(TotpGuard.State t) {
      totp = t;
      return this;
    }

    Facts terminating() {
      terminating = true;
      return this;
    }

    Facts at(Instant t) {
      now = t;
      return this;
    }

    Facts policy(String policy) {
      spec.renewal = new ApiKeySpec.Renewal();
      spec.renewal.policy = policy;
      return this;
    }

    Facts permissions(String... p) {
      spec.permissions = new ArrayList<>(List.of(p));
      if (List.of(p).contains("withdraw")) {
        spec.ipWhitelist = List.of("203.0.113.10");
      }
      return this;
    }

    KeyFacts build() {
      ApiKeyRules.Result validation =
          RULES.validate(
              "bot",
              spec,
              KeyPlanner.startsOver(status, renew)
                  ? ApiKeyRules.Prior.NONE
                  : KeyObserver.prior(status));
      return new KeyFacts(
          now,
          new KeyFacts.KeyId("ns", "bot", "uid-1", 1),
          status,
          validation,
          account,
          slot,
          5,
          secret,
          drift,
          secretHasPrevious,
          new Renewal.Triggers(rotate, status.lastHandledRotate, renew, status.lastHandledRenew),
          code,
          totp,
          terminating,
          holder,
          null,
          List.of(),
          code ? Long.valueOf(1) : null);
    }
  }
}
