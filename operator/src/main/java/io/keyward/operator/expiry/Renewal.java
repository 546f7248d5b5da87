package io.keyward.operator.expiry;

import io.keyward.operator.validation.DurationSpec;
import io.keyward.operator.validation.KeySettings;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * What an issued key's renewal policy does now (docs/api.md, lifecycle step 4), and when to look
 * next. Pure: the time is a parameter, so tests move it instead of sleeping.
 *
 * <p>The rules, in order: a key past its {@code expiresAt} is never revived (Rotate and Extend
 * issue a new key, Never expires it, a renew request re-issues it); a new {@code keyward.io/rotate}
 * value rotates; a new {@code keyward.io/renew} value does what Extend does; from {@code renewAt}
 * Rotate rotates, Extend extends (up to {@code limits.maxKeyLifetime} since the key was issued,
 * then it rotates), and Never only shows {@code Expiring}.
 */
public final class Renewal {
  private Renewal() {}

  /** The action. */
  public enum Action {
    NONE,
    ROTATE,
    EXTEND,
    EXPIRE
  }

  /**
   * An issued key's timing.
   *
   * @param issuedAt when the current key was issued (Extend keeps it)
   * @param expiresAt when it stops verifying
   * @param previousValidUntil end of the grace period of a previous key, or null
   */
  public record Key(Instant issuedAt, Instant expiresAt, Instant previousValidUntil) {}

  /** Manual triggers: the annotation values and the values already handled (either may be null). */
  public record Triggers(String rotate, String handledRotate, String renew, String handledRenew) {
    public static final Triggers NONE = new Triggers(null, null, null, null);

    /** A rotate value not acted on yet. */
    public boolean rotateRequested() {
      return rotate != null && !rotate.equals(handledRotate);
    }

    /** A renew value not acted on yet. */
    public boolean renewRequested() {
      return renew != null && !renew.equals(handledRenew);
    }
  }

  /**
   * The decision.
   *
   * @param action what to do
   * @param cause why, for events and the audit log (names no secret)
   * @param expiresAt EXTEND: the new expiry
   * @param previousValidUntil ROTATE: until when the replaced key still verifies; null when it
   *     stops at once (no grace left, or it already expired)
   */
  public record Decision(
      Action action, String cause, Instant expiresAt, Instant previousValidUntil) {
    public static final Decision NOTHING = new Decision(Action.NONE, null, null, null);
  }

  /** The renewal settings of a key and the operator's lifetime cap. */
  public record Policy(
      RenewalPolicy policy,
      Duration validity,
      Duration before,
      Duration gracePeriod,
      Duration maxKeyLifetime) {
    public static Policy of(KeySettings s, Duration maxKeyLifetime) {
      return new Policy(
          s.renewalPolicy(), s.validity(), s.renewBefore(), s.gracePeriod(), maxKeyLifetime);
    }
  }

  /** What to do at {@code now}. */
  public static Decision decide(Instant now, Policy p, Key key, Triggers t) {
    Instant expiresAt = key.expiresAt();
    if (!now.isBefore(expiresAt)) {
      if (t.renewRequested()) {
        return rotate(now, p, key, "renewed (keyward.io/renew=" + t.renew() + ") after it expired");
      }
      if (t.rotateRequested()) {
        return rotate(now, p, key, "rotated (keyward.io/rotate=" + t.rotate() + ") after expiry");
      }
      return switch (p.policy()) {
        case Never ->
            new Decision(Action.EXPIRE, "expired at " + expiresAt + " (policy Never)", null, null);
        case Rotate, Extend ->
            rotate(now, p, key, "expired at " + expiresAt + " before it could be renewed");
      };
    }
    if (t.rotateRequested()) {
      return rotate(now, p, key, "keyward.io/rotate=" + t.rotate());
    }
    if (t.renewRequested()) {
      return extendOrRotate(now, p, key, "keyward.io/renew=" + t.renew());
    }
    if (!now.isBefore(renewAt(expiresAt, p))) {
      return switch (p.policy()) {
        case Rotate -> rotate(now, p, key, "renewAt " + renewAt(expiresAt, p) + " reached");
        case Extend -> extendOrRotate(now, p, key, "renewAt " + renewAt(expiresAt, p) + " reached");
        case Never -> Decision.NOTHING;
      };
    }
    return Decision.NOTHING;
  }

  /** When the policy acts (Rotate, Extend) or the key shows Expiring (Never). */
  public static Instant renewAt(Instant expiresAt, Policy p) {
    return expiresAt.minus(p.before());
  }

  /** Whether a previous key's grace period is over. */
  public static boolean graceOver(Instant now, Instant previousValidUntil) {
    return previousValidUntil != null && !now.isBefore(previousValidUntil);
  }

  /** The phase of an issued key that is in force: Expiring from renewAt, else Active. */
  public static String phase(Instant now, Instant expiresAt, Policy p) {
    return now.isBefore(renewAt(expiresAt, p)) ? "Active" : "Expiring";
  }

  /**
   * The next deadline after {@code now}: renewAt, expiresAt, or the end of a grace period; null
   * when none lies ahead.
   */
  public static Instant nextDeadline(Instant now, Policy p, Key key) {
    return next(now, renewAt(key.expiresAt(), p), key.expiresAt(), key.previousValidUntil());
  }

  /** The earliest of {@code deadlines} (nulls ignored) after {@code now}, or null. */
  public static Instant next(Instant now, Instant... deadlines) {
    return Stream.of(deadlines)
        .filter(Objects::nonNull)
        .filter(d -> d.isAfter(now))
        .min(Instant::compareTo)
        .orElse(null);
  }

  private static Decision extendOrRotate(Instant now, Policy p, Key key, String cause) {
    Instant cap = key.issuedAt().plus(p.maxKeyLifetime());
    Instant extended = min(key.expiresAt().plus(p.validity()), cap);
    if (extended.isAfter(key.expiresAt())) {
      return new Decision(Action.EXTEND, cause, extended, null);
    }
    return rotate(
        now,
        p,
        key,
        cause
            + "; limits.maxKeyLifetime ("
            + DurationSpec.format(p.maxKeyLifetime())
            + " since "
            + key.issuedAt()
            + ") allows no longer extension");
  }

  private static Decision rotate(Instant now, Policy p, Key key, String cause) {
    // The replaced key verifies for the grace period, but never past its own expiry.
    Instant until = min(now.truncatedTo(ChronoUnit.SECONDS).plus(p.gracePeriod()), key.expiresAt());
    return new Decision(Action.ROTATE, cause, null, until.isAfter(now) ? until : null);
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
