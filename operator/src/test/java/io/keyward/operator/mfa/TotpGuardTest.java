package io.keyward.operator.mfa;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.MutableClock;
import io.keyward.operator.mfa.TotpGuard.Decision;
import io.keyward.operator.mfa.TotpGuard.Outcome;
import io.keyward.operator.mfa.TotpGuard.State;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TotpGuardTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T10:00:00Z"));

  @Test
  void aFreshStepIsAcceptedAndRecorded() {
    Decision d = TotpGuard.decide(State.EMPTY, List.of(100L), clock.instant());
    assertThat(d.outcome()).isEqualTo(Outcome.ACCEPTED);
    assertThat(d.next().lastUsedStep()).isEqualTo(100L);
    assertThat(d.message()).doesNotContain("100");
  }

  @Test
  void theSameOrAnOlderStepIsAReplay() {
    State used = new State(100L, List.of(), null);
    assertThat(TotpGuard.decide(used, List.of(100L), clock.instant()).outcome())
        .isEqualTo(Outcome.REPLAYED);
    assertThat(TotpGuard.decide(used, List.of(99L), clock.instant()).outcome())
        .isEqualTo(Outcome.REPLAYED);
    Decision newer = TotpGuard.decide(used, List.of(101L), clock.instant());
    assertThat(newer.outcome()).isEqualTo(Outcome.ACCEPTED);
    assertThat(newer.next().lastUsedStep()).isEqualTo(101L);
  }

  @Test
  void fiveFailuresIn15MinutesLockFor15Minutes() {
    State s = State.EMPTY;
    for (int i = 1; i <= 4; i++) {
      Decision d = TotpGuard.decide(s, List.of(), clock.instant());
      assertThat(d.outcome()).isEqualTo(Outcome.INVALID);
      assertThat(d.lockedNow()).isFalse();
      s = d.next();
      clock.advance(Duration.ofMinutes(3));
    }
    Decision fifth = TotpGuard.decide(s, List.of(), clock.instant());
    assertThat(fifth.lockedNow()).isTrue();
    assertThat(fifth.reason()).isEqualTo("TooManyAttempts");
    s = fifth.next();
    Instant lockedAt = clock.instant();
    assertThat(s.lockedUntil()).isEqualTo(lockedAt.plus(Duration.ofMinutes(15)));

    // While locked even a right code is refused, and the lock is not extended.
    clock.advance(Duration.ofMinutes(14));
    Decision locked = TotpGuard.decide(s, List.of(500L), clock.instant());
    assertThat(locked.outcome()).isEqualTo(Outcome.LOCKED);
    assertThat(locked.next()).isEqualTo(s);

    clock.advance(Duration.ofMinutes(1));
    Decision after = TotpGuard.decide(s, List.of(500L), clock.instant());
    assertThat(after.outcome()).isEqualTo(Outcome.ACCEPTED);
    assertThat(after.next().failures()).isEmpty();
    assertThat(after.next().lockedUntil()).isNull();
  }

  @Test
  void failuresOlderThanTheWindowDoNotCount() {
    State s = State.EMPTY;
    for (int i = 0; i < 4; i++) {
      s = TotpGuard.decide(s, List.of(), clock.instant()).next();
    }
    clock.advance(Duration.ofMinutes(15));
    Decision d = TotpGuard.decide(s, List.of(), clock.instant());
    assertThat(d.lockedNow()).isFalse();
    assertThat(d.next().failures()).hasSize(1);
  }

  @Test
  void replaysCountAsFailures() {
    State s = new State(7L, List.of(), null);
    for (int i = 0; i < 4; i++) {
      s = TotpGuard.decide(s, List.of(7L), clock.instant()).next();
    }
    Decision d = TotpGuard.decide(s, List.of(7L), clock.instant());
    assertThat(d.outcome()).isEqualTo(Outcome.REPLAYED);
    assertThat(d.lockedNow()).isTrue();
  }
}
