package io.keyward.operator.metrics;

import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** Keyward's own metrics, in one Prometheus registry that /metrics serves. */
public final class KeywardMetrics {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  {
    // The JVM's own: heap and non-heap by pool, GC pauses, threads, CPU, classes.
    new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.jvm.JvmGcMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
  }

  /** The registry, for other meters (the reconcilers' own) and for scraping. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Phases and types, so every combination is exported (as 0 when no key has it). */
  static final List<String> PHASES =
      List.of(
          "Pending", "AwaitingVerification", "Active", "Expiring", "Expired", "Revoked", "Invalid");

  static final List<String> TYPES = List.of("spot", "margin", "futures");

  /** "Expiring soon": within this much of expiresAt. */
  public static final Duration SOON = Duration.ofDays(7);

  private final List<Runnable> beforeScrape = new CopyOnWriteArrayList<>();
  private final Timer issuance =
      Timer.builder("keyward.apikey.issuance")
          .description("From an ApiKey's creation to its key being issued")
          .publishPercentileHistogram()
          .register(registry);

  /** The Prometheus text exposition of every meter. */
  public synchronized String scrape() {
    beforeScrape.forEach(Runnable::run);
    return registry.scrape() + perKey;
  }

  /** The per-key series, written straight in the exposition format (see {@link #apiKeys}). */
  private volatile String perKey = "";

  private static final String EXPIRATION = "keyward_apikey_expiration_timestamp_seconds";

  /**
   * Gauges over the ApiKeys the operator sees, computed from its cache when scraped (nothing is
   * computed between scrapes): {@code keyward_apikeys{phase,type}}, {@code
   * keyward_apikey_expiration_timestamp_seconds{namespace,name,user}} for each key in force, {@code
   * keyward_apikeys_expiring_soon} (in force, expiring within 7 days), {@code
   * keyward_apikeys_without_ip_binding} and {@code keyward_apikeys_with_withdraw}.
   */
  public void apiKeys(Supplier<Stream<ApiKey>> keys, Clock clock) {
    MultiGauge byPhase =
        MultiGauge.builder("keyward.apikeys")
            .description("ApiKeys by phase and type")
            .register(registry);
    // The per-key expiry series are written straight in the exposition format, not as one
    // Micrometer gauge per key: at 14,500 keys those meters cost a scrape 470 ms of CPU and
    // the heap about a kilobyte a key.
    AtomicLong soon = new AtomicLong();
    AtomicLong unbound = new AtomicLong();
    AtomicLong withdraw = new AtomicLong();
    Gauge.builder("keyward.apikeys.expiring.soon", soon::get)
        .description("ApiKeys in force that expire within 7 days")
        .register(registry);
    Gauge.builder("keyward.apikeys.without.ip.binding", unbound::get)
        .description("ApiKeys in force that any IP address may use")
        .register(registry);
    Gauge.builder("keyward.apikeys.with.withdraw", withdraw::get)
        .description("ApiKeys in force that may withdraw")
        .register(registry);
    beforeScrape.add(
        () -> {
          Map<String, long[]> counts = new TreeMap<>();
          for (String phase : PHASES) {
            for (String type : TYPES) {
              counts.put(phase + "|" + type, new long[1]);
            }
          }
          StringBuilder series =
              new StringBuilder()
                  .append("# HELP ")
                  .append(EXPIRATION)
                  .append(" When each key in force expires (Unix time)\n# TYPE ")
                  .append(EXPIRATION)
                  .append(" gauge\n");
          Instant now = clock.instant();
          long s = 0;
          long u = 0;
          long w = 0;
          for (ApiKey k : (Iterable<ApiKey>) keys.get()::iterator) {
            ApiKeyStatus st = k.getStatus();
            String phase = st == null || st.phase == null ? "Pending" : st.phase;
            String type =
                k.getSpec() == null || k.getSpec().type == null ? "spot" : k.getSpec().type;
            counts.computeIfAbsent(phase + "|" + type, x -> new long[1])[0]++;
            boolean inForce = st != null && st.accessKey != null && !"Expired".equals(phase);
            if (!inForce || st.expiresAt == null) {
              continue;
            }
            Instant expiresAt = Instant.parse(st.expiresAt);
            String user = k.getSpec() == null ? "" : String.valueOf(k.getSpec().user);
            // Labels in Micrometer's order (sorted by name), as the other families have them.
            series
                .append(EXPIRATION)
                .append("{name=\"")
                .append(label(k.getMetadata().getName()))
                .append("\",namespace=\"")
                .append(label(k.getMetadata().getNamespace()))
                .append("\",user=\"")
                .append(label(user))
                .append("\"} ")
                .append(expiresAt.getEpochSecond())
                .append('\n');
            if (expiresAt.isBefore(now.plus(SOON))) {
              s++;
            }
            if (st.effective != null) {
              if (st.effective.ipWhitelist == null || st.effective.ipWhitelist.isEmpty()) {
                u++;
              }
              if (st.effective.permissions != null
                  && st.effective.permissions.contains("withdraw")) {
                w++;
              }
            }
          }
          List<MultiGauge.Row<?>> phases = new ArrayList<>();
          counts.forEach(
              (pt, n) -> {
                String[] parts = pt.split("\\|", 2);
                phases.add(MultiGauge.Row.of(Tags.of("phase", parts[0], "type", parts[1]), n[0]));
              });
          byPhase.register(phases, true);
          perKey = series.toString();
          soon.set(s);
          unbound.set(u);
          withdraw.set(w);
        });
  }

  /** A label value escaped for the text exposition format. */
  static String label(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  /** Time from an ApiKey's creation to its first key being issued. */
  public void issued(Duration sinceCreation) {
    issuance.record(sinceCreation);
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
