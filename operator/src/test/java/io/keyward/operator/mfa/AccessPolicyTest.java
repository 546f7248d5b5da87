package io.keyward.operator.mfa;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.mfa.AccessChange.Access;
import io.keyward.operator.mfa.AccessPolicy.CodeUse;
import io.keyward.operator.mfa.AccessPolicy.Decision;
import io.keyward.operator.mfa.AccessPolicy.Input;
import io.keyward.operator.mfa.AccessPolicy.Op;
import io.keyward.operator.mfa.AccessPolicy.Verified;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The access rule for keys, as a table: which access is in force, what becomes of the Verified
 * condition, and what a code that arrived is for. The user is alice, enrolled unless a row says
 * otherwise.
 */
class AccessPolicyTest {
  static final Instant NOW = Instant.parse("2026-12-01T10:00:00.750Z");
  static final String ASK =
      "review the spec (generation 4) and annotate the ApiKey with keyward.io/totp-code=<code from"
          + " the authenticator app of ApiUser alice>@4/<metadata.uid>";
  static final Access READ = access(List.of("read"));
  static final Access READ_TRADE = access(List.of("read", "trade"));

  /**
   * One row.
   *
   * @param inForce null: the key waits for a code
   * @param status the Verified status when {@code op} is SET
   * @param message a part the Verified message must contain (SET only)
   */
  record Row(
      String situation,
      Input in,
      Access inForce,
      Op op,
      boolean status,
      String reason,
      String message,
      CodeUse code,
      String discardWhy,
      Duration recheck) {
    @Override
    public String toString() {
      return situation;
    }
  }

  static Stream<Arguments> table() {
    return Stream.of(
        // Without MFA the spec applies.
        row(
            "MFA off: the spec applies and Verified goes",
            input().mfa(false).authorized(READ).requested(READ_TRADE),
            READ_TRADE,
            Op.REMOVE,
            false,
            null,
            null,
            CodeUse.NONE,
            null,
            null),
        row(
            "MFA off: a code is discarded",
            input().mfa(false).code(),
            READ,
            Op.REMOVE,
            false,
            null,
            null,
            CodeUse.DISCARD,
            "ApiUser alice has MFA disabled",
            null),
        // A new key.
        row(
            "a new key waits for a code",
            input(),
            null,
            Op.SET,
            false,
            "AwaitingCode",
            "the key is issued once a TOTP code confirms it; " + ASK,
            CodeUse.NONE,
            null,
            null),
        row(
            "a new key's code is checked when enrolment is confirmed",
            input().code(),
            null,
            Op.SET,
            false,
            "AwaitingCode",
            "the key is issued once a TOTP code confirms it",
            CodeUse.CHECK,
            null,
            null),
        row(
            "a new key's code is discarded while enrolment is not confirmed",
            input().confirmed(false).code(),
            null,
            Op.SET,
            false,
            "AwaitingCode",
            "the key is issued once a TOTP code confirms it",
            CodeUse.DISCARD,
            "TOTP enrolment of ApiUser alice is not confirmed",
            null),
        // A code approves the generation it names, and only that one.
        row(
            "a code that names no generation is not checked",
            input().codeFor(null),
            null,
            Op.SET,
            false,
            "CodeWithoutGeneration",
            "the TOTP code names no generation and key: a code approves the spec its giver saw,"
                + " given as <code>@<metadata.generation>/<metadata.uid>; review the spec and"
                + " annotate with keyward.io/totp-code=<code>@4/<metadata.uid>",
            CodeUse.DISCARD,
            "the TOTP code names no generation and key: a code approves the spec its giver saw,"
                + " given as <code>@<metadata.generation>/<metadata.uid>; review the spec and"
                + " annotate with keyward.io/totp-code=<code>@4/<metadata.uid>",
            null),
        row(
            "a code that names another key approves nothing here",
            input().codeFor(-1L),
            null,
            Op.SET,
            false,
            "CodeForAnotherKey",
            "the TOTP code was given for another ApiKey",
            CodeUse.DISCARD,
            "the TOTP code was given for another ApiKey (the uid it names is not this key's), and"
                + " approves nothing here; review the spec and annotate with"
                + " keyward.io/totp-code=<code>@4/<metadata.uid>",
            null),
        row(
            "a code given for an older generation (the spec changed since) approves nothing",
            input().authorized(READ).requested(READ_TRADE).codeFor(3L),
            READ,
            Op.SET,
            false,
            "SpecChangedSinceCode",
            "the TOTP code was given for generation 3, but the key is at generation 4: its spec"
                + " changed since, and the code approves nothing",
            CodeUse.DISCARD,
            "the TOTP code was given for generation 3, but the key is at generation 4: its spec"
                + " changed since, and the code approves nothing; review the spec and annotate"
                + " with keyward.io/totp-code=<code>@4/<metadata.uid>",
            null),
        // Widening edits wait for a code; the narrower access stays in force.
        row(
            "a permission added waits for a code",
            input().authorized(READ).requested(READ_TRADE),
            READ,
            Op.SET,
            false,
            "WideningPending",
            "the spec adds permission trade; status.effective keeps the narrower settings until a"
                + " TOTP code confirms; "
                + ASK,
            CodeUse.NONE,
            null,
            null),
        row(
            "a permission added, with a code: checked",
            input().authorized(READ).requested(READ_TRADE).code(),
            READ,
            Op.SET,
            false,
            "WideningPending",
            "adds permission trade",
            CodeUse.CHECK,
            null,
            null),
        row(
            "an IP address added waits for a code",
            input()
                .authorized(access(List.of("read"), "203.0.113.1"))
                .requested(access(List.of("read"), "203.0.113.1", "203.0.113.2")),
            access(List.of("read"), "203.0.113.1"),
            Op.SET,
            false,
            "WideningPending",
            "the spec adds IP 203.0.113.2 to spec.ipWhitelist",
            CodeUse.NONE,
            null,
            null),
        row(
            "an address swapped: the dropped one stops at once, the new one waits",
            input()
                .authorized(access(List.of("read"), "203.0.113.1", "203.0.113.2"))
                .requested(access(List.of("read"), "203.0.113.2", "203.0.113.3")),
            access(List.of("read"), "203.0.113.2"),
            Op.SET,
            false,
            "WideningPending",
            "adds IP 203.0.113.3",
            CodeUse.NONE,
            null,
            null),
        row(
            "the IP binding removed waits for a code; the binding stays",
            input().authorized(access(List.of("read"), "203.0.113.1")).requested(READ),
            access(List.of("read"), "203.0.113.1"),
            Op.SET,
            false,
            "WideningPending",
            "removes the IP binding",
            CodeUse.NONE,
            null,
            null),
        // Narrowing and note edits apply at once.
        row(
            "a permission removed applies at once",
            input().authorized(READ_TRADE).requested(READ),
            READ,
            Op.SET,
            true,
            "NothingPending",
            "the spec grants nothing beyond what a TOTP code confirmed",
            CodeUse.NONE,
            null,
            null),
        row(
            "binding an unbound key applies at once",
            input().authorized(READ).requested(access(List.of("read"), "203.0.113.1")),
            access(List.of("read"), "203.0.113.1"),
            Op.SET,
            true,
            "NothingPending",
            "grants nothing beyond",
            CodeUse.NONE,
            null,
            null),
        row(
            "a note edit (same access) keeps Verified=True as it stands",
            input().authorized(READ).requested(READ).previous(true, "CodeAccepted"),
            READ,
            Op.KEEP,
            false,
            null,
            null,
            CodeUse.NONE,
            null,
            null),
        row(
            "a widening edit taken back: nothing pends any more",
            input().authorized(READ).requested(READ).previous(false, "WideningPending"),
            READ,
            Op.SET,
            true,
            "NothingPending",
            "grants nothing beyond",
            CodeUse.NONE,
            null,
            null),
        row(
            "a code on a narrowing edit is not needed: skipped",
            input().authorized(READ_TRADE).requested(READ).code(),
            READ,
            Op.SET,
            true,
            "NothingPending",
            "grants nothing beyond",
            CodeUse.SKIP,
            null,
            null),
        // What the last code left stays until the next one.
        row(
            "a previous InvalidCode is kept",
            input().authorized(READ).requested(READ_TRADE).previous(false, "InvalidCode"),
            READ,
            Op.KEEP,
            false,
            null,
            null,
            CodeUse.NONE,
            null,
            null),
        row(
            "a previous CodeReplayed is kept",
            input().previous(false, "CodeReplayed"),
            null,
            Op.KEEP,
            false,
            null,
            null,
            CodeUse.NONE,
            null,
            null),
        row(
            "a TooManyAttempts whose lock is over is replaced",
            input()
                .authorized(READ)
                .requested(READ_TRADE)
                .previous(false, "TooManyAttempts")
                .totp(new TotpGuard.State(null, List.of(), NOW.minusSeconds(1))),
            READ,
            Op.SET,
            false,
            "WideningPending",
            "adds permission trade",
            CodeUse.NONE,
            null,
            null),
        // Locked.
        row(
            "locked: a widening edit says so and is looked at when the lock ends",
            input()
                .authorized(READ)
                .requested(READ_TRADE)
                .previous(false, "InvalidCode")
                .totp(lockedFor(Duration.ofMinutes(10))),
            READ,
            Op.SET,
            false,
            "TooManyAttempts",
            "verification is locked until "
                + NOW.plus(Duration.ofMinutes(10))
                + " after 5 failed codes; the spec adds permission trade",
            CodeUse.NONE,
            null,
            Duration.ofMinutes(10)),
        row(
            "locked: a new key waits until the lock ends, its code still goes to the check",
            input().code().totp(lockedFor(Duration.ofMinutes(3))),
            null,
            Op.SET,
            false,
            "TooManyAttempts",
            "verification is locked until " + NOW.plus(Duration.ofMinutes(3)),
            CodeUse.CHECK,
            null,
            Duration.ofMinutes(3)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void decides(Row row) {
    Decision d = AccessPolicy.decide(row.in());
    assertThat(d.inForce()).as("in force").isEqualTo(row.inForce());
    assertThat(d.awaitsCode()).as("awaits a code").isEqualTo(row.inForce() == null);
    assertThat(d.requested()).isEqualTo(row.in().requested());
    assertThat(d.verified().op()).as("Verified op").isEqualTo(row.op());
    if (row.op() == Op.SET) {
      assertThat(d.verified().status()).as("Verified status").isEqualTo(row.status());
      assertThat(d.verified().reason()).as("Verified reason").isEqualTo(row.reason());
      assertThat(d.verified().message()).as("Verified message").contains(row.message());
    }
    assertThat(d.code()).as("code use").isEqualTo(row.code());
    if (row.code() == CodeUse.DISCARD) {
      assertThat(d.discardWhy()).isEqualTo(row.discardWhy());
    }
    assertThat(d.recheck()).as("recheck").isEqualTo(row.recheck());
  }

  @Test
  void anAcceptedCodeNamesTheTimeAndTheGenerationItApproves() {
    Input in = input().authorized(READ).requested(READ_TRADE).code().build();
    Verified v = AccessPolicy.accepted(in);
    assertThat(v.op()).isEqualTo(Op.SET);
    assertThat(v.status()).isTrue();
    assertThat(v.reason()).isEqualTo("CodeAccepted");
    assertThat(v.message())
        .isEqualTo("TOTP code accepted at 2026-12-01T10:00:00Z for generation 4");
    assertThat(AccessPolicy.decide(in).confirmed())
        .isEqualTo("confirmed: the spec adds permission trade");
    assertThat(AccessPolicy.decide(input().code().build()).confirmed())
        .isEqualTo("issuance confirmed");
  }

  @Test
  void aRefusedCodeSaysWhyAndWhatWaits() {
    Input in = input().authorized(READ).requested(READ_TRADE).code().build();
    Decision d = AccessPolicy.decide(in);

    TotpGuard.Decision wrong = TotpGuard.decide(TotpGuard.State.EMPTY, List.of(), NOW);
    Verified v = AccessPolicy.refused(in, d, wrong);
    assertThat(v.status()).isFalse();
    assertThat(v.reason()).isEqualTo("InvalidCode");
    assertThat(v.message())
        .startsWith("TOTP code is wrong or outside one 30 s step of the operator's clock (1 of 5")
        .contains("the spec adds permission trade")
        .endsWith(ASK);
    assertThat(AccessPolicy.recheckAfter(in, wrong)).isNull();

    TotpGuard.Decision replay =
        TotpGuard.decide(new TotpGuard.State(100L, List.of(), null), List.of(100L), NOW);
    assertThat(AccessPolicy.refused(in, d, replay).reason()).isEqualTo("CodeReplayed");
    assertThat(AccessPolicy.recheckAfter(in, replay)).isNull();
  }

  @Test
  void aRefusalThatLocksSaysUntilWhenAndIsLookedAtThen() {
    Input in = input().code().build();
    Decision d = AccessPolicy.decide(in);
    Instant t = NOW.minusSeconds(30);
    TotpGuard.Decision fifth =
        TotpGuard.decide(new TotpGuard.State(null, List.of(t, t, t, t), null), List.of(), NOW);
    Verified v = AccessPolicy.refused(in, d, fifth);
    assertThat(v.status()).isFalse();
    assertThat(v.reason()).isEqualTo("TooManyAttempts");
    assertThat(v.message())
        .isEqualTo(
            "verification is locked until "
                + NOW.plus(TotpGuard.LOCK)
                + " after 5 failed codes; the key is issued once a TOTP code confirms it");
    assertThat(AccessPolicy.recheckAfter(in, fifth)).isEqualTo(TotpGuard.LOCK);

    // On a widening edit the lock message still says what waits.
    Input widening = input().authorized(READ).requested(READ_TRADE).code().build();
    assertThat(AccessPolicy.refused(widening, AccessPolicy.decide(widening), fifth).message())
        .startsWith("verification is locked until " + NOW.plus(TotpGuard.LOCK))
        .contains("the spec adds permission trade");
  }

  @Test
  void noMessageCarriesTheCode() {
    // The policy never sees a code, only that one arrived; its texts name the rule.
    Input in = input().authorized(READ).requested(READ_TRADE).code().build();
    Decision d = AccessPolicy.decide(in);
    TotpGuard.Decision wrong = TotpGuard.decide(TotpGuard.State.EMPTY, List.of(), NOW);
    assertThat(List.of(d.verified().message(), AccessPolicy.refused(in, d, wrong).message()))
        .noneMatch(m -> m.matches(".*\\b[0-9]{6}\\b.*"));
  }

  // --- building inputs ---

  static Arguments row(
      String situation,
      In in,
      Access inForce,
      Op op,
      boolean status,
      String reason,
      String message,
      CodeUse code,
      String discardWhy,
      Duration recheck) {
    return Arguments.of(
        new Row(
            situation,
            in.build(),
            inForce,
            op,
            status,
            reason,
            message,
            code,
            discardWhy,
            recheck));
  }

  static Access access(List<String> permissions, String... ips) {
    return new Access(permissions, List.of(ips));
  }

  static TotpGuard.State lockedFor(Duration d) {
    return new TotpGuard.State(null, List.of(), NOW.plus(d));
  }

  static In input() {
    return new In();
  }

  /** An input: alice with MFA, enrolled, a new key asking for read, no code. */
  static final class In {
    boolean mfa = true;
    boolean confirmed = true;
    Access requested = READ;
    Access authorized;
    boolean code;
    TotpGuard.State totp = TotpGuard.State.EMPTY;
    Verified previous;
    Long codeFor;

    In mfa(boolean on) {
      mfa = on;
      return this;
    }

    In confirmed(boolean c) {
      confirmed = c;
      return this;
    }

    In requested(Access a) {
      requested = a;
      return this;
    }

    In authorized(Access a) {
      authorized = a;
      return this;
    }

    In code() {
      code = true;
      codeFor = 4L;
      return this;
    }

    In codeFor(Long generation) {
      code = true;
      codeFor = generation;
      return this;
    }

    In totp(TotpGuard.State t) {
      totp = t;
      return this;
    }

    In previous(boolean status, String reason) {
      previous = new Verified(Op.KEEP, status, reason, "as it stands");
      return this;
    }

    Input build() {
      return new Input(
          "alice", mfa, confirmed, requested, authorized, code, totp, previous, 4, NOW, codeFor);
    }
  }
}
