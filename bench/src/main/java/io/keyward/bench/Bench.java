package io.keyward.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.keyward.bench.ceiling.CeilingKey;
import io.keyward.bench.ceiling.CeilingUser;
import io.keyward.localcluster.LocalKubeApiServer;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.issuance.KeyAlgorithm;
import io.keyward.operator.issuance.KeyGenerator;
import io.keyward.operator.issuance.KeyMaterial;
import io.keyward.operator.kube.StatusWriter;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keyward's load harness: a local kube-apiserver, the operator as its own process, and the
 * scenarios of issue 6. Prints one table and writes a JSON result.
 *
 * <pre>
 * bin/bench [--keys 1000,10000] [--users 200] [--rate 50] [--rate-seconds 60]
 *           [--idle-seconds 60] [--deadline-keys 1000] [--threads 50] [--jvm "-Xmx..."]
 *           [--jar operator.jar] [--heap-sample-seconds 5] [--jmh true]
 *           [--out bench/results/latest.json]
 * </pre>
 *
 * <p>The operator runs with {@link #DEFAULT_JVM} unless {@code --jvm} says otherwise. With {@code
 * KEYWARD_KUBE_AUDIT=1} the API server writes an audit log, copied to bench/target/audit.log.
 */
public final class Bench {
  /**
   * The operator's JVM as the Helm chart runs it by default: a 512Mi memory limit with
   * MaxRAMPercentage=50 gives a 256 MB heap, and in a container that small the JVM picks the serial
   * collector. The chart's other options: C2 only (no tiered compilation) and a periodic trim of
   * the C heap.
   */
  static final String DEFAULT_JVM =
      "-Xmx256m -XX:+UseSerialGC -XX:-TieredCompilation -XX:TrimNativeHeapInterval=5000"
          + " -XX:+ExitOnOutOfMemoryError";

  private static final String USER_PREFIX = "u";
  private static final String OPERATOR_NS = "keyward-system";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Options opts;
  private final Path root;
  private KubernetesClient client;
  private final List<Result> results = new ArrayList<>();
  private final List<HotPath> hotPaths = new ArrayList<>();
  private double scrapeCpuMs = Double.NaN;
  private double liveHeapMb = Double.NaN;
  private int liveHeapKeys;

  /** One JMH benchmark of the hot pure code: average time per operation. */
  record HotPath(String benchmark, double microsPerOp, double errorMicros) {}

  /** One scenario's figures; NaN where a figure does not apply. */
  record Result(
      String scenario,
      int keys,
      double seconds,
      double keysPerSecond,
      double ratioToCeiling,
      double p50Ms,
      double p95Ms,
      double p99Ms,
      double cpuSeconds,
      double cpuPercentOfCore,
      double peakRssMb,
      double peakHeapMb) {}

  record Options(
      List<Integer> keys,
      int users,
      int rate,
      int rateSeconds,
      int idleSeconds,
      int deadlineKeys,
      int threads,
      List<String> jvm,
      Path jar,
      int heapSampleSeconds,
      boolean jmh,
      boolean ceiling,
      int warmup,
      Path out) {
    static Options parse(String[] args) {
      Map<String, String> a = new LinkedHashMap<>();
      for (int i = 0; i + 1 < args.length; i += 2) {
        a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
      }
      return new Options(
          Arrays.stream(a.getOrDefault("keys", "1000,10000").split(","))
              .map(String::trim)
              .map(Integer::parseInt)
              .toList(),
          Integer.parseInt(a.getOrDefault("users", "200")),
          Integer.parseInt(a.getOrDefault("rate", "50")),
          Integer.parseInt(a.getOrDefault("rate-seconds", "60")),
          Integer.parseInt(a.getOrDefault("idle-seconds", "60")),
          Integer.parseInt(a.getOrDefault("deadline-keys", "1000")),
          Integer.parseInt(a.getOrDefault("threads", "50")),
          List.of(a.getOrDefault("jvm", DEFAULT_JVM).split("\\s+")).stream()
              .filter(s -> !s.isBlank())
              .toList(),
          a.containsKey("jar") ? Path.of(a.get("jar")) : null,
          Integer.parseInt(a.getOrDefault("heap-sample-seconds", "5")),
          Boolean.parseBoolean(a.getOrDefault("jmh", "true")),
          Boolean.parseBoolean(a.getOrDefault("ceiling", "true")),
          Integer.parseInt(a.getOrDefault("warmup", "500")),
          Path.of(a.getOrDefault("out", "bench/results/latest.json")));
    }
  }

  private Bench(Options opts, Path root) {
    this.opts = opts;
    this.root = root;
  }

  public static void main(String[] args) throws Exception {
    Path root = Path.of("").toAbsolutePath();
    while (!Files.isDirectory(root.resolve("crds"))) {
      root = root.getParent();
    }
    new Bench(Options.parse(args), root).run();
  }

  private void run() throws Exception {
    long total = opts.keys().stream().mapToLong(Integer::longValue).sum() + opts.warmup();
    int perUser =
        (int) Math.min(1000, (total + (long) opts.rate() * opts.rateSeconds()) / opts.users() + 10);
    try (LocalKubeApiServer server = LocalKubeApiServer.start(false)) {
      Config config =
          new io.fabric8.kubernetes.client.ConfigBuilder(
                  Config.fromKubeconfig(Files.readString(server.kubeconfig())))
              .withMaxConcurrentRequests(256)
              .withMaxConcurrentRequestsPerHost(256)
              // Tells the harness's requests from the operator's in an audit log.
              .withUserAgent("keyward-bench")
              .build();
      client = new KubernetesClientBuilder().withConfig(config).build();
      installCrds();
      namespace(OPERATOR_NS);
      for (int i = 0; i < opts.users(); i++) {
        user(USER_PREFIX + String.format("%03d", i), perUser);
        ceilingUser("c" + String.format("%03d", i), perUser);
      }
      System.out.printf(
          "local kube-apiserver %s; %d users (maxKeys %d)%n", server.url(), opts.users(), perUser);

      Path jar =
          opts.jar() != null ? opts.jar() : root.resolve("operator/target/keyward-operator.jar");
      Path log = root.resolve("bench/target/operator.log");
      try (OperatorProcess op = OperatorProcess.start(jar, server.kubeconfig(), opts.jvm(), log)) {
        // Each ceiling runs right before its bulk, on the same server state. Its objects live in
        // their own API group, so the (idle) operator never sees them.
        warmUp(op);
        for (int n : opts.keys()) {
          double ceiling = Double.NaN;
          if (opts.ceiling()) {
            Result r = ceiling(op, n);
            results.add(r);
            ceiling = r.keysPerSecond();
          }
          results.add(bulk(op, n, ceiling));
        }
        if (opts.ceiling()) {
          results.add(steadyCeiling(op));
        }
        results.add(steady(op));
        results.add(idle(op));
        if (opts.ceiling()) {
          results.add(rotationCeiling(op));
        }
        results.add(deadlines(op));
      }
      Path audit = server.workDir().resolve("audit.log");
      if (Files.exists(audit)) {
        Files.copy(
            audit,
            root.resolve("bench/target/audit.log"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    if (opts.jmh()) {
      hotPaths();
    }
    print();
    Files.createDirectories(opts.out().toAbsolutePath().getParent());
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("time", Instant.now().toString());
    json.put("machine", Runtime.getRuntime().availableProcessors() + " cores");
    json.put("operatorJvmOptions", opts.jvm());
    json.put("results", results);
    json.put("scrapeCpuMs", scrapeCpuMs);
    json.put("liveHeapMb", liveHeapMb);
    json.put("liveHeapKeys", liveHeapKeys);
    json.put("hotPaths", hotPaths);
    JSON.writeValue(opts.out().toFile(), json);
    System.out.println("written " + opts.out());
  }

  // --- scenarios ---

  /**
   * The ceiling: a plain client doing, per key, the writes an issuance does (create the ApiKey, add
   * the finalizer, claim a slot by a compare-and-swap on the ApiUser's status, create the Secret,
   * record the key, write an event), with the operator's 50 threads. Like the operator, it claims
   * on the user as it last wrote it (the operator's cache) and reads it only after a conflict.
   */
  private Result ceiling(OperatorProcess op, int n) throws Exception {
    Result r = ceiling(op, "ceiling-" + n, n);
    System.out.println(line(r));
    return r;
  }

  private Result ceiling(OperatorProcess op, String ns, int n) throws Exception {
    namespace(ns);
    PlainIssuer issuer = new PlainIssuer(ns);
    double cpu0 = op.cpuSeconds();
    long start = System.nanoTime();
    long[] latencies = new long[n];
    runAll(n, i -> latencies[i] = issuer.issue(i));
    return plainClient("ceiling (plain client)", n, start, 1.0, latencies, op, cpu0);
  }

  /**
   * The steady state's ceiling: the same writes as {@link #ceiling(OperatorProcess, int)}, arriving
   * at the steady state's rate. What a client with nothing to decide gets from this API server at
   * that rate: the operator's steady-state latency cannot be lower.
   */
  private Result steadyCeiling(OperatorProcess op) throws Exception {
    String ns = "ceiling-steady";
    namespace(ns);
    PlainIssuer issuer = new PlainIssuer(ns);
    int n = opts.rate() * opts.rateSeconds();
    double cpu0 = op.cpuSeconds();
    long start = System.nanoTime();
    long[] latencies = new long[n];
    atRate(n, i -> latencies[i] = issuer.issue(i));
    Result r =
        plainClient(
            "ceiling: steady " + opts.rate() + " keys/s (plain client)",
            n,
            start,
            Double.NaN,
            latencies,
            op,
            cpu0);
    System.out.println(line(r));
    return r;
  }

  /** A plain client's issuance: one key's writes, as the operator makes them. */
  private final class PlainIssuer {
    private final String ns;
    private final KeyGenerator generator = new KeyGenerator();
    private final Map<String, Object> userLocks = new ConcurrentHashMap<>();

    PlainIssuer(String ns) {
      this.ns = ns;
    }

    /** Issues key {@code i}; returns how long its writes took, in nanoseconds. */
    long issue(int i) {
      long t0 = System.nanoTime();
      String user = "c" + String.format("%03d", i % opts.users());
      CeilingKey key = client.resource(ceilingKey(ns, "k" + i, user)).create();
      key =
          client
              .resource(key)
              .patch(
                  PatchContext.of(PatchType.JSON),
                  "[{\"op\":\"add\",\"path\":\"/metadata/finalizers\","
                      + "\"value\":[\"keyward.io/revoke\"]}]");
      synchronized (userLocks.computeIfAbsent(user, u -> new Object())) {
        claim(user, key);
      }
      KeyMaterial m = generator.generate(KeyAlgorithm.HMAC_SHA256);
      // A first issuance records no pending key: the Secret, then the key in status.
      client.resource(secret(ns, key, m)).create();
      ApiKeyStatus st = new ApiKeyStatus();
      st.accessKey = m.accessKey();
      st.secretFingerprint = m.fingerprint();
      st.phase = "Active";
      key.setStatus(st);
      client.resource(key).updateStatus();
      event(ns, key, "Issued", "access key " + m.accessKey() + " written");
      return System.nanoTime() - t0;
    }
  }

  /**
   * A plain-client run's result: {@code n} keys since {@code start}, and the operator's CPU
   * meanwhile (it sees none of these objects and should stay idle).
   */
  private static Result plainClient(
      String scenario,
      int n,
      long start,
      double ratio,
      long[] latencies,
      OperatorProcess op,
      double cpu0) {
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Result(
        scenario,
        n,
        seconds,
        n / seconds,
        ratio,
        pct(latencies, 50),
        pct(latencies, 95),
        pct(latencies, 99),
        op.cpuSeconds() - cpu0,
        Double.NaN,
        Double.NaN,
        Double.NaN);
  }

  private void event(String ns, CeilingKey key, String reason, String message) {
    String name = key.getMetadata().getName();
    client
        .v1()
        .events()
        .inNamespace(ns)
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withGenerateName(name + ".")
                .endMetadata()
                .withNewInvolvedObject()
                .withKind("ApiKey")
                .withApiVersion(key.getApiVersion())
                .withName(name)
                .withNamespace(ns)
                .endInvolvedObject()
                .withReason(reason)
                .withMessage(message)
                .withType("Normal")
                .build())
        .create();
  }

  /** The last version of each ceiling user written: what the operator's informer cache holds. */
  private final Map<String, CeilingUser> ceilingUsers = new ConcurrentHashMap<>();

  private void claim(String user, CeilingKey key) {
    for (int attempt = 0; ; attempt++) {
      CeilingUser u =
          attempt == 0 && ceilingUsers.containsKey(user)
              ? ceilingUsers.get(user)
              : client.resources(CeilingUser.class).withName(user).get();
      ApiUserStatus st = u.getStatus() == null ? new ApiUserStatus() : u.getStatus();
      ApiUserStatus.KeyRef ref = new ApiUserStatus.KeyRef();
      ref.namespace = key.getMetadata().getNamespace();
      ref.name = key.getMetadata().getName();
      ref.uid = key.getMetadata().getUid();
      ref.type = "spot";
      st.keyRefs.add(ref);
      u.setStatus(st);
      try {
        ceilingUsers.put(user, client.resource(u).updateStatus());
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt > 20) {
          throw e;
        }
      }
    }
  }

  /**
   * The ceiling of the deadline scenario: a plain client doing, for as many keys at once, the
   * writes a rotation does (record the pending key, update the Secret, record the key, write an
   * event), with the operator's 50 threads, on the last ceiling's keys. Its latency is from the
   * start to each Secret holding the new key: what the rotation lag would be with no operator at
   * all.
   */
  private Result rotationCeiling(OperatorProcess op) throws Exception {
    int n = opts.deadlineKeys();
    String ns = "ceiling-" + opts.keys().get(opts.keys().size() - 1);
    List<CeilingKey> keys =
        client.resources(CeilingKey.class).inNamespace(ns).list().getItems().stream()
            .limit(n)
            .toList();
    // What the operator has in its informer cache: the Secrets as they are.
    Map<String, Secret> secrets = new ConcurrentHashMap<>();
    for (Secret s : client.secrets().inNamespace(ns).list().getItems()) {
      secrets.put(s.getMetadata().getName(), s);
    }
    KeyGenerator generator = new KeyGenerator();
    long[] latencies = new long[keys.size()];
    double cpu0 = op.cpuSeconds();
    long start = System.nanoTime();
    runAll(
        keys.size(),
        i -> {
          CeilingKey key = keys.get(i);
          String name = key.getMetadata().getName();
          KeyMaterial m = generator.generate(KeyAlgorithm.HMAC_SHA256);
          ApiKeyStatus st =
              StatusWriter.copy(key.getStatus(), ApiKeyStatus.class, ApiKeyStatus::new);
          st.pending = new ApiKeyStatus.PendingKey();
          st.pending.accessKey = m.accessKey();
          st.pending.secretFingerprint = m.fingerprint();
          st.pending.reason = "Rotate";
          key.setStatus(st);
          key = client.resource(key).updateStatus();
          Secret old = secrets.get(name + "-credentials");
          Secret next = secret(ns, key, m);
          next.getMetadata().setResourceVersion(old.getMetadata().getResourceVersion());
          next.getData().put("previousAccessKey", old.getData().get("accessKey"));
          next.getData().put("previousSecretKey", old.getData().get("secretKey"));
          client.secrets().inNamespace(ns).resource(next).update();
          latencies[i] = System.nanoTime() - start;
          st = StatusWriter.copy(key.getStatus(), ApiKeyStatus.class, ApiKeyStatus::new);
          st.accessKey = m.accessKey();
          st.secretFingerprint = m.fingerprint();
          st.pending = null;
          key.setStatus(st);
          client.resource(key).updateStatus();
          event(ns, key, "Rotated", "access key " + m.accessKey() + " replaced the previous one");
        });
    Result r =
        plainClient(
            "ceiling: rotations at once (plain client)",
            keys.size(),
            start,
            Double.NaN,
            latencies,
            op,
            cpu0);
    System.out.println(line(r));
    return r;
  }

  /**
   * Before anything is measured, the operator issues {@code --warmup} keys (and the harness writes
   * as many ceiling keys), so that both JVMs have compiled their hot code: the figures are those of
   * a running operator, not of its first seconds. Not measured, and the keys stay.
   */
  private void warmUp(OperatorProcess op) throws Exception {
    int n = opts.warmup();
    if (n == 0) {
      return;
    }
    String ns = "warmup";
    namespace(ns);
    measure(op, ns, n, () -> runAll(n, i -> create(ns, i)));
    if (opts.ceiling()) {
      ceiling(op, "ceiling-warmup", n);
    }
    System.out.printf(Locale.ROOT, "warmed up: %d keys issued, not measured%n", n);
  }

  /** The operator's bulk issuance of {@code n} keys applied at once (50 appliers). */
  private Result bulk(OperatorProcess op, int n, double ceiling) throws Exception {
    String ns = "bulk-" + n;
    namespace(ns);
    Measured m = measure(op, ns, n, () -> runAll(n, i -> create(ns, i)));
    Result r =
        new Result(
            "operator bulk issuance",
            n,
            m.seconds,
            n / m.seconds,
            (n / m.seconds) / ceiling,
            m.p50,
            m.p95,
            m.p99,
            m.cpu,
            100 * m.cpu / m.seconds,
            m.peakRss / 1e6,
            m.peakHeap / 1e6);
    System.out.println(line(r));
    return r;
  }

  /** A constant arrival rate. */
  private Result steady(OperatorProcess op) throws Exception {
    String ns = "steady";
    namespace(ns);
    int n = opts.rate() * opts.rateSeconds();
    Measured m = measure(op, ns, n, () -> atRate(n, i -> create(ns, i)));
    Result r =
        new Result(
            "steady " + opts.rate() + " keys/s for " + opts.rateSeconds() + " s",
            n,
            m.seconds,
            n / m.seconds,
            Double.NaN,
            m.p50,
            m.p95,
            m.p99,
            m.cpu,
            100 * m.cpu / m.seconds,
            m.peakRss / 1e6,
            m.peakHeap / 1e6);
    System.out.println(line(r));
    return r;
  }

  /** Nothing happens: the operator should do nothing either. */
  private Result idle(OperatorProcess op) throws Exception {
    int active = client.resources(ApiKey.class).inAnyNamespace().list().getItems().size();
    Sampler sampler = new Sampler(op, opts.heapSampleSeconds());
    double cpu0 = op.cpuSeconds();
    Thread.sleep(opts.idleSeconds() * 1000L);
    double cpu = op.cpuSeconds() - cpu0;
    sampler.stop();
    // What a Prometheus scrape costs on top, at this many keys (the median of five).
    double[] scrapes = new double[5];
    for (int i = 0; i < scrapes.length; i++) {
      scrapes[i] = op.scrapeCpuSeconds();
    }
    Arrays.sort(scrapes);
    scrapeCpuMs = scrapes[2] * 1000;
    liveHeapMb = op.liveHeapBytes() / 1e6;
    liveHeapKeys = active;
    Result r =
        new Result(
            "idle for " + opts.idleSeconds() + " s",
            active,
            opts.idleSeconds(),
            Double.NaN,
            Double.NaN,
            Double.NaN,
            Double.NaN,
            Double.NaN,
            cpu,
            100 * cpu / opts.idleSeconds(),
            sampler.peakRss / 1e6,
            sampler.peakHeap / 1e6);
    System.out.println(line(r));
    return r;
  }

  /**
   * Rotations that fall due in the same second: the keys' status is set as if they had all been
   * issued together (expiresAt so that renewAt is one instant T), and each rotation's lag is the
   * time from T to the Secret holding the new key.
   */
  private Result deadlines(OperatorProcess op) throws Exception {
    int n = opts.deadlineKeys();
    String ns = "bulk-" + opts.keys().get(opts.keys().size() - 1);
    List<ApiKey> keys =
        client.resources(ApiKey.class).inNamespace(ns).list().getItems().stream().limit(n).toList();
    Instant due = Instant.now().plusSeconds(30).truncatedTo(ChronoUnit.SECONDS);
    Map<String, Long> rotatedAt = new ConcurrentHashMap<>();
    java.util.Set<String> names =
        keys.stream()
            .map(k -> k.getMetadata().getName() + "-credentials")
            .collect(java.util.stream.Collectors.toSet());
    try (Watch w =
        client
            .secrets()
            .inNamespace(ns)
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Secret s) {
                    if (names.contains(s.getMetadata().getName())
                        && CredentialSecret.hasPrevious(s)) {
                      rotatedAt.putIfAbsent(s.getMetadata().getName(), System.currentTimeMillis());
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                })) {
      Sampler sampler = new Sampler(op, opts.heapSampleSeconds());
      double cpu0 = op.cpuSeconds();
      // The grants in the users' ledgers are the record of the deadlines (a key's status only
      // mirrors them): set there, one write per user, as if the keys had all been issued
      // together. renewAt = expiresAt - 14d (the default renewBefore for a 90d key), issued 90d
      // before expiry: long past limits.minRotationInterval, which would defer it.
      Map<String, java.util.Set<String>> byUser = new java.util.HashMap<>();
      for (ApiKey k : keys) {
        byUser
            .computeIfAbsent(k.getSpec().user, u -> new java.util.HashSet<>())
            .add(k.getMetadata().getUid());
      }
      List<String> users = List.copyOf(byUser.keySet());
      runAll(
          users.size(),
          i -> {
            String name = users.get(i);
            java.util.Set<String> uids = byUser.get(name);
            for (int attempt = 0; ; attempt++) {
              ApiUser u = client.resources(ApiUser.class).withName(name).get();
              for (ApiUserStatus.KeyRef ref : u.getStatus().keyRefs) {
                if (uids.contains(ref.uid) && ref.grant != null) {
                  ref.grant.expiresAt = due.plus(Duration.ofDays(14)).toString();
                  ref.grant.issuedAt = due.minus(Duration.ofDays(76)).toString();
                }
              }
              try {
                client.resource(u).updateStatus();
                return;
              } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt > 10) {
                  throw e;
                }
              }
            }
          });
      // An annotation makes the operator look at the new deadline, as any edit would.
      runAll(
          keys.size(),
          i ->
              client
                  .resource(keys.get(i))
                  .patch(
                      PatchContext.of(PatchType.JSON_MERGE),
                      "{\"metadata\":{\"annotations\":{\"bench.keyward.io/due\":\""
                          + due
                          + "\"}}}"));
      long deadline = System.currentTimeMillis() + Duration.ofSeconds(120).toMillis();
      while (rotatedAt.size() < keys.size() && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      double cpu = op.cpuSeconds() - cpu0;
      sampler.stop();
      long[] lags =
          rotatedAt.values().stream()
              .mapToLong(t -> (t - due.toEpochMilli()) * 1_000_000L)
              .toArray();
      Result r =
          new Result(
              "rotations due in one second (lag)",
              rotatedAt.size(),
              Double.NaN,
              Double.NaN,
              Double.NaN,
              pct(lags, 50),
              pct(lags, 95),
              pct(lags, 99),
              cpu,
              Double.NaN,
              sampler.peakRss / 1e6,
              sampler.peakHeap / 1e6);
      System.out.println(line(r));
      return r;
    }
  }

  /** JMH on the hot pure code (key generation, fingerprint, validation, TOTP), in a fork. */
  private void hotPaths() throws Exception {
    for (org.openjdk.jmh.results.RunResult r :
        new org.openjdk.jmh.runner.Runner(
                new org.openjdk.jmh.runner.options.OptionsBuilder()
                    .include(io.keyward.bench.jmh.HotPathBenchmark.class.getName())
                    .build())
            .run()) {
      org.openjdk.jmh.results.Result<?> primary = r.getPrimaryResult();
      String name = r.getParams().getBenchmark();
      hotPaths.add(
          new HotPath(
              name.substring(name.lastIndexOf('.') + 1),
              primary.getScore(),
              primary.getScoreError()));
    }
  }

  // --- measuring ---

  private record Measured(
      double seconds,
      double p50,
      double p95,
      double p99,
      double cpu,
      long peakRss,
      long peakHeap) {}

  private interface Work {
    void run() throws Exception;
  }

  private final Map<String, Long> createdAt = new ConcurrentHashMap<>();

  /** Runs {@code apply}, and waits until all {@code n} keys of {@code ns} are Active. */
  private Measured measure(OperatorProcess op, String ns, int n, Work apply) throws Exception {
    Map<String, Long> activeAt = new ConcurrentHashMap<>();
    try (Watch w =
        client
            .resources(ApiKey.class)
            .inNamespace(ns)
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, ApiKey k) {
                    if (k.getStatus() != null && "Active".equals(k.getStatus().phase)) {
                      activeAt.putIfAbsent(k.getMetadata().getName(), System.nanoTime());
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                })) {
      Sampler sampler = new Sampler(op, opts.heapSampleSeconds());
      double cpu0 = op.cpuSeconds();
      long start = System.nanoTime();
      apply.run();
      long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
      while (activeAt.size() < n) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(ns + ": only " + activeAt.size() + " of " + n);
        }
        Thread.sleep(50);
      }
      long end = activeAt.values().stream().mapToLong(Long::longValue).max().orElseThrow();
      double cpu = op.cpuSeconds() - cpu0;
      sampler.stop();
      long[] lat = new long[n];
      int i = 0;
      for (Map.Entry<String, Long> e : activeAt.entrySet()) {
        lat[i++] = e.getValue() - createdAt.get(ns + "/" + e.getKey());
      }
      return new Measured(
          (end - start) / 1e9,
          pct(lat, 50),
          pct(lat, 95),
          pct(lat, 99),
          cpu,
          sampler.peakRss,
          sampler.peakHeap);
    }
  }

  /**
   * Samples the operator's RSS every second and its heap (with jstat, see {@link
   * OperatorProcess#heapBytes}) every {@code heapSeconds}, keeping the peaks.
   */
  private static final class Sampler {
    private final Thread thread;
    private volatile boolean running = true;
    volatile long peakRss;
    volatile long peakHeap;

    Sampler(OperatorProcess op, int heapSeconds) {
      thread =
          new Thread(
              () -> {
                for (long tick = 0; running; tick++) {
                  peakRss = Math.max(peakRss, op.rssBytes());
                  if (tick % heapSeconds == 0) {
                    peakHeap = Math.max(peakHeap, op.heapBytes());
                  }
                  try {
                    Thread.sleep(1000);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "sampler");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.interrupt();
      thread.join();
    }
  }

  private void create(String ns, int i) {
    String name = "k" + i;
    String user = USER_PREFIX + String.format("%03d", i % opts.users());
    createdAt.put(ns + "/" + name, System.nanoTime());
    client.resource(apiKey(ns, name, user)).create();
  }

  private interface Task {
    void run(int i) throws Exception;
  }

  /**
   * Runs task 0 to n-1, one started every 1/rate seconds (on the harness's threads, so a slow
   * server delays completions, not arrivals), and waits for all of them.
   */
  private void atRate(int n, Task task) throws Exception {
    ScheduledExecutorService tick = Executors.newSingleThreadScheduledExecutor();
    ExecutorService pool = Executors.newFixedThreadPool(opts.threads());
    AtomicLong next = new AtomicLong();
    long periodNanos = 1_000_000_000L / opts.rate();
    List<Future<?>> submitted = java.util.Collections.synchronizedList(new ArrayList<>());
    tick.scheduleAtFixedRate(
        () -> {
          long i = next.getAndIncrement();
          if (i < n) {
            submitted.add(
                pool.submit(
                    () -> {
                      task.run((int) i);
                      return null;
                    }));
          }
        },
        0,
        periodNanos,
        TimeUnit.NANOSECONDS);
    try {
      while (next.get() < n) {
        Thread.sleep(50);
      }
      tick.shutdownNow();
      for (Future<?> f : List.copyOf(submitted)) {
        f.get();
      }
    } finally {
      tick.shutdownNow();
      pool.shutdown();
    }
  }

  private void runAll(int n, Task task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(opts.threads());
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int index = i;
        futures.add(
            pool.submit(
                () -> {
                  task.run(index);
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  // --- objects ---

  private static ApiKey apiKey(String ns, String name, String user) {
    ApiKey k = new ApiKey();
    k.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    k.setSpec(keySpec(name, user));
    return k;
  }

  private static CeilingKey ceilingKey(String ns, String name, String user) {
    CeilingKey k = new CeilingKey();
    k.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    k.setSpec(keySpec(name, user));
    return k;
  }

  private static ApiKeySpec keySpec(String name, String user) {
    ApiKeySpec spec = new ApiKeySpec();
    spec.user = user;
    spec.note = "load " + name;
    return spec;
  }

  private static Secret secret(String ns, CeilingKey key, KeyMaterial m) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("accessKey", b64(m.accessKey()));
    data.put("secretKey", b64(m.secretKey()));
    return new SecretBuilder()
        .withNewMetadata()
        .withName(key.getMetadata().getName() + "-credentials")
        .withNamespace(ns)
        .withOwnerReferences(CredentialSecret.ownerReference(key))
        .endMetadata()
        .withType(CredentialSecret.TYPE)
        .withData(data)
        .build();
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private void user(String name, int maxKeys) {
    ApiUser u = new ApiUser();
    u.setMetadata(new ObjectMetaBuilder().withName(name).build());
    u.setSpec(userSpec(maxKeys));
    client.resource(u).create();
  }

  private void ceilingUser(String name, int maxKeys) {
    CeilingUser u = new CeilingUser();
    u.setMetadata(new ObjectMetaBuilder().withName(name).build());
    u.setSpec(userSpec(maxKeys));
    client.resource(u).create();
  }

  private static ApiUserSpec userSpec(int maxKeys) {
    ApiUserSpec spec = new ApiUserSpec();
    spec.namespaces = List.of("*");
    spec.maxKeys = maxKeys;
    spec.mfa = new ApiUserSpec.MfaSpec();
    spec.mfa.totp = "Disabled";
    return spec;
  }

  private void namespace(String name) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
  }

  private void installCrds() throws Exception {
    for (String file : List.of("apikeys.keyward.io.yaml", "apiusers.keyward.io.yaml")) {
      try (InputStream in = new FileInputStream(root.resolve("crds").resolve(file).toFile())) {
        CustomResourceDefinition crd =
            client.apiextensions().v1().customResourceDefinitions().load(in).item();
        client.resource(crd).create();
        // The same schema under the ceiling's group, without short names and categories.
        CustomResourceDefinition copy = client.getKubernetesSerialization().clone(crd);
        copy.getMetadata().setName(crd.getSpec().getNames().getPlural() + "." + CeilingKey.GROUP);
        copy.getSpec().setGroup(CeilingKey.GROUP);
        copy.getSpec().getNames().setShortNames(null);
        copy.getSpec().getNames().setCategories(null);
        client.resource(copy).create();
      }
    }
    for (String crd :
        List.of(
            "apikeys.keyward.io",
            "apiusers.keyward.io",
            "apikeys." + CeilingKey.GROUP,
            "apiusers." + CeilingKey.GROUP)) {
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName(crd)
          .waitUntilCondition(
              c ->
                  c != null
                      && c.getStatus() != null
                      && c.getStatus().getConditions().stream()
                          .anyMatch(
                              x ->
                                  "Established".equals(x.getType())
                                      && "True".equals(x.getStatus())),
              60,
              TimeUnit.SECONDS);
    }
  }

  // --- output ---

  private static double pct(long[] nanos, int p) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(i, sorted.length - 1))] / 1e6;
  }

  private static String f(double d, String format) {
    return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, format, d);
  }

  private static String line(Result r) {
    return String.format(
        Locale.ROOT,
        "%-42s %7d %9s %6s %8s %8s %8s %7s %6s %8s %9s",
        r.scenario(),
        r.keys(),
        f(r.keysPerSecond(), "%.1f"),
        f(r.ratioToCeiling(), "%.2f"),
        f(r.p50Ms(), "%.0f"),
        f(r.p95Ms(), "%.0f"),
        f(r.p99Ms(), "%.0f"),
        f(r.cpuSeconds(), "%.1f"),
        f(r.cpuPercentOfCore(), "%.1f"),
        f(r.peakRssMb(), "%.0f"),
        f(r.peakHeapMb(), "%.0f"));
  }

  private void print() {
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "%-42s %7s %9s %6s %8s %8s %8s %7s %6s %8s %9s%n",
        "scenario",
        "keys",
        "keys/s",
        "ratio",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "cpu s",
        "cpu %",
        "RSS MB",
        "heap MB");
    results.forEach(r -> System.out.println(line(r)));
    System.out.printf(
        Locale.ROOT, "%-42s %s%n", "one /metrics scrape", f(scrapeCpuMs, "%.0f ms operator CPU"));
    System.out.printf(
        Locale.ROOT,
        "%-42s %s%n",
        "live heap after a full GC, " + liveHeapKeys + " keys",
        f(liveHeapMb, "%.1f MB"));
    hotPaths.forEach(
        h ->
            System.out.printf(
                Locale.ROOT,
                "%-42s %s%n",
                "jmh " + h.benchmark(),
                String.format(Locale.ROOT, "%.2f ± %.2f µs/op", h.microsPerOp(), h.errorMicros())));
    System.out.println(
        "ratio: keys/s against the plain-client ceiling; latency: apply to Active (ceiling: one"
            + " key's writes; rotations: due time to rotated Secret); cpu: the operator process"
            + " (during the ceiling too), % of one core; RSS, heap: peaks of the operator"
            + " process");
  }
}
