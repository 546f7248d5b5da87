package io.keyward.verifier.core;

import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Accepts each signature once. A signature is remembered only while its timestamp is still inside
 * its window: after that the window check refuses it anyway, so it is forgotten. Signatures are
 * kept in buckets by the second their window ends, and a whole bucket is dropped when that second
 * has passed; memory is therefore the accepted rate times how long each is remembered (the verifier
 * remembers each for at least the longest window a client may ask for), and never more than {@code
 * maxEntries}: when full, a new signature is refused as {@link Use#FULL} (the verifier answers
 * unavailable) rather than forgetting one that could then be replayed.
 */
public final class ReplayGuard {
  /** The outcome of offering a signature. */
  public enum Use {
    FIRST,
    REPLAYED,
    FULL
  }

  private final long maxEntries;
  private final long maxEntriesPerKey;
  private final AtomicLong size = new AtomicLong();
  private final ConcurrentHashMap<String, AtomicLong> perKey = new ConcurrentHashMap<>();
  private final ConcurrentSkipListMap<Long, Set<Seen>> buckets = new ConcurrentSkipListMap<>();

  /**
   * @param maxEntries the most signatures remembered at once
   */
  public ReplayGuard(long maxEntries) {
    this(maxEntries, Math.max(1_000, maxEntries / 100));
  }

  /**
   * @param maxEntries the most signatures remembered at once
   * @param maxEntriesPerKey the most of them one access key may hold: a key that signs faster than
   *     this many per window is refused {@link Use#FULL} on its own, and the others go on (by
   *     default a hundredth of the whole, at least 1,000: at a 60 s memory, 16 requests a second
   *     for a million entries, more than the exchanges allow one key)
   */
  public ReplayGuard(long maxEntries, long maxEntriesPerKey) {
    if (maxEntries <= 0 || maxEntriesPerKey <= 0) {
      throw new IllegalArgumentException("replay.maxEntries must be positive");
    }
    this.maxEntries = maxEntries;
    this.maxEntriesPerKey = Math.min(maxEntries, maxEntriesPerKey);
  }

  /**
   * Offers a signature that has just verified.
   *
   * @param accessKey the key it is signed with
   * @param signature its bytes
   * @param staleAtMillis when its timestamp leaves the window (epoch ms)
   * @param nowMillis the verifier's clock
   */
  public Use offer(String accessKey, byte[] signature, long staleAtMillis, long nowMillis) {
    forgetBefore(Math.floorDiv(nowMillis, 1000));
    long second = Math.floorDiv(staleAtMillis, 1000);
    Set<Seen> bucket = buckets.computeIfAbsent(second, s -> ConcurrentHashMap.newKeySet());
    Seen seen = Seen.of(accessKey, signature);
    if (bucket.contains(seen)) {
      return Use.REPLAYED;
    }
    AtomicLong own = perKey.computeIfAbsent(accessKey, k -> new AtomicLong());
    if (own.incrementAndGet() > maxEntriesPerKey) {
      own.decrementAndGet();
      return Use.FULL;
    }
    if (size.incrementAndGet() > maxEntries) {
      size.decrementAndGet();
      own.decrementAndGet();
      return Use.FULL;
    }
    if (!bucket.add(seen)) {
      size.decrementAndGet();
      own.decrementAndGet();
      return Use.REPLAYED;
    }
    if (buckets.get(second) != bucket) {
      // Its bucket was dropped meanwhile (its second passed): not counted, as it is not kept.
      size.decrementAndGet();
      own.decrementAndGet();
    }
    return Use.FIRST;
  }

  /** How many signatures are remembered now. */
  public long size() {
    return size.get();
  }

  private void forgetBefore(long second) {
    Map.Entry<Long, Set<Seen>> first = buckets.firstEntry();
    if (first == null || first.getKey() >= second) {
      return;
    }
    Iterator<Map.Entry<Long, Set<Seen>>> it = buckets.headMap(second).entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, Set<Seen>> e = it.next();
      if (buckets.remove(e.getKey(), e.getValue())) {
        size.addAndGet(-e.getValue().size());
        for (Seen seen : e.getValue()) {
          AtomicLong own = perKey.get(seen.accessKey());
          if (own != null && own.decrementAndGet() <= 0) {
            perKey.remove(seen.accessKey(), own);
          }
        }
      }
    }
  }

  /**
   * A remembered signature: its key and its first 16 bytes (or all of a shorter one). A valid
   * signature cannot be chosen without the key, so no client can make another's look used.
   */
  private record Seen(String accessKey, long high, long low, int length) {
    static Seen of(String accessKey, byte[] s) {
      long high = 0;
      long low = 0;
      for (int i = 0; i < Math.min(8, s.length); i++) {
        high = (high << 8) | (s[i] & 0xff);
      }
      for (int i = 8; i < Math.min(16, s.length); i++) {
        low = (low << 8) | (s[i] & 0xff);
      }
      return new Seen(accessKey, high, low, s.length);
    }
  }
}
