package io.keyward.bench.verifier;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import io.keyward.bench.verifier.BotSigner.BotKey;
import io.keyward.bench.verifier.BotSigner.Kind;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The reverse proxy under load, next to direct calls to the same upstream. Three processes share
 * the cores: this one (the load generator), the verifier ({@code java -jar keyward-verifier.jar},
 * its reverse proxy only, with the chart's JVM and its own view of the cluster's keys) and the
 * upstream. An open-loop generator starts requests at fixed times ({@code rate} a second through
 * the proxy and as many directly, interleaved one by one), on one Armeria client (one connection
 * pool, the same settings for both), after a closed-loop warm-up and a few unmeasured seconds at
 * the rate; latency is from each request's scheduled start to its whole response, so a stall delays
 * what follows and is counted, not hidden. Requests are Keyward-signed order placements (HMAC),
 * signed ahead in batches on another thread, so signing is not measured; the direct ones carry the
 * same kind of signed request.
 */
final class ProxyLoad {
  /** Latency of one path, in milliseconds, over the measured seconds. */
  record Latency(
      long requests,
      long errors,
      double p50Ms,
      double p90Ms,
      double p99Ms,
      double p999Ms,
      double maxMs,
      double meanMs) {}

  /** The run's figures. */
  record Result(
      int ratePerPath,
      int seconds,
      int warmupSeconds,
      String upstream,
      String setup,
      int keys,
      Latency direct,
      Latency proxied,
      Map<String, Double> addedMs,
      Map<String, Long> errors,
      double proxyCpuPercentOfCore,
      double upstreamCpuPercentOfCore,
      double generatorCpuPercentOfCore,
      long lateStarts) {}

  private final Path root;
  private final Path kubeconfig;
  private final String namespace;
  private final List<BotKey> keys;
  private final int rate;
  private final int seconds;
  private final int warmupSeconds;
  private final String upstreamKind;

  /**
   * @param keys keys issued in {@code namespace}, bound to 127.0.0.1 (or to no address)
   * @param upstreamKind {@code armeria} or {@code echo} (local-cluster's EchoUpstream)
   */
  ProxyLoad(
      Path root,
      Path kubeconfig,
      String namespace,
      List<BotKey> keys,
      int rate,
      int seconds,
      int warmupSeconds,
      String upstreamKind) {
    this.root = root;
    this.kubeconfig = kubeconfig;
    this.namespace = namespace;
    this.keys = keys;
    this.rate = rate;
    this.seconds = seconds;
    this.warmupSeconds = warmupSeconds;
    this.upstreamKind = upstreamKind;
  }

  Result run() throws Exception {
    int upstreamPort = freePort();
    int proxyPort = freePort();
    int adminPort = freePort();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> upstreamCommand =
        upstreamKind.equals("echo")
            ? List.of(
                java,
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                "io.keyward.localcluster.EchoUpstream",
                String.valueOf(upstreamPort))
            : List.of(
                java,
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                ArmeriaUpstream.class.getName(),
                String.valueOf(upstreamPort));
    Path logs = root.resolve("bench/target");
    Process upstream =
        new ProcessBuilder(upstreamCommand)
            .redirectErrorStream(true)
            .redirectOutput(logs.resolve("upstream.log").toFile())
            .start();
    Process proxy = null;
    try {
      awaitPort(upstreamPort, upstream);
      // The chart's JVM for the verifier: a 512Mi limit x MaxRAMPercentage=50, where a container
      // that small gets the serial collector.
      List<String> command =
          List.of(
              java,
              "-Xmx256m",
              "-XX:+UseSerialGC",
              "-XX:+ExitOnOutOfMemoryError",
              "-jar",
              root.resolve("verifier/target/keyward-verifier.jar").toString());
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(logs.resolve("verifier-proxy.log").toFile());
      Map<String, String> env = pb.environment();
      env.keySet().removeIf(k -> k.startsWith("KEYWARD_VERIFIER_"));
      env.put("KUBECONFIG", kubeconfig.toString());
      env.put("KEYWARD_VERIFIER_LISTEN_PROXY_PORT", String.valueOf(proxyPort));
      env.put("KEYWARD_VERIFIER_LISTEN_EXT_AUTHZ_PORT", "0");
      env.put("KEYWARD_VERIFIER_LISTEN_ADMIN_PORT", String.valueOf(adminPort));
      env.put("KEYWARD_VERIFIER_PROXY_UPSTREAM", "http://127.0.0.1:" + upstreamPort);
      env.put("KEYWARD_VERIFIER_ROUTES_PRESET", "keyward");
      env.put("KEYWARD_VERIFIER_WATCH_NAMESPACES", namespace);
      proxy = pb.start();
      awaitReady(adminPort, proxy);
      return load(proxyPort, upstreamPort, proxy, upstream);
    } finally {
      stop(proxy);
      stop(upstream);
    }
  }

  private Result load(int proxyPort, int upstreamPort, Process proxy, Process upstream)
      throws Exception {
    ClientFactory factory =
        ClientFactory.builder().workerGroup(1).connectTimeout(Duration.ofSeconds(5)).build();
    WebClient viaProxy =
        WebClient.builder("h1c://127.0.0.1:" + proxyPort)
            .factory(factory)
            .responseTimeout(Duration.ofSeconds(10))
            .build();
    WebClient direct =
        WebClient.builder("h1c://127.0.0.1:" + upstreamPort)
            .factory(factory)
            .responseTimeout(Duration.ofSeconds(10))
            .build();
    Recorder proxiedLatency = new Recorder(3);
    Recorder directLatency = new Recorder(3);
    AtomicLong proxiedErrors = new AtomicLong();
    AtomicLong directErrors = new AtomicLong();
    Map<String, Long> errors = new ConcurrentHashMap<>();
    AtomicLong inFlight = new AtomicLong();
    java.util.concurrent.Semaphore proxiedSlots = new java.util.concurrent.Semaphore(CONNECTIONS);
    java.util.concurrent.Semaphore directSlots = new java.util.concurrent.Semaphore(CONNECTIONS);

    long periodNanos = 1_000_000_000L / (2L * rate);
    long total = 2L * rate * (RAMP_SECONDS + seconds);
    Signer signer = new Signer(2 * rate);
    signer.start();
    try {
      signer.awaitFull();
      warmUp(viaProxy, direct, signer);
      signer.awaitFull();
      long start = System.nanoTime() + 100_000_000L;
      long measuredFrom = start + RAMP_SECONDS * 1_000_000_000L;
      double proxyCpu0 = Double.NaN;
      double upstreamCpu0 = Double.NaN;
      double selfCpu0 = Double.NaN;
      long late = 0;
      for (long k = 0; k < total; k++) {
        long intended = start + k * periodNanos;
        if (Double.isNaN(proxyCpu0) && intended >= measuredFrom) {
          proxyCpu0 = cpuSeconds(proxy.pid());
          upstreamCpu0 = cpuSeconds(upstream.pid());
          selfCpu0 = cpuSeconds(ProcessHandle.current().pid());
        }
        // Parked, not spun: a spinning generator would take a core from the proxy. The park's
        // overshoot (tens of µs) delays both paths alike and is inside each latency.
        long wait;
        while ((wait = intended - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
        }
        if (System.nanoTime() - intended > 1_000_000) {
          late++;
        }
        SignedRequest request = signer.next();
        boolean proxied = (k & 1) == 0;
        boolean measured = intended >= measuredFrom;
        // A fixed number of connections per path, as wrk2 keeps: a request over it waits here, and
        // its wait is in its latency (from its scheduled start). Unbounded, HTTP/1 opens a
        // connection per request in flight, and a stalled machine runs out of descriptors.
        java.util.concurrent.Semaphore slots = proxied ? proxiedSlots : directSlots;
        slots.acquire();
        inFlight.incrementAndGet();
        (proxied ? viaProxy : direct)
            .execute(http(request))
            .aggregate()
            .handle(
                (response, error) -> {
                  long took = System.nanoTime() - intended;
                  inFlight.decrementAndGet();
                  slots.release();
                  if (!measured) {
                    return null;
                  }
                  String path = proxied ? "proxied" : "direct";
                  if (error != null) {
                    (proxied ? proxiedErrors : directErrors).incrementAndGet();
                    errors.merge(path + " " + error.getClass().getSimpleName(), 1L, Long::sum);
                  } else if (response.status().code() != 200) {
                    (proxied ? proxiedErrors : directErrors).incrementAndGet();
                    errors.merge(path + " HTTP " + response.status().code(), 1L, Long::sum);
                  } else {
                    (proxied ? proxiedLatency : directLatency).recordValue(took);
                  }
                  return null;
                });
      }
      double elapsed = (System.nanoTime() - measuredFrom) / 1e9;
      double proxyCpu = cpuSeconds(proxy.pid()) - proxyCpu0;
      double upstreamCpu = cpuSeconds(upstream.pid()) - upstreamCpu0;
      double selfCpu = cpuSeconds(ProcessHandle.current().pid()) - selfCpu0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (inFlight.get() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      if (inFlight.get() > 0) {
        errors.put("not answered within 15 s of the end", inFlight.get());
      }
      Histogram p = proxiedLatency.getIntervalHistogram();
      Histogram d = directLatency.getIntervalHistogram();
      Latency proxiedResult = latency(p, proxiedErrors.get());
      Latency directResult = latency(d, directErrors.get());
      Map<String, Double> added = new LinkedHashMap<>();
      added.put("p50", proxiedResult.p50Ms() - directResult.p50Ms());
      added.put("p90", proxiedResult.p90Ms() - directResult.p90Ms());
      added.put("p99", proxiedResult.p99Ms() - directResult.p99Ms());
      added.put("p99.9", proxiedResult.p999Ms() - directResult.p999Ms());
      return new Result(
          rate,
          seconds,
          warmupSeconds + RAMP_SECONDS,
          upstreamKind.equals("echo")
              ? "io.keyward.localcluster.EchoUpstream (JDK HttpServer), own process"
              : "Armeria (1 event loop), own process",
          "verifier jar as its own process (reverse proxy only; -Xmx256m -XX:+UseSerialGC, the"
              + " chart's default), keys from the cluster; generator: one Armeria client (HTTP/1.1,"
              + " 1 event loop, at most "
              + CONNECTIONS
              + " requests in flight per path)",
          keys.size(),
          directResult,
          proxiedResult,
          added,
          new java.util.TreeMap<>(errors),
          100 * proxyCpu / elapsed,
          100 * upstreamCpu / elapsed,
          100 * selfCpu / elapsed,
          late);
    } finally {
      signer.stop();
      factory.close();
    }
  }

  /**
   * Unmeasured seconds at the full rate before the measured ones, after the warm-up: the queues of
   * the three processes settle.
   */
  static final int RAMP_SECONDS = 5;

  /** The most requests in flight (so connections) per path. */
  static final int CONNECTIONS = 64;

  /**
   * Closed-loop requests on both paths for {@code warmupSeconds}, eight at a time each, so that the
   * three JVMs have compiled their hot code before the open loop starts: cold, the first seconds at
   * the full rate build a backlog of seconds that a 2-core machine does not work off.
   */
  private void warmUp(WebClient viaProxy, WebClient direct, Signer signer) throws Exception {
    long end = System.nanoTime() + warmupSeconds * 1_000_000_000L;
    java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(16);
    long sent = 0;
    while (System.nanoTime() < end) {
      slots.acquire();
      SignedRequest request = signer.next();
      (sent++ % 2 == 0 ? viaProxy : direct)
          .execute(http(request))
          .aggregate()
          .handle(
              (r, e) -> {
                slots.release();
                return null;
              });
    }
    slots.acquire(16);
    System.out.printf(
        java.util.Locale.ROOT,
        "proxy load: warmed up with %d closed-loop requests in %d s%n",
        sent,
        warmupSeconds);
  }

  private static Latency latency(Histogram h, long errors) {
    return new Latency(
        h.getTotalCount(),
        errors,
        h.getValueAtPercentile(50) / 1e6,
        h.getValueAtPercentile(90) / 1e6,
        h.getValueAtPercentile(99) / 1e6,
        h.getValueAtPercentile(99.9) / 1e6,
        h.getMaxValue() / 1e6,
        h.getMean() / 1e6);
  }

  private static HttpRequest http(SignedRequest r) {
    RequestHeadersBuilder headers =
        RequestHeaders.builder(HttpMethod.valueOf(r.method()), r.target());
    r.headers().forEach(headers::add);
    return HttpRequest.of(headers.build(), com.linecorp.armeria.common.HttpData.wrap(r.body()));
  }

  /**
   * Signs requests ahead of the generator, a batch at a time, with the time of signing: a request
   * waits at most about {@code capacity} / (2 x rate) seconds, well inside its 5 s window.
   */
  private final class Signer {
    private final BlockingQueue<SignedRequest> queue;
    private final int capacity;
    private final Thread thread;
    private volatile boolean running = true;

    Signer(int capacity) {
      this.capacity = capacity;
      this.queue = new ArrayBlockingQueue<>(capacity);
      this.thread = new Thread(this::fill, "signer");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    private void fill() {
      long nonce = 0;
      List<SignedRequest> batch = new ArrayList<>();
      while (running) {
        if (queue.remainingCapacity() >= capacity / 4) {
          long now = System.currentTimeMillis();
          for (int i = 0; i < capacity / 4; i++, nonce++) {
            BotKey key = keys.get((int) (nonce % keys.size()));
            batch.add(BotSigner.sign(Kind.KEYWARD_HMAC, key, now, nonce, "127.0.0.1").request());
          }
          queue.addAll(batch);
          batch.clear();
        } else {
          LockSupport.parkNanos(5_000_000);
        }
      }
    }

    void awaitFull() throws InterruptedException {
      while (queue.remainingCapacity() >= capacity / 4) {
        Thread.sleep(10);
      }
    }

    SignedRequest next() throws InterruptedException {
      return queue.take();
    }

    void stop() {
      running = false;
      thread.interrupt();
    }
  }

  private static double cpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    } catch (IOException e) {
      return Double.NaN;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void awaitPort(int port, Process process) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException e) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("the upstream did not start; see bench/target", e);
        }
        Thread.sleep(100);
      }
    }
  }

  private static void awaitReady(int adminPort, Process process) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      try {
        int status =
            http.send(
                    java.net.http.HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + adminPort + "/readyz"))
                        .timeout(Duration.ofSeconds(2))
                        .build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding())
                .statusCode();
        if (status == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the verifier did not become ready; see bench/target/verifier-proxy.log");
      }
      Thread.sleep(200);
    }
  }

  private static void stop(Process p) throws InterruptedException {
    if (p == null) {
      return;
    }
    p.destroy();
    if (!p.waitFor(15, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
  }
}
