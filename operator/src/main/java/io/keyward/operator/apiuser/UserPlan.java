package io.keyward.operator.apiuser;

import java.time.Instant;

/**
 * What one reconciliation of an ApiUser does: at most one write besides its status (the enrolment
 * Secret), and what its one status write changes.
 *
 * @param step the one action besides the status write
 * @param code what to do with a code that arrived
 * @param next when to look again (the end of a verification lock), or null
 */
public record UserPlan(Step step, Code code, Instant next) {

  /** The closed set of actions. */
  public sealed interface Step {}

  /** Generate a TOTP secret and create the enrolment Secret (the first, or after it was lost). */
  public record CreateEnrolment() implements Step {}

  /** Delete an earlier account's enrolment Secret of the same name, then create this one's. */
  public record ReplaceLeftover() implements Step {}

  /** A Secret of the enrolment Secret's name is not Keyward's: touch nothing. */
  public record Conflict(String message) implements Step {}

  /** Nothing besides status. */
  public record Steady() implements Step {}

  /** What a code is for. */
  public enum CodeUse {
    NONE,
    /** Check it: it confirms enrolment if right. */
    CHECK,
    /** Not needed (MFA is off, or enrolment already confirmed): said so, not counted. */
    SKIP
  }

  /** A code's use, and why it is skipped. */
  public record Code(CodeUse use, String skipWhy) {
    static final Code NONE = new Code(CodeUse.NONE, null);
  }
}
