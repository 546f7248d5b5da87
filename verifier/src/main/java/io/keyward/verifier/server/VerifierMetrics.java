package io.keyward.verifier.server;

import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.RequestView;
import io.keyward.verifier.core.Verdict;
import io.keyward.verifier.core.VerificationListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The verifier's Prometheus metrics: {@code keyward_verifier_requests_total{scheme, outcome,
 * reason}}, the histogram {@code keyward_verifier_verification_seconds{scheme}}, and the gauges
 * {@code keyward_verifier_keys}, {@code keyward_verifier_ready} and {@code
 * keyward_verifier_replay_entries}. Every label value comes from a fixed set (the configured
 * schemes and {@code none}; {@code accepted} or {@code refused}; a {@link Reason} label or {@code
 * none}), never from a request, so no client can add a series. Every series exists from the start
 * at 0, and a request only increments a counter looked up by index: nothing is allocated.
 */
public final class VerifierMetrics implements VerificationListener {
  /** The scheme label of a request no scheme recognised. */
  public static final String NO_SCHEME = "none";

  private static final Reason[] REASONS = Reason.values();

  private final String[] schemes;
  // [scheme index; the last one is "none"][0: accepted, 1 + reason ordinal: refused for it]
  private final Counter[][] requests;
  private final Timer[] timers;

  /**
   * @param schemes the names of the configured schemes (a verdict naming another counts as none)
   * @param keys how many access keys the directory knows
   * @param ready whether the directory is ready
   * @param replayEntries how many signatures the replay guard remembers
   */
  public VerifierMetrics(
      MeterRegistry registry,
      List<String> schemes,
      LongSupplier keys,
      BooleanSupplier ready,
      LongSupplier replayEntries) {
    List<String> labels = new ArrayList<>(schemes);
    labels.add(NO_SCHEME);
    this.schemes = schemes.toArray(String[]::new);
    this.requests = new Counter[labels.size()][1 + REASONS.length];
    this.timers = new Timer[labels.size()];
    for (int s = 0; s < labels.size(); s++) {
      String scheme = labels.get(s);
      if (s < this.schemes.length) {
        requests[s][0] = counter(registry, scheme, "accepted", NO_SCHEME);
      }
      for (Reason r : REASONS) {
        requests[s][1 + r.ordinal()] = counter(registry, scheme, "refused", r.label());
      }
      timers[s] =
          Timer.builder("keyward.verifier.verification")
              .description("How long verifying one request took (the signature check included)")
              .tag("scheme", scheme)
              .serviceLevelObjectives(
                  Duration.ofNanos(10_000),
                  Duration.ofNanos(25_000),
                  Duration.ofNanos(50_000),
                  Duration.ofNanos(100_000),
                  Duration.ofNanos(250_000),
                  Duration.ofNanos(500_000),
                  Duration.ofMillis(1),
                  Duration.ofMillis(5),
                  Duration.ofMillis(25))
              .register(registry);
    }
    // Strong references: a gauge holds its state weakly, and these suppliers are often lambdas
    // nothing else holds (the gauge would read NaN once they are collected).
    Gauge.builder("keyward.verifier.keys", keys, k -> k.getAsLong())
        .strongReference(true)
        .description("Access keys the verifier knows (current and previous ones in their grace)")
        .register(registry);
    Gauge.builder("keyward.verifier.ready", ready, r -> r.getAsBoolean() ? 1 : 0)
        .strongReference(true)
        .description("1 when the verifier knows every key (its caches are synced), else 0")
        .register(registry);
    Gauge.builder("keyward.verifier.replay.entries", replayEntries, r -> r.getAsLong())
        .strongReference(true)
        .description("Accepted signatures remembered against replay until their window ends")
        .register(registry);
  }

  private static Counter counter(
      MeterRegistry registry, String scheme, String outcome, String reason) {
    return Counter.builder("keyward.verifier.requests")
        .description("Verified requests by scheme, outcome and refusal reason")
        .tag("scheme", scheme)
        .tag("outcome", outcome)
        .tag("reason", reason)
        .register(registry);
  }

  @Override
  public void verdict(RequestView request, Verdict verdict, long elapsedNanos) {
    int s = index(verdict.scheme());
    int column = verdict instanceof Verdict.Refused refused ? 1 + refused.reason().ordinal() : 0;
    Counter c = requests[s][column];
    if (c == null) {
      // An accepted verdict without a known scheme cannot happen; count it as nothing rather than
      // invent a label.
      return;
    }
    c.increment();
    timers[s].record(elapsedNanos, TimeUnit.NANOSECONDS);
  }

  private int index(String scheme) {
    if (scheme != null) {
      for (int i = 0; i < schemes.length; i++) {
        if (schemes[i].equals(scheme)) {
          return i;
        }
      }
    }
    return schemes.length;
  }
}
