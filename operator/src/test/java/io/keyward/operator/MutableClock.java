package io.keyward.operator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that tests move by hand instead of sleeping: either frozen at an instant, or ticking with
 * the system clock plus an offset that {@link #advance} grows.
 */
public final class MutableClock extends Clock {
  private final boolean ticking;
  private final AtomicReference<Instant> base;
  private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

  private MutableClock(Instant base, boolean ticking) {
    this.base = new AtomicReference<>(base);
    this.ticking = ticking;
  }

  /** A clock frozen at {@code start}. */
  public MutableClock(Instant start) {
    this(start, false);
  }

  /** A clock that follows the system clock, moved on by {@link #advance}. */
  public static MutableClock ticking() {
    return new MutableClock(Instant.EPOCH, true);
  }

  /** Moves time forward. */
  public void advance(Duration d) {
    offset.updateAndGet(o -> o.plus(d));
  }

  /** How far {@link #advance} has moved this clock: its time minus the system clock's (ticking). */
  public Duration offset() {
    return offset.get();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    Instant now = ticking ? Instant.now() : base.get();
    return now.plus(offset.get());
  }
}
