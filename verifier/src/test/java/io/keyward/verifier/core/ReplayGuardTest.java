package io.keyward.verifier.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyward.verifier.core.ReplayGuard.Use;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ReplayGuardTest {
  private static final long NOW = 1_800_000_000_000L;

  @Test
  void aSignatureIsTakenOnceAndOnlyForItsKey() {
    ReplayGuard guard = new ReplayGuard(100);

    assertThat(guard.offer("KWA", signature(1), NOW + 5000, NOW)).isEqualTo(Use.FIRST);
    assertThat(guard.offer("KWA", signature(1), NOW + 5000, NOW + 10)).isEqualTo(Use.REPLAYED);
    assertThat(guard.offer("KWB", signature(1), NOW + 5000, NOW + 10)).isEqualTo(Use.FIRST);
    assertThat(guard.offer("KWA", signature(2), NOW + 5000, NOW + 10)).isEqualTo(Use.FIRST);
    assertThat(guard.size()).isEqualTo(3);
  }

  @Test
  void oneKeyFillingItsShareLocksOutOnlyItself() {
    ReplayGuard guard = new ReplayGuard(1_000, 10);
    for (int i = 0; i < 10; i++) {
      assertThat(guard.offer("KWNOISY", signature(i), NOW + 5000, NOW)).isEqualTo(Use.FIRST);
    }
    assertThat(guard.offer("KWNOISY", signature(10), NOW + 5000, NOW)).isEqualTo(Use.FULL);
    assertThat(guard.offer("KWQUIET", signature(11), NOW + 5000, NOW)).isEqualTo(Use.FIRST);
    // Its share comes back as its signatures leave their window.
    assertThat(guard.offer("KWNOISY", signature(12), NOW + 70_000, NOW + 6_000))
        .isEqualTo(Use.FIRST);
    assertThat(guard.size()).as("only the last is still inside its window").isEqualTo(1);
  }

  @Test
  void aSignatureIsRememberedUntilItsWindowEndsAndForgottenAfter() {
    ReplayGuard guard = new ReplayGuard(100);
    long staleAt = NOW + 5000;
    guard.offer("KWA", signature(1), staleAt, NOW);

    assertThat(guard.offer("KWA", signature(1), staleAt, staleAt)).isEqualTo(Use.REPLAYED);
    assertThat(guard.size()).isEqualTo(1);

    long later = staleAt + 1000;
    assertThat(guard.offer("KWA", signature(2), later + 5000, later)).isEqualTo(Use.FIRST);
    assertThat(guard.size()).isEqualTo(1);
    // Forgotten: the window check refuses its timestamp from now on anyway.
    assertThat(guard.offer("KWA", signature(1), staleAt, later)).isEqualTo(Use.FIRST);
  }

  @Test
  void memoryHoldsOnlyTheSignaturesStillInsideTheirWindows() {
    ReplayGuard guard = new ReplayGuard(1_000_000);
    for (int second = 0; second < 60; second++) {
      long now = NOW + second * 1000L;
      for (int i = 0; i < 100; i++) {
        guard.offer("KWA", signature(second * 100 + i), now + 5000, now);
      }
    }

    // 100 a second, each remembered for its 5 s window (and the rest of the second it ends in).
    assertThat(guard.size()).isBetween(500L, 700L);
  }

  @Test
  void whenFullANewSignatureIsRefusedAndNoneIsForgotten() {
    ReplayGuard guard = new ReplayGuard(2);

    assertThat(guard.offer("KWA", signature(1), NOW + 5000, NOW)).isEqualTo(Use.FIRST);
    assertThat(guard.offer("KWA", signature(2), NOW + 5000, NOW)).isEqualTo(Use.FIRST);
    assertThat(guard.offer("KWA", signature(3), NOW + 5000, NOW)).isEqualTo(Use.FULL);
    assertThat(guard.offer("KWA", signature(1), NOW + 5000, NOW)).isEqualTo(Use.REPLAYED);
    assertThat(guard.size()).isEqualTo(2);

    long later = NOW + 7000;
    assertThat(guard.offer("KWA", signature(3), later + 5000, later)).isEqualTo(Use.FIRST);
    assertThat(guard.size()).isEqualTo(1);
  }

  @Test
  void ofEightThreadsOfferingOneSignatureExactlyOneIsFirst() throws Exception {
    ReplayGuard guard = new ReplayGuard(1_000_000);
    int signatures = 2000;
    int threads = 8;
    AtomicIntegerArray firsts = new AtomicIntegerArray(signatures);
    AtomicIntegerArray replays = new AtomicIntegerArray(signatures);
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int s = 0; s < signatures; s++) {
                    Use use = guard.offer("KWA", signature(s), NOW + 5000, NOW);
                    (use == Use.FIRST ? firsts : replays).incrementAndGet(s);
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    for (int s = 0; s < signatures; s++) {
      assertThat(firsts.get(s)).as("signature %d accepted", s).isEqualTo(1);
      assertThat(replays.get(s)).as("signature %d replayed", s).isEqualTo(threads - 1);
    }
    assertThat(guard.size()).isEqualTo(signatures);
  }

  @Test
  void aGuardRemembersAtLeastOne() {
    assertThatThrownBy(() -> new ReplayGuard(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("replay.maxEntries");
  }

  /** A 32-byte signature (the length of an HMAC-SHA256) made from a number. */
  private static byte[] signature(int n) {
    return ByteBuffer.allocate(32).putInt(0x5eed).putInt(n).putLong(~n).array();
  }
}
