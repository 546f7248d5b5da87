package io.keyward.operator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.Supplier;

/** Keyward's own metrics, in one Prometheus registry that /metrics serves. */
public final class KeywardMetrics {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  /** The registry, for other meters (the reconcilers' own) and for scraping. */
  public MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  /** A refused TOTP code: {@code keyward_totp_failures_total{user,reason}}. */
  public void totpFailure(String user, String reason) {
    Counter.builder("keyward.totp.failures")
        .description("TOTP codes refused (wrong, replayed, or while locked)")
        .tag("user", user)
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  /** {@code keyward_apikeys_waiting_for_slot}: keys that wait for a slot of their user. */
  public void waitingForSlot(Supplier<Number> count) {
    Gauge.builder("keyward.apikeys.waiting.for.slot", count)
        .description("ApiKeys waiting for a free slot of their ApiUser (QuotaAvailable=False)")
        .register(registry);
  }
}
