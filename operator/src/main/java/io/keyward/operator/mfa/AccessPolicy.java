package io.keyward.operator.mfa;

import io.keyward.operator.mfa.AccessChange.Access;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Which access of a key is in force for a user with or without MFA, and what a TOTP code that
 * arrived on the key is for. The rules (README, "TOTP enrolment"): without MFA the spec applies;
 * with MFA a new key needs a code, an edit that widens access needs a fresh one while the narrower
 * settings stay in force, and narrowing edits apply at once. Pure: no Kubernetes types, time is a
 * parameter.
 */
public final class AccessPolicy {
  private AccessPolicy() {}

  /** Why the last code was refused: said until the next code arrives. */
  private static final List<String> KEPT_REFUSALS =
      List.of(
          "InvalidCode",
          "CodeReplayed",
          "CodeWithoutGeneration",
          "CodeForAnotherKey",
          "SpecChangedSinceCode");

  /** What to do with a code that arrived on the key. */
  public enum CodeUse {
    /** No code arrived. */
    NONE,
    /** Check it: the spec asks for more than a code confirmed. */
    CHECK,
    /** Not needed: the spec grants nothing beyond what was confirmed (said so, not counted). */
    SKIP,
    /** It cannot be checked here (said so, not counted); {@link Decision#discardWhy} says why. */
    DISCARD
  }

  /** What becomes of the Verified condition. */
  public enum Op {
    SET,
    KEEP,
    REMOVE
  }

  /** The Verified condition to write. */
  public record Verified(Op op, boolean status, String reason, String message) {
    static final Verified REMOVE = new Verified(Op.REMOVE, false, null, null);
    static final Verified KEEP = new Verified(Op.KEEP, false, null, null);

    static Verified set(boolean status, String reason, String message) {
      return new Verified(Op.SET, status, reason, message);
    }
  }

  /**
   * The facts the policy decides on.
   *
   * @param authorized what a code (or issuance without MFA) confirmed before; null for a key never
   *     authorized
   * @param codeArrived a code arrived on the key in this reconciliation
   * @param previous the Verified condition as it stands (null when there is none)
   * @param codeFor the generation the code that arrived names as the one it approves (null: it
   *     names none); a code approves exactly the spec its giver saw
   */
  public record Input(
      String user,
      boolean mfaRequired,
      boolean mfaConfirmed,
      Access requested,
      Access authorized,
      boolean codeArrived,
      TotpGuard.State totp,
      Verified previous,
      long generation,
      Instant now,
      Long codeFor) {}

  /**
   * The decision.
   *
   * @param inForce the access verification enforces unless a checked code is accepted; null when
   *     the key was never authorized and waits for a code
   * @param verified the Verified condition unless a checked code decides it
   * @param change what the spec widens or narrows against what was authorized (null: never
   *     authorized, or no MFA)
   * @param recheck when to look again (the end of a verification lock), or null
   */
  public record Decision(
      Access requested,
      Access inForce,
      Verified verified,
      CodeUse code,
      String discardWhy,
      AccessChange.Result change,
      Duration recheck) {
    /** Whether the key waits for a code before anything may be issued. */
    public boolean awaitsCode() {
      return inForce == null;
    }

    /** What an accepted code confirms, for the Verified event and the audit line. */
    public String confirmed() {
      return change == null
          ? "issuance confirmed"
          : "confirmed: the spec " + String.join(" and ", change.widened());
    }
  }

  /** Decides before any code is checked. */
  public static Decision decide(Input in) {
    if (!in.mfaRequired()) {
      return new Decision(
          in.requested(),
          in.requested(),
          Verified.REMOVE,
          in.codeArrived() ? CodeUse.DISCARD : CodeUse.NONE,
          "ApiUser " + in.user() + " has MFA disabled",
          null,
          null);
    }
    AccessChange.Result change =
        in.authorized() == null ? null : AccessChange.apply(in.authorized(), in.requested());
    boolean needsCode = change == null || change.widens();
    CodeUse code = CodeUse.NONE;
    String why = null;
    if (in.codeArrived()) {
      if (!needsCode) {
        code = CodeUse.SKIP;
      } else if (!in.mfaConfirmed()) {
        code = CodeUse.DISCARD;
        why = "TOTP enrolment of ApiUser " + in.user() + " is not confirmed";
      } else if (in.codeFor() == null || in.codeFor() != in.generation()) {
        code = CodeUse.DISCARD;
        why = unbound(in);
      } else {
        code = CodeUse.CHECK;
      }
    }
    if (!needsCode) {
      Verified verified =
          in.previous() != null && in.previous().status()
              ? Verified.KEEP
              : Verified.set(
                  true,
                  "NothingPending",
                  "the spec grants nothing beyond what a TOTP code confirmed");
      return new Decision(in.requested(), in.requested(), verified, code, why, change, null);
    }
    TotpGuard.State totp = in.totp();
    Verified verified;
    Duration recheck = null;
    if (totp.lockedAt(in.now())) {
      verified = locked(totp, change);
      recheck = Duration.between(in.now(), totp.lockedUntil());
    } else if (code == CodeUse.DISCARD && in.mfaConfirmed()) {
      verified =
          Verified.set(
              false,
              in.codeFor() == null
                  ? "CodeWithoutGeneration"
                  : in.codeFor() < 0 ? "CodeForAnotherKey" : "SpecChangedSinceCode",
              unbound(in) + "; " + what(change));
    } else if (in.previous() != null
        && !in.previous().status()
        && KEPT_REFUSALS.contains(in.previous().reason())) {
      // The refusal of the last code stays until the next code.
      verified = Verified.KEEP;
    } else {
      verified =
          Verified.set(
              false,
              change == null ? "AwaitingCode" : "WideningPending",
              what(change) + "; " + ask(in.user(), in.generation()));
    }
    return new Decision(
        in.requested(),
        change == null ? null : change.inForce(),
        verified,
        code,
        why,
        change,
        recheck);
  }

  /** The Verified condition once a checked code was accepted. */
  public static Verified accepted(Input in) {
    return Verified.set(
        true,
        "CodeAccepted",
        "TOTP code accepted at "
            + in.now().truncatedTo(ChronoUnit.SECONDS)
            + " for generation "
            + in.generation());
  }

  /**
   * The Verified condition once a checked code was refused; {@code after} is the user's TOTP state
   * the refusal left (a refusal may have locked verification).
   */
  public static Verified refused(Input in, Decision d, TotpGuard.Decision refusal) {
    TotpGuard.State after = refusal.next();
    if (after.lockedAt(in.now())) {
      return locked(after, d.change());
    }
    return Verified.set(
        false,
        refusal.reason(),
        refusal.message() + "; " + what(d.change()) + "; " + ask(in.user(), in.generation()));
  }

  /** When to look again after a refusal: the end of the lock it left, if any. */
  public static Duration recheckAfter(Input in, TotpGuard.Decision refusal) {
    TotpGuard.State after = refusal.next();
    return after.lockedAt(in.now()) ? Duration.between(in.now(), after.lockedUntil()) : null;
  }

  private static Verified locked(TotpGuard.State state, AccessChange.Result change) {
    return Verified.set(
        false,
        TotpGuard.Outcome.LOCKED.reason(),
        "verification is locked until "
            + state.lockedUntil()
            + " after "
            + TotpGuard.MAX_FAILURES
            + " failed codes; "
            + what(change));
  }

  private static String what(AccessChange.Result change) {
    return change == null
        ? "the key is issued once a TOTP code confirms it"
        : "the spec "
            + String.join(" and ", change.widened())
            + "; status.effective keeps the narrower settings until a TOTP code confirms";
  }

  private static String ask(String user, long generation) {
    return "review the spec (generation "
        + generation
        + ") and annotate the ApiKey with "
        + CodeVerifier.ANNOTATION
        + "=<code from the authenticator app of ApiUser "
        + user
        + ">@"
        + generation
        + "/<metadata.uid>";
  }

  /** Why a code that names no generation, or another one, is not checked. */
  private static String unbound(Input in) {
    String retry =
        "review the spec and annotate with "
            + CodeVerifier.ANNOTATION
            + "=<code>@"
            + in.generation()
            + "/<metadata.uid>";
    if (in.codeFor() == null) {
      return "the TOTP code names no generation and key: a code approves the spec its giver saw,"
          + " given as <code>@<metadata.generation>/<metadata.uid>; "
          + retry;
    }
    if (in.codeFor() < 0) {
      return "the TOTP code was given for another ApiKey (the uid it names is not this key's), and"
          + " approves nothing here; "
          + retry;
    }
    return "the TOTP code was given for generation "
        + in.codeFor()
        + ", but the key is at generation "
        + in.generation()
        + ": its spec changed since, and the code approves nothing; "
        + retry;
  }
}
