package io.keyward.operator.expiry;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.MutableClock;
import io.keyward.operator.expiry.Renewal.Action;
import io.keyward.operator.expiry.Renewal.Decision;
import io.keyward.operator.expiry.Renewal.Key;
import io.keyward.operator.expiry.Renewal.Policy;
import io.keyward.operator.expiry.Renewal.Triggers;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every policy and trigger, with time moved on a clock rather than slept through. */
class RenewalTest {
  private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
  private static final Duration DAY = Duration.ofDays(1);

  private final MutableClock clock = new MutableClock(T0);

  private static Policy policy(RenewalPolicy p) {
    return new Policy(p, Duration.ofDays(90), Duration.ofDays(14), Duration.ofHours(24), days(365));
  }

  private static Duration days(int n) {
    return Duration.ofDays(n);
  }

  /** A key issued at T0, valid 90 days. */
  private static Key fresh() {
    return new Key(T0, T0.plus(days(90)), null);
  }

  private Decision decide(RenewalPolicy p, Key key, Triggers t) {
    return Renewal.decide(clock.instant(), policy(p), key, t);
  }

  @Test
  void nothingHappensBeforeRenewAtAndThePhaseIsActive() {
    clock.advance(days(75).minusSeconds(1));
    for (RenewalPolicy p : RenewalPolicy.values()) {
      assertThat(decide(p, fresh(), Triggers.NONE).action()).isEqualTo(Action.NONE);
    }
    assertThat(Renewal.phase(clock.instant(), fresh().expiresAt(), policy(RenewalPolicy.Never)))
        .isEqualTo("Active");
  }

  @Test
  void rotateActsAtRenewAtAndTheOldKeyVerifiesForTheGracePeriod() {
    clock.advance(days(76));
    Decision d = decide(RenewalPolicy.Rotate, fresh(), Triggers.NONE);
    assertThat(d.action()).isEqualTo(Action.ROTATE);
    assertThat(d.previousValidUntil()).isEqualTo(T0.plus(days(76)).plus(DAY));
    assertThat(d.cause()).contains("renewAt 2027-02-09T10:00:00Z reached");
  }

  @Test
  void graceNeverOutlivesTheReplacedKey() {
    // 12 hours before expiry: a 24h grace is cut to the key's own expiry.
    clock.advance(days(90).minusHours(12));
    Decision d = decide(RenewalPolicy.Rotate, fresh(), Triggers.NONE);
    assertThat(d.previousValidUntil()).isEqualTo(fresh().expiresAt());
    // Past expiry there is nothing left to keep.
    clock.advance(Duration.ofHours(13));
    Decision late = decide(RenewalPolicy.Rotate, fresh(), Triggers.NONE);
    assertThat(late.action()).isEqualTo(Action.ROTATE);
    assertThat(late.previousValidUntil()).isNull();
    assertThat(late.cause()).contains("expired at").contains("before it could be renewed");
  }

  @Test
  void extendMovesExpiryOnByTheValidity() {
    clock.advance(days(76));
    Decision d = decide(RenewalPolicy.Extend, fresh(), Triggers.NONE);
    assertThat(d.action()).isEqualTo(Action.EXTEND);
    assertThat(d.expiresAt()).isEqualTo(T0.plus(days(180)));
  }

  @Test
  void extendStopsAtTheMaximumLifetimeThenRotates() {
    Policy p =
        new Policy(
            RenewalPolicy.Extend, days(90), days(14), Duration.ofHours(24), Duration.ofDays(200));
    Key key = fresh();
    clock.advance(days(76));
    Decision first = Renewal.decide(clock.instant(), p, key, Triggers.NONE);
    assertThat(first.expiresAt()).isEqualTo(T0.plus(days(180)));
    key = new Key(T0, first.expiresAt(), null);

    clock.advance(days(90)); // day 166: renewAt of the extended key
    Decision capped = Renewal.decide(clock.instant(), p, key, Triggers.NONE);
    assertThat(capped.action()).isEqualTo(Action.EXTEND);
    assertThat(capped.expiresAt()).isEqualTo(T0.plus(days(200)));
    key = new Key(T0, capped.expiresAt(), null);

    assertThat(Renewal.decide(clock.instant(), p, key, Triggers.NONE).action())
        .isEqualTo(Action.NONE);
    clock.advance(days(20)); // day 186 = 200 - 14
    Decision forced = Renewal.decide(clock.instant(), p, key, Triggers.NONE);
    assertThat(forced.action()).isEqualTo(Action.ROTATE);
    assertThat(forced.cause()).contains("limits.maxKeyLifetime (200d");
    assertThat(forced.previousValidUntil()).isEqualTo(clock.instant().plus(DAY));
  }

  @Test
  void neverShowsExpiringFromRenewAtAndExpiresAtExpiresAt() {
    clock.advance(days(76));
    assertThat(decide(RenewalPolicy.Never, fresh(), Triggers.NONE).action()).isEqualTo(Action.NONE);
    assertThat(Renewal.phase(clock.instant(), fresh().expiresAt(), policy(RenewalPolicy.Never)))
        .isEqualTo("Expiring");
    clock.advance(days(14).minusSeconds(1));
    assertThat(decide(RenewalPolicy.Never, fresh(), Triggers.NONE).action()).isEqualTo(Action.NONE);
    clock.advance(Duration.ofSeconds(1));
    Decision d = decide(RenewalPolicy.Never, fresh(), Triggers.NONE);
    assertThat(d.action()).isEqualTo(Action.EXPIRE);
    assertThat(d.cause()).isEqualTo("expired at 2027-02-23T10:00:00Z (policy Never)");
  }

  @Test
  void aNewRotateValueRotatesNowAndAHandledOneDoesNot() {
    clock.advance(days(3));
    Decision d = decide(RenewalPolicy.Never, fresh(), new Triggers("2026-11-28", null, null, null));
    assertThat(d.action()).isEqualTo(Action.ROTATE);
    assertThat(d.cause()).isEqualTo("keyward.io/rotate=2026-11-28");
    assertThat(d.previousValidUntil()).isEqualTo(clock.instant().plus(DAY));
    assertThat(
            decide(
                    RenewalPolicy.Never,
                    fresh(),
                    new Triggers("2026-11-28", "2026-11-28", null, null))
                .action())
        .isEqualTo(Action.NONE);
  }

  @Test
  void aNewRenewValueExtendsNowWhateverThePolicy() {
    clock.advance(days(3));
    for (RenewalPolicy p : RenewalPolicy.values()) {
      Decision d = decide(p, fresh(), new Triggers(null, null, "a", null));
      assertThat(d.action()).as(p.name()).isEqualTo(Action.EXTEND);
      assertThat(d.expiresAt()).isEqualTo(T0.plus(days(180)));
      assertThat(decide(p, fresh(), new Triggers(null, null, "a", "a")).action())
          .isEqualTo(Action.NONE);
    }
  }

  @Test
  void aRenewRequestAfterExpiryReissuesRatherThanRevivingTheKey() {
    clock.advance(days(91));
    Decision d = decide(RenewalPolicy.Never, fresh(), new Triggers(null, null, "b", "a"));
    assertThat(d.action()).isEqualTo(Action.ROTATE);
    assertThat(d.previousValidUntil()).isNull();
    assertThat(d.cause()).contains("after it expired");
    // An Extend key past its expiry is not extended either.
    assertThat(decide(RenewalPolicy.Extend, fresh(), Triggers.NONE).action())
        .isEqualTo(Action.ROTATE);
  }

  @Test
  void theNextDeadlineIsTheEarliestAhead() {
    Policy p = policy(RenewalPolicy.Rotate);
    Key key = new Key(T0, T0.plus(days(90)), T0.plus(DAY));
    assertThat(Renewal.nextDeadline(clock.instant(), p, key)).isEqualTo(T0.plus(DAY));
    clock.advance(DAY);
    assertThat(Renewal.nextDeadline(clock.instant(), p, key)).isEqualTo(T0.plus(days(76)));
    clock.advance(days(80));
    assertThat(Renewal.nextDeadline(clock.instant(), p, key)).isEqualTo(T0.plus(days(90)));
    clock.advance(days(10));
    assertThat(Renewal.nextDeadline(clock.instant(), p, key)).isNull();
    assertThat(Renewal.graceOver(clock.instant(), T0.plus(DAY))).isTrue();
    assertThat(Renewal.graceOver(T0, T0.plus(DAY))).isFalse();
    assertThat(Renewal.graceOver(T0, null)).isFalse();
  }

  private static final Duration HOUR = Duration.ofHours(1);

  /** A policy with limits.minRotationInterval of 1h. */
  private static Policy floored(RenewalPolicy p, Duration validity, Duration before) {
    return new Policy(p, validity, before, Duration.ofHours(24), days(365), HOUR);
  }

  private static Triggers rotate(String value) {
    return new Triggers(value, null, null, null);
  }

  /**
   * One row: a key issued at T0 (validity 90d unless said), the time since T0, the triggers, and
   * what happens: the action, and for a deferral the time it is done.
   */
  private record Row(
      String name,
      Policy policy,
      Key key,
      Duration at,
      Triggers triggers,
      Action action,
      Instant deferredUntil) {}

  @Test
  void minRotationIntervalDefersRotationsButNotExpiriesOrExtensions() {
    Policy rotate90 = floored(RenewalPolicy.Rotate, days(90), days(14));
    Key fresh = fresh();
    // Issued at T0 for 30m, under an older, shorter validity: the interval outlasts the key.
    Key short30 = new Key(T0, T0.plus(Duration.ofMinutes(30)), null);
    // renewAt 30m after issuance: the validity was raised after the key was issued.
    Policy early = floored(RenewalPolicy.Rotate, days(90), days(90).minusMinutes(30));
    Policy earlyExtend = floored(RenewalPolicy.Extend, days(90), days(90).minusMinutes(30));
    Policy earlyCapped =
        new Policy(
            RenewalPolicy.Extend,
            days(90),
            days(90).minusMinutes(30),
            Duration.ofHours(24),
            days(90),
            HOUR);
    List<Row> rows =
        List.of(
            new Row(
                "a rotate 10m after issuance waits until the interval is over",
                rotate90,
                fresh,
                Duration.ofMinutes(10),
                rotate("v1"),
                Action.NONE,
                T0.plus(HOUR)),
            new Row(
                "still waiting a nanosecond before",
                rotate90,
                fresh,
                HOUR.minusNanos(1),
                rotate("v1"),
                Action.NONE,
                T0.plus(HOUR)),
            new Row(
                "done when the interval is over",
                rotate90,
                fresh,
                HOUR,
                rotate("v1"),
                Action.ROTATE,
                null),
            new Row(
                "whatever the policy",
                floored(RenewalPolicy.Never, days(90), days(14)),
                fresh,
                Duration.ofMinutes(1),
                rotate("v1"),
                Action.NONE,
                T0.plus(HOUR)),
            new Row(
                "a handled value is no request",
                rotate90,
                fresh,
                Duration.ofMinutes(1),
                new Triggers("v1", "v1", null, null),
                Action.NONE,
                null),
            new Row(
                "never past the key's expiry",
                rotate90,
                short30,
                Duration.ofMinutes(10),
                rotate("v1"),
                Action.NONE,
                T0.plus(Duration.ofMinutes(30))),
            new Row(
                "an expired key rotates at once, inside the interval or not",
                rotate90,
                short30,
                Duration.ofMinutes(40),
                rotate("v1"),
                Action.ROTATE,
                null),
            new Row(
                "an expired key without a trigger too",
                rotate90,
                short30,
                Duration.ofMinutes(40),
                Triggers.NONE,
                Action.ROTATE,
                null),
            new Row(
                "a renewAt inside the interval waits for its end",
                early,
                fresh,
                Duration.ofMinutes(30),
                Triggers.NONE,
                Action.NONE,
                T0.plus(HOUR)),
            new Row("and rotates then", early, fresh, HOUR, Triggers.NONE, Action.ROTATE, null),
            new Row(
                "an extension rotates nothing: not deferred",
                earlyExtend,
                fresh,
                Duration.ofMinutes(30),
                Triggers.NONE,
                Action.EXTEND,
                null),
            new Row(
                "a renew request extends at once",
                rotate90,
                fresh,
                Duration.ofMinutes(1),
                new Triggers(null, null, "r1", null),
                Action.EXTEND,
                null),
            new Row(
                "an Extend key out of lifetime rotates instead: deferred like any rotation",
                earlyCapped,
                fresh,
                Duration.ofMinutes(30),
                Triggers.NONE,
                Action.NONE,
                T0.plus(HOUR)),
            new Row(
                "no interval (0s): the rotation is at once",
                new Policy(RenewalPolicy.Rotate, days(90), days(14), DAY, days(365), Duration.ZERO),
                fresh,
                Duration.ofSeconds(1),
                rotate("v1"),
                Action.ROTATE,
                null));
    for (Row r : rows) {
      Instant now = T0.plus(r.at());
      Decision d = Renewal.decide(now, r.policy(), r.key(), r.triggers());
      assertThat(d.action()).as(r.name()).isEqualTo(r.action());
      assertThat(d.deferredUntil()).as(r.name()).isEqualTo(r.deferredUntil());
      if (r.deferredUntil() != null) {
        assertThat(d.cause())
            .as(r.name())
            .contains("rotation deferred until " + r.deferredUntil())
            .contains("limits.minRotationInterval is 1h")
            .contains("the key was issued at " + T0);
      }
    }
  }

  @Test
  void aDeferredRotateIsToldWithItsValueAndTime() {
    Policy p = floored(RenewalPolicy.Rotate, days(90), days(14));
    Instant now = T0.plus(Duration.ofMinutes(5));
    Triggers t = rotate("ticket-42");
    Instant until = Renewal.rotateDeferredUntil(now, HOUR, fresh(), t);
    assertThat(until).isEqualTo(T0.plus(HOUR));
    assertThat(Renewal.deferredCause(t, until, HOUR, fresh()))
        .isEqualTo(
            "keyward.io/rotate=ticket-42: rotation deferred until 2026-11-25T11:00:00Z"
                + " (limits.minRotationInterval is 1h and the key was issued at"
                + " 2026-11-25T10:00:00Z)");
    assertThat(Renewal.decide(now, p, fresh(), t).cause())
        .isEqualTo(Renewal.deferredCause(t, until, HOUR, fresh()));
    assertThat(Renewal.rotateDeferredUntil(T0.plus(HOUR), HOUR, fresh(), t)).isNull();
    assertThat(Renewal.rotateDeferredUntil(now, HOUR, fresh(), Triggers.NONE)).isNull();
  }

  @Test
  void aRotateKeyWaitingForTheIntervalStaysActiveAndItsDeadlineIsTheIntervalsEnd() {
    Policy early = floored(RenewalPolicy.Rotate, days(90), days(90).minusMinutes(30));
    Instant now = T0.plus(Duration.ofMinutes(40));
    assertThat(Renewal.phase(now, fresh().expiresAt(), early)).isEqualTo("Active");
    assertThat(Renewal.nextDeadline(T0, early, fresh())).isEqualTo(T0.plus(HOUR));
    // Never shows Expiring from renewAt, as before.
    Policy never = floored(RenewalPolicy.Never, days(90), days(90).minusMinutes(30));
    assertThat(Renewal.phase(now, fresh().expiresAt(), never)).isEqualTo("Expiring");
  }
}
