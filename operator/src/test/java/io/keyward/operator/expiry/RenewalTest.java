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
}
