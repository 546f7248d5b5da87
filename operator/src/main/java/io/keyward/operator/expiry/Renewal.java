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
 *
 * <p>No rotation but an expiry's comes sooner than {@code limits.minRotationInterval} after the
 * current key was issued: a rotation asked for (a trigger) or due (renewAt) within it is deferred
 * to its end and done then, not dropped. Validation keeps renewAt out of the interval; a key whose
 * renewAt falls in it anyway (its validity was raised after issuance) is held to it here. A key
 * past its expiry rotates at once: it may not live on, and its successor is not a restart too many
 * but the only key there is. Extensions rotate nothing and are not deferred.
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
      Action action,
      String cause,
      Instant expiresAt,
      Instant previousValidUntil,
      Instant deferredUntil) {
    public static final Decision NOTHING = new Decision(Action.NONE, null, null, null);

    /**
     * A decision that defers nothing.
     *
     * @param deferredUntil NONE only: a rotation is asked for or due and {@code
     *     limits.minRotationInterval} holds it until then (look at the key again at that time)
     */
    public Decision(Action action, String cause, Instant expiresAt, Instant previousValidUntil) {
      this(action, cause, expiresAt, previousValidUntil, null);
    }
  }

  /**
   * The renewal settings of a key and the operator's limits: the lifetime cap and the shortest time
   * from a key's issuance to its rotation ({@link Duration#ZERO}: none).
   */
  public record Policy(
      RenewalPolicy policy,
      Duration validity,
      Duration before,
      Duration gracePeriod,
      Duration maxKeyLifetime,
      Duration minRotationInterval) {
    public Policy {
      minRotationInterval = minRotationInterval == null ? Duration.ZERO : minRotationInterval;
    }

    /** A policy with no rotation interval. */
    public Policy(
        RenewalPolicy policy,
        Duration validity,
        Duration before,
        Duration gracePeriod,
        Duration maxKeyLifetime) {
      this(policy, validity, before, gracePeriod, maxKeyLifetime, Duration.ZERO);
    }

    public static Policy of(KeySettings s, Duration maxKeyLifetime) {
      return new Policy(
          s.renewalPolicy(),
          s.validity(),
          s.renewBefore(),
          s.gracePeriod(),
          maxKeyLifetime,
          s.minRotationInterval());
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
      Instant until = rotateDeferredUntil(now, p.minRotationInterval(), key, t);
      return until != null
          ? new Decision(
              Action.NONE, deferredCause(t, until, p.minRotationInterval(), key), null, null, until)
          : rotate(now, p, key, "keyward.io/rotate=" + t.rotate());
    }
    if (t.renewRequested()) {
      return floored(now, p, key, extendOrRotate(now, p, key, "keyward.io/renew=" + t.renew()));
    }
    if (!now.isBefore(renewAt(expiresAt, p))) {
      String cause = "renewAt " + renewAt(expiresAt, p) + " reached";
      return switch (p.policy()) {
        case Rotate -> floored(now, p, key, rotate(now, p, key, cause));
        case Extend -> floored(now, p, key, extendOrRotate(now, p, key, cause));
        case Never -> Decision.NOTHING;
      };
    }
    return Decision.NOTHING;
  }

  /**
   * When a new {@code keyward.io/rotate} value will be acted on, if {@code
   * limits.minRotationInterval} defers it; null when it is acted on now (or there is none). Never
   * later than the key's expiry, when it rotates whatever the interval.
   */
  public static Instant rotateDeferredUntil(
      Instant now, Duration minRotationInterval, Key key, Triggers t) {
    return t.rotateRequested() ? deferral(now, minRotationInterval, key) : null;
  }

  /** Why a rotate trigger waits, for an event: names the value, the time and the setting. */
  public static String deferredCause(
      Triggers t, Instant until, Duration minRotationInterval, Key key) {
    return deferredCause("keyward.io/rotate=" + t.rotate(), until, minRotationInterval, key);
  }

  private static String deferredCause(
      String cause, Instant until, Duration minRotationInterval, Key key) {
    return cause
        + ": rotation deferred until "
        + until
        + " (limits.minRotationInterval is "
        + DurationSpec.format(minRotationInterval)
        + " and the key was issued at "
        + key.issuedAt()
        + ")";
  }

  /**
   * Until when {@code limits.minRotationInterval} holds a rotation back at {@code now}: the end of
   * the interval after issuance, at most the key's expiry; null when a rotation may happen now.
   */
  private static Instant deferral(Instant now, Duration minRotationInterval, Key key) {
    Instant until = min(key.issuedAt().plus(minRotationInterval), key.expiresAt());
    return now.isBefore(until) ? until : null;
  }

  /** A rotation that {@code limits.minRotationInterval} holds back is deferred; others stand. */
  private static Decision floored(Instant now, Policy p, Key key, Decision d) {
    Duration interval = p.minRotationInterval();
    Instant until = d.action() == Action.ROTATE ? deferral(now, interval, key) : null;
    return until == null
        ? d
        : new Decision(
            Action.NONE, deferredCause(d.cause(), until, interval, key), null, null, until);
  }

  /** When the policy acts (Rotate, Extend) or the key shows Expiring (Never). */
  public static Instant renewAt(Instant expiresAt, Policy p) {
    return expiresAt.minus(p.before());
  }

  /** Whether a previous key's grace period is over. */
  public static boolean graceOver(Instant now, Instant previousValidUntil) {
    return previousValidUntil != null && !now.isBefore(previousValidUntil);
  }

  /**
   * The phase of an issued key that is in force: with policy Never, Expiring from renewAt; else
   * Active (Rotate and Extend act at renewAt, or as soon as {@code limits.minRotationInterval} lets
   * them).
   */
  public static String phase(Instant now, Instant expiresAt, Policy p) {
    return p.policy() == RenewalPolicy.Never && !now.isBefore(renewAt(expiresAt, p))
        ? "Expiring"
        : "Active";
  }

  /**
   * The next deadline after {@code now}: renewAt (for Rotate no sooner than {@code
   * limits.minRotationInterval} after issuance), expiresAt, or the end of a grace period; null when
   * none lies ahead. A deferred trigger's time is the decision's {@code deferredUntil}.
   */
  public static Instant nextDeadline(Instant now, Policy p, Key key) {
    Instant renewAt = renewAt(key.expiresAt(), p);
    Instant floor =
        p.policy() == RenewalPolicy.Rotate ? deferral(renewAt, p.minRotationInterval(), key) : null;
    if (floor != null) {
      renewAt = floor;
    }
    return next(now, renewAt, key.expiresAt(), key.previousValidUntil());
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
