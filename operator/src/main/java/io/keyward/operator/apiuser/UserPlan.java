package io.keyward.operator.apiuser;

import java.time.Instant;

/**
 * What one reconciliation of an ApiUser does: at most one write besides its status (to the
 * enrolment Secret, and none while the sealed secret changes), and what its one status write
 * changes.
 *
 * @param step the one action besides the status write
 * @param seal how the sealed TOTP secret changes in the status write
 * @param code what to do with a code that arrived
 * @param next when to look again (the end of a verification lock), or null
 */
public record UserPlan(Step step, Seal seal, Code code, Instant next) {

  /** How the sealed TOTP secret of record changes. */
  public enum Seal {
    /** It stays. */
    KEEP,
    /** A new secret is generated and sealed (the first, or a reset). */
    NEW,
    /** The secret a code confirmed in the enrolment Secret of an earlier operator is sealed. */
    MIGRATE
  }

  /** The closed set of actions. */
  public sealed interface Step {}

  /** Write the enrolment copy of the sealed secret (enrolment is pending and there is none). */
  public record CreateCopy() implements Step {}

  /** Enrolment is confirmed: delete the enrolment copy (as read). */
  public record DeleteCopy() implements Step {}

  /**
   * Pending, and a Secret of Keyward's type is there that does not hold the sealed secret: delete
   * it as read, unread, and write the copy.
   */
  public record ReplaceImpostor() implements Step {}

  /** Confirmed, and a Secret of Keyward's type is there: delete it as read, unread. */
  public record DeleteImpostor() implements Step {}

  /** Pending, and a Secret of another type has the name: touch nothing, say so. */
  public record Conflict(String message) implements Step {}

  /** Nothing besides status. */
  public record Steady() implements Step {}

  /** What a code is for. */
  public enum CodeUse {
    NONE,
    /** Check it against the sealed secret: it confirms enrolment if right. */
    CHECK,
    /**
     * Not checked (MFA is off, enrolment is confirmed, or the secret changes): said, not counted.
     */
    SKIP
  }

  /** A code's use, and why it is skipped. */
  public record Code(CodeUse use, String skipWhy) {
    static final Code NONE = new Code(CodeUse.NONE, null);
  }
}
