package io.keyward.bench.verifier;

import java.util.Arrays;

/** Nearest-rank percentiles of nanosecond samples, in milliseconds. */
final class Percentiles {
  private Percentiles() {}

  /** The {@code p}th percentile (100: the maximum); NaN when there are no samples. */
  static double ms(long[] nanos, double p) {
    if (nanos.length == 0) {
      return Double.NaN;
    }
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(i, sorted.length - 1))] / 1e6;
  }
}
