package io.keyward.bench.verifier;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The verifier's suite of {@code bin/bench}: JMH of one verification per scheme, the reverse proxy
 * under an open-loop load next to direct calls, and the propagation lag of key changes. Prints one
 * table and writes a JSON result.
 *
 * <pre>
 * bin/bench --suite verifier [--verifier-jmh true] [--proxy true] [--proxy-rate 2000]
 *           [--proxy-seconds 45] [--proxy-warmup-seconds 15] [--proxy-keys 100]
 *           [--proxy-upstream armeria|echo] [--lag true] [--lag-keys 200]
 *           [--lag-bound-seconds 10] [--lag-poll-ms 1] [--verifier-out bench/results/verifier-latest.json]
 * </pre>
 *
 * Options of the operator's suite are ignored, so {@code bin/bench} can hand both suites the same
 * arguments.
 */
public final class VerifierBench {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One scheme in JMH: verifications and the bare cryptography over the same bytes, per second. */
  record Jmh(
      String scheme,
      double verifyOpsPerSecond,
      double verifyError,
      double macBareOpsPerSecond,
      double macKeyedOpsPerSecond,
      double verifyMicros,
      double overBareMicros,
      double overKeyedMicros) {}

  record Options(
      boolean jmh,
      boolean proxy,
      int proxyRate,
      int proxySeconds,
      int proxyWarmupSeconds,
      int proxyKeys,
      String proxyUpstream,
      boolean lag,
      int lagKeys,
      int lagBoundSeconds,
      int lagPollMs,
      Path out) {
    static Options parse(String[] args) {
      Map<String, String> a = new LinkedHashMap<>();
      for (int i = 0; i + 1 < args.length; i += 2) {
        a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
      }
      return new Options(
          Boolean.parseBoolean(a.getOrDefault("verifier-jmh", "true")),
          Boolean.parseBoolean(a.getOrDefault("proxy", "true")),
          Integer.parseInt(a.getOrDefault("proxy-rate", "2000")),
          Integer.parseInt(a.getOrDefault("proxy-seconds", "45")),
          Integer.parseInt(a.getOrDefault("proxy-warmup-seconds", "15")),
          Integer.parseInt(a.getOrDefault("proxy-keys", "100")),
          a.getOrDefault("proxy-upstream", "armeria"),
          Boolean.parseBoolean(a.getOrDefault("lag", "true")),
          Integer.parseInt(a.getOrDefault("lag-keys", "200")),
          Integer.parseInt(a.getOrDefault("lag-bound-seconds", "10")),
          Integer.parseInt(a.getOrDefault("lag-poll-ms", "1")),
          Path.of(a.getOrDefault("verifier-out", "bench/results/verifier-latest.json")));
    }
  }

  private VerifierBench() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of("").toAbsolutePath();
    while (!Files.isDirectory(root.resolve("crds"))) {
      root = root.getParent();
    }
    Options opts = Options.parse(args);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("time", Instant.now().toString());
    json.put(
        "machine",
        Runtime.getRuntime().availableProcessors()
            + " cores, "
            + System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.version"));
    Map<String, String> load = new LinkedHashMap<>();
    json.put("loadAverage", load);
    load.put("start", loadAverage());

    List<Jmh> jmh = List.of();
    if (opts.jmh()) {
      jmh = jmh();
      load.put("afterJmh", loadAverage());
      json.put("jmh", jmh);
    }
    ProxyLoad.Result proxy = null;
    PropagationLag.Result lag = null;
    if (opts.proxy() || opts.lag()) {
      try (KeywardCluster cluster = KeywardCluster.start(root)) {
        if (opts.proxy()) {
          proxy = proxyLoad(root, cluster, opts);
          load.put("afterProxy", loadAverage());
          json.put("proxyLoad", proxy);
        }
        if (opts.lag()) {
          lag =
              new PropagationLag(
                      cluster,
                      opts.lagKeys(),
                      Duration.ofSeconds(opts.lagBoundSeconds()),
                      Duration.ofMillis(opts.lagPollMs()))
                  .run();
          load.put("afterLag", loadAverage());
          json.put("propagationLag", lag);
        }
      }
    }
    print(jmh, proxy, lag);
    Files.createDirectories(opts.out().toAbsolutePath().getParent());
    JSON.writeValue(opts.out().toFile(), json);
    System.out.println("written " + opts.out());
  }

  private static List<Jmh> jmh() throws Exception {
    Map<String, Map<String, double[]>> byScheme = new LinkedHashMap<>();
    for (RunResult r :
        new Runner(
                new OptionsBuilder()
                    .include(VerifyBenchmark.class.getName())
                    // A setup that throws (a request the verifier did not accept) ends the run.
                    .shouldFailOnError(true)
                    .build())
            .run()) {
      String name = r.getParams().getBenchmark();
      String method = name.substring(name.lastIndexOf('.') + 1);
      String scheme = r.getParams().getParam("scheme");
      byScheme
          .computeIfAbsent(scheme, s -> new LinkedHashMap<>())
          .put(
              method,
              new double[] {r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError()});
    }
    List<Jmh> rows = new ArrayList<>();
    for (Map.Entry<String, Map<String, double[]>> e : byScheme.entrySet()) {
      double verify = e.getValue().get("verify")[0];
      double bare = e.getValue().get("macBare")[0];
      double keyed = e.getValue().get("macKeyed")[0];
      rows.add(
          new Jmh(
              e.getKey(),
              verify,
              e.getValue().get("verify")[1],
              bare,
              keyed,
              1e6 / verify,
              1e6 / verify - 1e6 / bare,
              1e6 / verify - 1e6 / keyed));
    }
    return rows;
  }

  /**
   * The keys of the load: {@code --proxy-keys} HMAC keys issued by the operator, ten to a user,
   * bound to 127.0.0.1 (where the generator connects from), read and trade.
   */
  private static ProxyLoad.Result proxyLoad(Path root, KeywardCluster cluster, Options opts)
      throws Exception {
    String ns = "load";
    List<String> names =
        cluster.issue(
            ns,
            opts.proxyKeys(),
            i -> String.format("load-%03d", i / 10),
            i -> {
              io.keyward.operator.api.ApiKeySpec spec = new io.keyward.operator.api.ApiKeySpec();
              spec.note = "proxy load " + i;
              spec.permissions = List.of("read", "trade");
              spec.ipWhitelist = List.of("127.0.0.1");
              return spec;
            },
            10);
    List<BotSigner.BotKey> bots = new ArrayList<>();
    for (String name : names) {
      bots.add(cluster.bot(ns, name));
    }
    return new ProxyLoad(
            root,
            cluster.kubeconfig(),
            ns,
            bots,
            opts.proxyRate(),
            opts.proxySeconds(),
            opts.proxyWarmupSeconds(),
            opts.proxyUpstream())
        .run();
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  private static void print(List<Jmh> jmh, ProxyLoad.Result proxy, PropagationLag.Result lag) {
    System.out.println();
    if (!jmh.isEmpty()) {
      System.out.println(
          "verifier JMH, one thread (ops/s; µs per verification; over the bare MAC)");
      System.out.printf(
          Locale.ROOT,
          "%-16s %12s %9s %14s %14s %10s %10s%n",
          "scheme",
          "verify/s",
          "µs/op",
          "Mac.doFinal/s",
          "init+final/s",
          "over bare",
          "over keyed");
      for (Jmh j : jmh) {
        System.out.printf(
            Locale.ROOT,
            "%-16s %12.0f %9.2f %14.0f %14.0f %10.2f %10.2f%n",
            j.scheme(),
            j.verifyOpsPerSecond(),
            j.verifyMicros(),
            j.macBareOpsPerSecond(),
            j.macKeyedOpsPerSecond(),
            j.overBareMicros(),
            j.overKeyedMicros());
      }
      System.out.println(
          "(Ed25519: both baselines are one Signature verify; target: >= 200,000 HMAC verifications"
              + "/s per core)");
    }
    if (proxy != null) {
      System.out.printf(
          Locale.ROOT,
          "%nreverse proxy, %d req/s proxied + %d req/s direct, interleaved, %d s measured after %d"
              + " s (upstream: %s)%n",
          proxy.ratePerPath(),
          proxy.ratePerPath(),
          proxy.seconds(),
          proxy.warmupSeconds(),
          proxy.upstream());
      System.out.printf(
          Locale.ROOT,
          "%-8s %9s %7s %8s %8s %8s %8s %8s%n",
          "path",
          "requests",
          "errors",
          "p50 ms",
          "p90 ms",
          "p99 ms",
          "p99.9 ms",
          "max ms");
      for (var row :
          List.of(Map.entry("direct", proxy.direct()), Map.entry("proxied", proxy.proxied()))) {
        ProxyLoad.Latency l = row.getValue();
        System.out.printf(
            Locale.ROOT,
            "%-8s %9d %7d %8.3f %8.3f %8.3f %8.3f %8.3f%n",
            row.getKey(),
            l.requests(),
            l.errors(),
            l.p50Ms(),
            l.p90Ms(),
            l.p99Ms(),
            l.p999Ms(),
            l.maxMs());
      }
      System.out.printf(
          Locale.ROOT,
          "%-8s %9s %7s %8.3f %8.3f %8.3f %8.3f%n",
          "added",
          "",
          "",
          proxy.addedMs().get("p50"),
          proxy.addedMs().get("p90"),
          proxy.addedMs().get("p99"),
          proxy.addedMs().get("p99.9"));
      System.out.printf(
          Locale.ROOT,
          "CPU, %% of a core: proxy %.1f, upstream %.1f, generator %.1f; late starts (> 1 ms) %d;"
              + " errors %s%n(target: added p99 <= 1 ms)%n",
          proxy.proxyCpuPercentOfCore(),
          proxy.upstreamCpuPercentOfCore(),
          proxy.generatorCpuPercentOfCore(),
          proxy.lateStarts(),
          proxy.errors());
    }
    if (lag != null) {
      System.out.printf(
          Locale.ROOT,
          "%npropagation lag, %d keys (write returned -> first refusal, polled every %d µs)%n",
          lag.keys(),
          lag.pollMicros());
      System.out.printf(
          Locale.ROOT,
          "%-10s %6s %9s %9s %9s %12s %12s  %s%n",
          "change",
          "keys",
          "p50 ms",
          "p99 ms",
          "max ms",
          "not refused",
          "other reason",
          "reasons");
      for (PropagationLag.Lag l : lag.lags()) {
        System.out.printf(
            Locale.ROOT,
            "%-10s %6d %9.1f %9.1f %9.1f %12d %12d  %s%n",
            l.change(),
            l.keys(),
            l.p50Ms(),
            l.p99Ms(),
            l.maxMs(),
            l.notRefused(),
            l.otherReason(),
            l.reasons());
      }
      System.out.println("(target: p99 <= 1,000 ms)");
    }
  }
}
