package io.keyward.verifier.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.net.InetAddresses;
import io.keyward.verifier.core.Permission;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.RequestView;
import io.keyward.verifier.core.Verdict;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class VerifierMetricsTest {
  private static final RequestView REQUEST =
      new RequestView(
          "GET", "h", "/api/x", null, n -> null, new byte[0], InetAddresses.forString("192.0.2.1"));

  @Test
  void requestsByBoundedLabelsAndTheGauges() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AtomicBoolean ready = new AtomicBoolean(false);
    VerifierMetrics metrics =
        new VerifierMetrics(registry, List.of("alpha", "beta"), () -> 7, ready::get, () -> 3);
    var key = Fixtures.key(Fixtures.ACCESS_KEY, Set.of(Permission.READ), List.of());

    metrics.verdict(REQUEST, new Verdict.Accepted("alpha", key, Permission.READ), 20_000);
    metrics.verdict(REQUEST, new Verdict.Accepted("alpha", key, Permission.READ), 20_000);
    metrics.verdict(REQUEST, new Verdict.Refused("beta", Reason.BAD_SIGNATURE, "K", key), 30_000);
    metrics.verdict(REQUEST, new Verdict.Refused(null, Reason.MALFORMED, null, null), 1_000);
    // A scheme name that is not configured does not become a label.
    metrics.verdict(
        REQUEST, new Verdict.Refused("made-up\"}", Reason.UNKNOWN_KEY, "x", null), 1_000);

    String text = registry.scrape();
    assertThat(text)
        .contains(
            "keyward_verifier_requests_total{outcome=\"accepted\",reason=\"none\",scheme=\"alpha\"} 2.0")
        .contains(
            "keyward_verifier_requests_total{outcome=\"refused\",reason=\"BadSignature\",scheme=\"beta\"} 1.0")
        .contains(
            "keyward_verifier_requests_total{outcome=\"refused\",reason=\"Malformed\",scheme=\"none\"} 1.0")
        .contains(
            "keyward_verifier_requests_total{outcome=\"refused\",reason=\"UnknownKey\",scheme=\"none\"} 1.0")
        // every series from the start, 0 included
        .contains(
            "keyward_verifier_requests_total{outcome=\"refused\",reason=\"Replayed\",scheme=\"alpha\"} 0.0")
        .contains("keyward_verifier_verification_seconds_count{scheme=\"alpha\"} 2")
        .contains("keyward_verifier_verification_seconds_bucket{scheme=\"alpha\",le=\"2.5E-5\"} 2")
        .contains("keyward_verifier_keys 7.0")
        .contains("keyward_verifier_ready 0.0")
        .contains("keyward_verifier_replay_entries 3.0")
        .doesNotContain("made-up");
    assertThat(text.lines().filter(l -> l.startsWith("keyward_verifier_requests_total{")).count())
        .isEqualTo(2 * (1 + Reason.values().length) + Reason.values().length);
    assertThat(text).doesNotContain("outcome=\"accepted\",reason=\"none\",scheme=\"none\"");
    ready.set(true);
    // The suppliers are held by the gauges alone (a gauge's weak reference would read NaN).
    System.gc();
    assertThat(registry.scrape())
        .contains("keyward_verifier_ready 1.0")
        .contains("keyward_verifier_keys 7.0")
        .contains("keyward_verifier_replay_entries 3.0");
  }
}
