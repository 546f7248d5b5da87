package io.keyward.operator.apikey;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.Condition;
import io.keyward.operator.apikey.KeyActions.Done;
import io.keyward.operator.apikey.KeyPlan.AwaitCode;
import io.keyward.operator.apikey.KeyPlan.Blocked;
import io.keyward.operator.apikey.KeyPlan.Conflict;
import io.keyward.operator.apikey.KeyPlan.EndGrace;
import io.keyward.operator.apikey.KeyPlan.Expire;
import io.keyward.operator.apikey.KeyPlan.Extend;
import io.keyward.operator.apikey.KeyPlan.Issue;
import io.keyward.operator.apikey.KeyPlan.Resume;
import io.keyward.operator.apikey.KeyPlan.Rotate;
import io.keyward.operator.apikey.KeyPlan.Steady;
import io.keyward.operator.apikey.KeyPlan.WaitForSlot;
import io.keyward.operator.apiuser.AccountCheck;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.expiry.Renewal;
import io.keyward.operator.issuance.SecretCheck.Verdict;
import io.keyward.operator.kube.Conditions;
import io.keyward.operator.mfa.TotpGuard;
import io.keyward.operator.quota.SlotLedger;
import io.keyward.operator.validation.ApiKeyRules;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The status table: for each step the planner takes (and what the actions did), the status a user
 * reads next. Keys are valid for 90 days and renewed 14 days before expiry (the defaults); the
 * issued key's conditions date from {@link #ISSUED}, so a condition whose status did not change
 * keeps that lastTransitionTime and one that did gets {@link #NOW}.
 */
class KeyStatusTest {
  static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  static final Instant ISSUED = Instant.parse("2026-11-01T10:00:00Z");
  static final Instant EXPIRES = ISSUED.plus(Duration.ofDays(90));
  static final Instant RENEW_AT = EXPIRES.minus(Duration.ofDays(14));
  static final Instant NEW_EXPIRES = NOW.plus(Duration.ofDays(90));
  static final Instant LOST_AT = Instant.parse("2026-11-20T08:00:00Z");
  static final long GEN = 3;
  static final Duration MAX_LIFETIME = Duration.ofDays(365);
  static final ApiKeyRules RULES = new ApiKeyRules(KeywardConfig.defaults());
  static final KeyPlanner PLANNER = new KeyPlanner(MAX_LIFETIME);

  /**
   * One row: the facts, the step the planner must pick for them, what the actions did, and the
   * status expected. {@code previous} and {@code pending} are access keys (null: none).
   */
  record Row(
      String situation,
      KeyFacts facts,
      Class<?> step,
      Function<KeyPlan, Done> done,
      String phase,
      String accessKey,
      String previous,
      String pending,
      List<String> conditions,
      Consumer<ApiKeyStatus> more) {
    @Override
    public String toString() {
      return situation;
    }
  }

  static Stream<RowBuilder> table() {
    return Stream.of(
        // Blocked: nothing is written but status.
        row("an invalid spec blocks a new key", fresh().invalid(), Blocked.class, nothing())
            .expect("Invalid", null, null, null, "Ready=False/InvalidSpec")
            .and(s -> assertThat(s.effective).isNull()),
        row(
                "a suspended user blocks an issued key, which keeps its phase and Secret",
                issued().account(account(true, false, false)),
                Blocked.class,
                nothing())
            .expect(
                "Active",
                "KWCURRENT",
                null,
                null,
                "Ready=False/UserSuspended",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld")
            .and(
                s -> {
                  assertThat(condition(s, "Ready").lastTransitionTime).isEqualTo(NOW.toString());
                  assertThat(condition(s, "Ready").message).contains("ApiUser alice is suspended");
                  assertThat(condition(s, "SecretPresent").lastTransitionTime)
                      .isEqualTo(ISSUED.toString());
                }),
        row(
                "an invalid issued key past its grace end drops the previous key (endGrace)",
                issued(s -> s.previous = previous(NOW.minusSeconds(1))).invalid(),
                Blocked.class,
                nothing())
            .expect(
                "Invalid",
                "KWCURRENT",
                null,
                null,
                "Ready=False/InvalidSpec",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld"),
        row(
                "an edit that makes an issued key invalid keeps the last valid settings in force",
                issued().permissions("read", "trade").invalid(),
                Blocked.class,
                nothing())
            .expect(
                "Invalid",
                "KWCURRENT",
                null,
                null,
                "Ready=False/InvalidSpec",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld")
            .and(
                s -> {
                  assertThat(s.effective.permissions).containsExactly("read");
                  assertThat(s.expiresAt).isEqualTo(EXPIRES.toString());
                  assertThat(condition(s, "Ready").message).contains("spec.note");
                }),
        row(
                "an invalid issued key within its grace keeps the previous key",
                issued(s -> s.previous = previous(NOW.plusSeconds(60))).invalid(),
                Blocked.class,
                nothing())
            .expect(
                "Invalid",
                "KWCURRENT",
                "KWPREVIOUS",
                null,
                "Ready=False/InvalidSpec",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld"),
        row(
                "MFA not enrolled blocks a new key and explains Verified too (verifiedToo)",
                fresh().account(account(false, true, false)),
                Blocked.class,
                nothing())
            .expect(
                "AwaitingVerification",
                null,
                null,
                null,
                "Verified=False/MfaNotEnrolled",
                "Ready=False/MfaNotEnrolled"),
        // The slot.
        row(
                "no free slot: a new key waits",
                fresh().slot(waitForSlot()),
                WaitForSlot.class,
                nothing())
            .expect(
                "Pending",
                null,
                null,
                null,
                "QuotaAvailable=False/KeyLimitReached",
                "Ready=False/KeyLimitReached")
            .and(
                s ->
                    assertThat(condition(s, "QuotaAvailable").message)
                        .startsWith(
                            "ApiUser alice has 1 of 1 key slots in use, held by ns/holder")),
        row(
                "an issued key without a slot waits, keeps its phase, and its grace still ends",
                issued(s -> s.previous = previous(NOW.minusSeconds(1))).slot(waitForSlot()),
                WaitForSlot.class,
                nothing())
            .expect(
                "Active",
                "KWCURRENT",
                null,
                null,
                "QuotaAvailable=False/KeyLimitReached",
                "Ready=False/KeyLimitReached",
                "SecretPresent=True/SecretWritten")
            .and(
                s ->
                    assertThat(condition(s, "QuotaAvailable").lastTransitionTime)
                        .isEqualTo(NOW.toString())),
        row(
                "the slot was lost in the claim: the key waits, nothing is issued",
                fresh(),
                Issue.class,
                p -> new Done(null, waitWhy(), null, null, false, null, null))
            .expect(
                "Pending",
                null,
                null,
                null,
                "QuotaAvailable=False/KeyLimitReached",
                "Ready=False/KeyLimitReached")
            .and(s -> assertThat(s.effective).isNull()),
        // MFA: a new key waits for its code.
        row(
                "an MFA user's new key waits for a code without taking a slot",
                fresh().account(mfaEnrolled()),
                AwaitCode.class,
                nothing())
            .expect(
                "AwaitingVerification",
                null,
                null,
                null,
                "QuotaAvailable=True/SlotFree",
                "Verified=False/AwaitingCode",
                "Ready=False/AwaitingVerification")
            .and(
                s -> {
                  assertThat(condition(s, "Ready").message)
                      .isEqualTo(condition(s, "Verified").message)
                      .contains("keyward.io/totp-code");
                  assertThat(s.effective).isNull();
                }),
        // Issuance.
        row(
                "a first issuance is recorded as current at once",
                fresh().rotate("r1").renew("n1"),
                Issue.class,
                p -> new Done(null, null, null, pendingKey("Issue", null), false, null, null))
            .expect(
                "Active",
                "KWNEXT",
                null,
                null,
                "QuotaAvailable=True/SlotHeld",
                "SecretPresent=True/SecretWritten",
                "Ready=True/Issued")
            .and(
                s -> {
                  assertThat(s.issuedAt).isEqualTo(NOW.toString());
                  assertThat(s.expiresAt).isEqualTo(NEW_EXPIRES.toString());
                  assertThat(s.renewAt)
                      .isEqualTo(NEW_EXPIRES.minus(Duration.ofDays(14)).toString());
                  assertThat(s.secretFingerprint).isEqualTo("sha256:next");
                  assertThat(s.secretName).isEqualTo("bot-credentials");
                  assertThat(s.effective.permissions).containsExactly("read");
                  assertThat(s.effective.user).isEqualTo("alice");
                  assertThat(s.effective.type).isEqualTo("spot");
                  // A new key answers every manual request made so far.
                  assertThat(s.lastHandledRotate).isEqualTo("r1");
                  assertThat(s.lastHandledRenew).isEqualTo("n1");
                  assertThat(condition(s, "SecretPresent").message)
                      .isEqualTo("Secret bot-credentials holds access key KWNEXT");
                  assertThat(condition(s, "Ready").message)
                      .isEqualTo("access key KWNEXT is active until " + NEW_EXPIRES);
                }),
        row(
                "a re-issue after a lost Secret is recorded as pending first",
                issued().secret(Verdict.REISSUE_LOST),
                Issue.class,
                p -> new Done(null, null, null, pendingKey("SecretLost", null), true, null, null))
            .expect(
                "Active",
                "KWCURRENT",
                null,
                "KWNEXT",
                "Ready=True/Issued",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld")
            .and(
                s -> {
                  assertThat(s.pending.reason).isEqualTo("SecretLost");
                  assertThat(s.expiresAt).isEqualTo(EXPIRES.toString());
                }),
        row(
                "a rotation records the new key as pending; the current key stays current",
                issued().at(RENEW_AT).rotate("r2"),
                Rotate.class,
                p ->
                    new Done(
                        null,
                        null,
                        null,
                        pendingKey("Rotate", ((Rotate) p.step()).previousValidUntil()),
                        true,
                        null,
                        null))
            .expect(
                "Active",
                "KWCURRENT",
                null,
                "KWNEXT",
                "Ready=True/Issued",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld")
            .and(
                s -> {
                  assertThat(s.pending.previousValidUntil)
                      .isEqualTo(RENEW_AT.plus(Duration.ofHours(24)).toString());
                  // Not handled until the rotation is finished.
                  assertThat(s.lastHandledRotate).isNull();
                }),
        // Resume.
        row(
                "a rotation of keys with passphrases finished: each fingerprint follows its key",
                issued(
                        s -> {
                          s.passphraseFingerprint = "sha256:current-passphrase";
                          s.pending =
                              pendingKey("Rotate", NOW.plus(Duration.ofHours(24)).toString());
                          s.pending.passphraseFingerprint = "sha256:next-passphrase";
                          s.lastUsedAt = NOW.minusSeconds(30).toString();
                        })
                    .secret(Verdict.FINISH_PENDING),
                Resume.class,
                nothing())
            .expect(
                "Active",
                "KWNEXT",
                "KWCURRENT",
                null,
                "Ready=True/Issued",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld")
            .and(
                s -> {
                  assertThat(s.passphraseFingerprint).isEqualTo("sha256:next-passphrase");
                  assertThat(s.previous.passphraseFingerprint)
                      .isEqualTo("sha256:current-passphrase");
                  assertThat(s.lastUsedAt)
                      .as("the verifier's field, kept as read")
                      .isEqualTo(NOW.minusSeconds(30).toString());
                }),
        row(
                "a rotation finished: the replaced key verifies until previousValidUntil",
                issued(
                        s ->
                            s.pending =
                                pendingKey("Rotate", NOW.plus(Duration.ofHours(24)).toString()))
                    .secret(Verdict.FINISH_PENDING)
                    .rotate("r2"),
                Resume.class,
                nothing())
            .expect(
                "Active",
                "KWNEXT",
                "KWCURRENT",
                null,
                "Ready=True/Issued",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld")
            .and(
                s -> {
                  assertThat(s.previous.validUntil)
                      .isEqualTo(NOW.plus(Duration.ofHours(24)).toString());
                  assertThat(s.previous.secretFingerprint).isEqualTo("sha256:current");
                  assertThat(s.previous.algorithm).isEqualTo("HmacSHA256");
                  assertThat(s.expiresAt).isEqualTo(NEW_EXPIRES.toString());
                  assertThat(s.renewAt)
                      .isEqualTo(NEW_EXPIRES.minus(Duration.ofDays(14)).toString());
                  assertThat(s.lastHandledRotate).isEqualTo("r2");
                  // SecretPresent stayed True: its transition time is the first write's.
                  assertThat(condition(s, "SecretPresent").lastTransitionTime)
                      .isEqualTo(ISSUED.toString());
                  assertThat(condition(s, "SecretPresent").message)
                      .isEqualTo("Secret bot-credentials holds access key KWNEXT");
                }),
        row(
                "a rotation without grace finished: no previous key, not even an older one",
                issued(
                        s -> {
                          s.previous = previous(NOW.plusSeconds(600));
                          s.pending = pendingKey("Rotate", null);
                        })
                    .secret(Verdict.FINISH_PENDING),
                Resume.class,
                nothing())
            .expect(
                "Active",
                "KWNEXT",
                null,
                null,
                "Ready=True/Issued",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld"),
        row(
                "a re-issue after a loss finished: SecretLost names every key the loss revoked",
                issued(
                        s -> {
                          s.previous = previous(NOW.plusSeconds(600));
                          s.pending = pendingKey("SecretLost", null);
                        })
                    .secret(Verdict.FINISH_PENDING),
                Resume.class,
                nothing())
            .expect(
                "Active",
                "KWNEXT",
                null,
                null,
                "Ready=True/Issued",
                "SecretPresent=True/SecretLost",
                "QuotaAvailable=True/SlotHeld")
            .and(
                s ->
                    assertThat(condition(s, "SecretPresent").message)
                        .isEqualTo(
                            "Secret was lost or tampered with at "
                                + NOW
                                + "; access key KWCURRENT, KWPREVIOUS was revoked and KWNEXT"
                                + " issued")),
        row(
                "a pending key that never reached the Secret (in 10 s) is dropped",
                issued(
                        s -> {
                          s.pending = pendingKey("Rotate", null);
                          s.pending.issuedAt = NOW.minusSeconds(10).toString();
                        })
                    .secret(Verdict.DROP_STALE_PENDING),
                Resume.class,
                nothing())
            .expect(
                "Active",
                "KWCURRENT",
                null,
                null,
                "Ready=True/Issued",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld")
            .and(s -> assertThat(s.expiresAt).isEqualTo(EXPIRES.toString())),
        // A settled key's deadlines.
        row(
                "Extend at renewAt: the same key lives on, Active again",
                issued(s -> s.phase = "Expiring").policy("Extend").at(RENEW_AT),
                Extend.class,
                nothing())
            .expect(
                "Active",
                "KWCURRENT",
                null,
                null,
                "Ready=True/Issued",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld")
            .and(
                s -> {
                  Instant extended = EXPIRES.plus(Duration.ofDays(90));
                  assertThat(s.expiresAt).isEqualTo(extended.toString());
                  assertThat(s.renewAt).isEqualTo(extended.minus(Duration.ofDays(14)).toString());
                  assertThat(s.issuedAt).isEqualTo(ISSUED.toString());
                  assertThat(condition(s, "Ready").message).endsWith("active until " + extended);
                  assertThat(condition(s, "Ready").lastTransitionTime).isEqualTo(ISSUED.toString());
                }),
        row(
                "a renew value extends now and is marked handled",
                issued().renew("2026-12-01"),
                Extend.class,
                nothing())
            .expect(
                "Active",
                "KWCURRENT",
                null,
                null,
                "Ready=True/Issued",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld")
            .and(
                s -> {
                  assertThat(s.lastHandledRenew).isEqualTo("2026-12-01");
                  assertThat(s.expiresAt).isEqualTo(EXPIRES.plus(Duration.ofDays(90)).toString());
                }),
        row(
                "the grace period is over: the previous key leaves status",
                issued(s -> s.previous = previous(NOW.minusSeconds(1))),
                EndGrace.class,
                nothing())
            .expect(
                "Active",
                "KWCURRENT",
                null,
                null,
                "Ready=True/Issued",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld"),
        row(
                "expiresAt with Never: Expired, Secret and slot gone, the record stays",
                issued(s -> s.previous = previous(EXPIRES.plusSeconds(60)))
                    .policy("Never")
                    .at(EXPIRES),
                Expire.class,
                nothing())
            .expect(
                "Expired",
                "KWCURRENT",
                null,
                null,
                "Ready=False/Expired",
                "SecretPresent=False/Expired")
            .and(
                s -> {
                  assertThat(s.renewAt).isNull();
                  assertThat(condition(s, "Ready").message)
                      .startsWith("access key KWCURRENT expired at " + EXPIRES)
                      .endsWith(
                          "annotate the ApiKey with keyward.io/renew=<new value> to issue a new key");
                  assertThat(condition(s, "SecretPresent").message)
                      .isEqualTo("Secret bot-credentials deleted when the key expired");
                }),
        // The Secret's name is taken.
        row(
                "a Secret of that name is not this key's: a new key stays Pending",
                fresh().secret(Verdict.CONFLICT),
                Conflict.class,
                nothing())
            .expect(
                "Pending",
                null,
                null,
                null,
                "QuotaAvailable=True/SlotHeld",
                "SecretPresent=False/SecretConflict",
                "Ready=False/SecretConflict")
            .and(
                s ->
                    assertThat(condition(s, "Ready").message)
                        .startsWith("Secret bot-credentials exists and is not controlled")),
        row(
                "a Secret of that name is not this key's: an issued key keeps its phase",
                issued().secret(Verdict.CONFLICT),
                Conflict.class,
                nothing())
            .expect(
                "Active",
                "KWCURRENT",
                null,
                null,
                "Ready=False/SecretConflict",
                "SecretPresent=False/SecretConflict",
                "QuotaAvailable=True/SlotHeld"),
        // Steady.
        row(
                "a steady key keeps a past SecretLost condition's history",
                issued(
                    s -> {
                      Condition c = Conditions.find(s.conditions, "SecretPresent").orElseThrow();
                      c.reason = "SecretLost";
                      c.message = "Secret was lost at " + LOST_AT;
                      c.lastTransitionTime = LOST_AT.toString();
                    }),
                Steady.class,
                nothing())
            .expect(
                "Active",
                "KWCURRENT",
                null,
                null,
                "Ready=True/Issued",
                "SecretPresent=True/SecretLost",
                "QuotaAvailable=True/SlotHeld")
            .and(
                s -> {
                  Condition c = condition(s, "SecretPresent");
                  assertThat(c.message).isEqualTo("Secret was lost at " + LOST_AT);
                  assertThat(c.lastTransitionTime).isEqualTo(LOST_AT.toString());
                  assertThat(c.observedGeneration).isEqualTo(GEN);
                }),
        row(
                "a steady key past renewAt with Never shows Expiring",
                issued().policy("Never").at(RENEW_AT),
                Steady.class,
                nothing())
            .expect(
                "Expiring",
                "KWCURRENT",
                null,
                null,
                "Ready=True/Issued",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld"),
        row(
                "MFA turned off: the Verified condition goes",
                issued(
                    s ->
                        Conditions.set(
                            s.conditions,
                            "Verified",
                            true,
                            "CodeAccepted",
                            "accepted",
                            1L,
                            ISSUED)),
                Steady.class,
                nothing())
            .expect(
                "Active",
                "KWCURRENT",
                null,
                null,
                "Ready=True/Issued",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld"),
        // Codes.
        row(
                "an accepted code on a widening edit puts the requested access in force",
                widening(),
                Steady.class,
                p -> nothingBut(accepted()))
            .expect(
                "Active",
                "KWCURRENT",
                null,
                null,
                "Ready=True/Issued",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld",
                "Verified=True/CodeAccepted")
            .and(
                s -> {
                  assertThat(s.effective.permissions).containsExactly("read", "trade");
                  assertThat(condition(s, "Verified").message)
                      .isEqualTo("TOTP code accepted at " + NOW + " for generation " + GEN);
                }),
        row(
                "a refused code on a widening edit keeps the narrower access",
                widening(),
                Steady.class,
                p -> nothingBut(invalid()))
            .expect(
                "Active",
                "KWCURRENT",
                null,
                null,
                "Ready=True/Issued",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld",
                "Verified=False/InvalidCode")
            .and(
                s -> {
                  assertThat(s.effective.permissions).containsExactly("read");
                  assertThat(condition(s, "Verified").message)
                      .startsWith("TOTP code is wrong")
                      .contains("adds permission trade");
                }),
        row(
                "a refusal that locks says until when",
                widening(),
                Steady.class,
                p -> nothingBut(locking()))
            .expect(
                "Active",
                "KWCURRENT",
                null,
                null,
                "Ready=True/Issued",
                "SecretPresent=True/SecretWritten",
                "QuotaAvailable=True/SlotHeld",
                "Verified=False/TooManyAttempts")
            .and(
                s -> {
                  assertThat(s.effective.permissions).containsExactly("read");
                  assertThat(condition(s, "Verified").message)
                      .startsWith(
                          "verification is locked until "
                              + NOW.plus(TotpGuard.LOCK)
                              + " after 5 failed codes");
                }),
        row(
                "an accepted code issues a new MFA key with the spec's access",
                fresh().account(mfaEnrolled()).permissions("read", "trade").code(),
                Issue.class,
                p -> new Done(null, null, accepted(), pendingKey("Issue", null), false, null, null))
            .expect(
                "Active",
                "KWNEXT",
                null,
                null,
                "QuotaAvailable=True/SlotHeld",
                "Verified=True/CodeAccepted",
                "SecretPresent=True/SecretWritten",
                "Ready=True/Issued")
            .and(s -> assertThat(s.effective.permissions).containsExactly("read", "trade")),
        row(
                "a refused code leaves a new MFA key waiting, saying why, its claimed slot given back",
                fresh().account(mfaEnrolled()).code(),
                Issue.class,
                p -> nothingBut(invalid()))
            .expect(
                "AwaitingVerification",
                null,
                null,
                null,
                "QuotaAvailable=True/SlotFree",
                "Verified=False/InvalidCode",
                "Ready=False/AwaitingVerification")
            .and(
                s -> {
                  assertThat(condition(s, "Ready").message).startsWith("TOTP code is wrong");
                  assertThat(s.effective).isNull();
                }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void buildsTheStatusAUserReads(Row row) {
    ApiKeyStatus before = KeyStatus.copy(row.facts().status());
    KeyPlan plan = PLANNER.plan(row.facts());
    assertThat(plan.step()).as(row.situation() + ": step").isInstanceOf(row.step());

    ApiKeyStatus s = KeyStatus.build(row.facts(), plan, row.done().apply(plan), MAX_LIFETIME);

    assertThat(s.phase).as("phase").isEqualTo(row.phase());
    assertThat(s.accessKey).as("accessKey").isEqualTo(row.accessKey());
    assertThat(s.previous == null ? null : s.previous.accessKey)
        .as("previous")
        .isEqualTo(row.previous());
    assertThat(s.pending == null ? null : s.pending.accessKey)
        .as("pending")
        .isEqualTo(row.pending());
    assertThat(conditions(s))
        .as("conditions")
        .containsExactlyInAnyOrderElementsOf(row.conditions());
    assertThat(s.observedGeneration).as("observedGeneration").isEqualTo(GEN);
    row.more().accept(s);
    // The status as read is never modified.
    assertThat(row.facts().status()).isEqualTo(before);
  }

  @Test
  void aConditionWhoseStatusDidNotChangeKeepsItsTransitionTime() {
    KeyFacts f = issued().build();
    ApiKeyStatus s = KeyStatus.build(f, PLANNER.plan(f), nothing().apply(null), MAX_LIFETIME);
    for (Condition c : s.conditions) {
      assertThat(c.lastTransitionTime).as(c.type).isEqualTo(ISSUED.toString());
      assertThat(c.observedGeneration).as(c.type).isEqualTo(GEN);
    }
    // Building again on what was built changes nothing: a resync writes nothing.
    KeyFacts again = issued().withStatus(s).build();
    assertThat(KeyStatus.build(again, PLANNER.plan(again), nothing().apply(null), MAX_LIFETIME))
        .isEqualTo(s);
  }

  @Test
  void aWideningEditWithoutACodeWaitsWithTheNarrowerAccess() {
    KeyFacts f =
        issued(s -> s.effective.permissions = List.of("read"))
            .account(mfaEnrolled())
            .permissions("read", "trade")
            .build();
    ApiKeyStatus s = KeyStatus.build(f, PLANNER.plan(f), nothing().apply(null), MAX_LIFETIME);
    assertThat(s.effective.permissions).containsExactly("read");
    assertThat(condition(s, "Verified").status).isEqualTo("False");
    assertThat(condition(s, "Verified").reason).isEqualTo("WideningPending");
    assertThat(condition(s, "Verified").message).contains("adds permission trade");
    // The key itself stays in force.
    assertThat(condition(s, "Ready").status).isEqualTo("True");
  }

  @Test
  void aKeyNeverIssuedThatMetAConflictStillNeedsACodeOnceMfaIsOn() {
    // MFA off, and the Secret's name is taken: nothing is issued.
    KeyFacts conflict = fresh().secret(Verdict.CONFLICT).build();
    ApiKeyStatus s =
        KeyStatus.build(conflict, PLANNER.plan(conflict), nothing().apply(null), MAX_LIFETIME);
    assertThat(s.accessKey).isNull();
    assertThat(s.effective).as("no key, so no access in force").isNull();

    // The user turns MFA on and enrols; the name is freed. A new key needs a code.
    KeyFacts later = fresh().withStatus(s).account(mfaEnrolled()).build();
    assertThat(PLANNER.plan(later).step()).isInstanceOf(AwaitCode.class);
  }

  // --- rows ---

  static RowBuilder row(String situation, Facts f, Class<?> step, Function<KeyPlan, Done> done) {
    return new RowBuilder(situation, f.build(), step, done);
  }

  /** Collects a row's expectations; {@code and} adds checks of its own. */
  static final class RowBuilder implements Arguments {
    final String situation;
    final KeyFacts facts;
    final Class<?> step;
    final Function<KeyPlan, Done> done;
    String phase;
    String accessKey;
    String previous;
    String pending;
    List<String> conditions;
    Consumer<ApiKeyStatus> more = s -> {};

    RowBuilder(String situation, KeyFacts facts, Class<?> step, Function<KeyPlan, Done> done) {
      this.situation = situation;
      this.facts = facts;
      this.step = step;
      this.done = done;
    }

    RowBuilder expect(
        String phase, String accessKey, String previous, String pending, String... conditions) {
      this.phase = phase;
      this.accessKey = accessKey;
      this.previous = previous;
      this.pending = pending;
      this.conditions = List.of(conditions);
      return this;
    }

    RowBuilder and(Consumer<ApiKeyStatus> more) {
      this.more = more;
      return this;
    }

    @Override
    public Object[] get() {
      return new Object[] {
        new Row(situation, facts, step, done, phase, accessKey, previous, pending, conditions, more)
      };
    }
  }

  static Function<KeyPlan, Done> nothing() {
    return p -> new Done(null, null, null, null, false, null, null);
  }

  static Done nothingBut(TotpGuard.Decision code) {
    return new Done(null, null, code, null, false, null, null);
  }

  static TotpGuard.Decision accepted() {
    return TotpGuard.decide(TotpGuard.State.EMPTY, List.of(100L), NOW);
  }

  static TotpGuard.Decision invalid() {
    return TotpGuard.decide(TotpGuard.State.EMPTY, List.of(), NOW);
  }

  static TotpGuard.Decision locking() {
    Instant earlier = NOW.minusSeconds(60);
    return TotpGuard.decide(
        new TotpGuard.State(null, List.of(earlier, earlier, earlier, earlier), null),
        List.of(),
        NOW);
  }

  static List<String> conditions(ApiKeyStatus s) {
    return s.conditions.stream().map(c -> c.type + "=" + c.status + "/" + c.reason).toList();
  }

  static Condition condition(ApiKeyStatus s, String type) {
    return Conditions.find(s.conditions, type).orElseThrow(() -> new AssertionError("no " + type));
  }

  // --- facts ---

  static Facts fresh() {
    return fresh(s -> {});
  }

  static Facts fresh(Consumer<ApiKeyStatus> change) {
    ApiKeyStatus s = new ApiKeyStatus();
    change.accept(s);
    return new Facts(s);
  }

  static Facts issued() {
    return issued(s -> {});
  }

  static Facts issued(Consumer<ApiKeyStatus> change) {
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
    s.observedGeneration = 1L;
    Conditions.set(s.conditions, "QuotaAvailable", true, "SlotHeld", "holds", 1L, ISSUED);
    Conditions.set(
        s.conditions, "SecretPresent", true, "SecretWritten", "Secret holds it", 1L, ISSUED);
    Conditions.set(s.conditions, "Ready", true, "Issued", "active", 1L, ISSUED);
    change.accept(s);
    return new Facts(s).secret(Verdict.STEADY).slot(KeyFacts.Slot.HOLDS);
  }

  /** An issued MFA key whose spec adds trade, with a code on it. */
  static Facts widening() {
    return issued().account(mfaEnrolled()).permissions("read", "trade").code();
  }

  static ApiKeyStatus.PendingKey pendingKey(String reason, Object previousValidUntil) {
    ApiKeyStatus.PendingKey p = new ApiKeyStatus.PendingKey();
    p.accessKey = "KWNEXT";
    p.secretFingerprint = "sha256:next";
    p.algorithm = "HmacSHA256";
    p.issuedAt = NOW.toString();
    p.expiresAt = NEW_EXPIRES.toString();
    p.reason = reason;
    p.previousValidUntil = previousValidUntil == null ? null : previousValidUntil.toString();
    return p;
  }

  static ApiKeyStatus.PreviousKey previous(Instant validUntil) {
    ApiKeyStatus.PreviousKey p = new ApiKeyStatus.PreviousKey();
    p.accessKey = "KWPREVIOUS";
    p.validUntil = validUntil.toString();
    return p;
  }

  static AccountCheck.Account account(boolean suspended, boolean mfa, boolean confirmed) {
    return new AccountCheck.Account("alice", true, List.of("*"), suspended, mfa, confirmed);
  }

  static AccountCheck.Account mfaEnrolled() {
    return account(false, true, true);
  }

  static SlotLedger.Wait waitWhy() {
    return new SlotLedger.Wait(List.of(new SlotLedger.Slot("ns", "holder", "u1", "spot")), 1, 0);
  }

  static KeyFacts.Slot waitForSlot() {
    return new KeyFacts.Slot.Wait(waitWhy());
  }

  /** A builder of facts: a valid key of user alice in namespace ns, MFA off, a free slot. */
  static final class Facts {
    ApiKeyStatus status;
    final ApiKeySpec spec = new ApiKeySpec();
    AccountCheck.Account account = KeyStatusTest.account(false, false, false);
    KeyFacts.Slot slot = KeyFacts.Slot.FREE;
    Verdict secret = Verdict.ISSUE;
    String rotate;
    String renew;
    boolean code;
    Instant now = NOW;

    Facts(ApiKeyStatus status) {
      this.status = status;
      spec.user = "alice";
      spec.note = "a bot";
      spec.permissions = new ArrayList<>(List.of("read"));
    }

    Facts withStatus(ApiKeyStatus s) {
      status = s;
      return this;
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
      return this;
    }

    KeyFacts build() {
      return new KeyFacts(
          now,
          new KeyFacts.KeyId("ns", "bot", "uid-1", GEN),
          status,
          RULES.validate("bot", spec, KeyObserver.prior(status)),
          account,
          slot,
          5,
          secret,
          false,
          false,
          new Renewal.Triggers(rotate, status.lastHandledRotate, renew, status.lastHandledRenew),
          code,
          TotpGuard.State.EMPTY,
          false,
          null,
          null,
          List.of(),
          code ? Long.valueOf(GEN) : null);
    }
  }
}
