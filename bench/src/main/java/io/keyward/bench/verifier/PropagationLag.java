package io.keyward.bench.verifier;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.keyward.bench.verifier.BotSigner.BotKey;
import io.keyward.bench.verifier.BotSigner.Kind;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiUser;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.ReplayGuard;
import io.keyward.verifier.core.Verdict;
import io.keyward.verifier.core.Verifier;
import io.keyward.verifier.kube.ClusterKeyDirectory;
import io.keyward.verifier.routes.Presets;
import io.keyward.verifier.scheme.SchemeSettings;
import io.keyward.verifier.scheme.Schemes;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * How long a change to a key takes to reach the verifier: the local kube-apiserver, the operator as
 * its own process (as the operator's harness runs it), {@code --lag-keys} keys issued by it, and in
 * this process a {@link ClusterKeyDirectory} with a {@link Verifier} on it, as a gateway runs them.
 * Then, for one key at a time, one change (in turn: delete the ApiKey, suspend its user, bind it to
 * another address, rotate it without grace) and, from the moment the write returned, a request
 * signed with that key (a new signature each time, so the replay guard never answers) verified
 * every millisecond until the first refusal, or {@code --lag-bound-seconds}.
 */
final class PropagationLag {
  /** The changes measured; each key gets one. */
  enum Change {
    DELETE(Set.of(Reason.KEY_REVOKED, Reason.UNKNOWN_KEY)),
    SUSPEND(Set.of(Reason.USER_SUSPENDED)),
    IP_EDIT(Set.of(Reason.IP_NOT_ALLOWED)),
    // Without grace the Secret keeps no previous secret: between the operator's Secret write and
    // its grant write the old key's fingerprint matches nothing in the Secret (KeyInvalid); once
    // the
    // grant names the new key the old one is unknown.
    ROTATE(Set.of(Reason.KEY_INVALID, Reason.UNKNOWN_KEY));

    /** The refusals this change should bring. */
    final Set<Reason> expected;

    Change(Set<Reason> expected) {
      this.expected = expected;
    }
  }

  /**
   * One kind of change: the lag of each key (ms), keys never refused within the bound, and refusals
   * for another reason than the change's.
   */
  record Lag(
      String change,
      int keys,
      double p50Ms,
      double p99Ms,
      double maxMs,
      int notRefused,
      int otherReason,
      Map<String, Integer> reasons) {}

  /** The run's figures. */
  record Result(
      int keys, double issueSeconds, double directorySyncSeconds, int pollMicros, List<Lag> lags) {}

  private static final String NS = "lag";
  private static final InetAddress BOT = MemoryKeys.BOT_ADDRESS;
  private static final String OTHER_ADDRESS = "203.0.113.99";

  private final KeywardCluster cluster;
  private final int n;
  private final Duration bound;
  private final long pollNanos;

  PropagationLag(KeywardCluster cluster, int keys, Duration bound, Duration poll) {
    this.cluster = cluster;
    this.n = keys;
    this.bound = bound;
    this.pollNanos = poll.toNanos();
  }

  Result run() throws Exception {
    // Each key its own user, so that suspending one user concerns one key; one address bound; no
    // grace, so a rotation stops the old key.
    long t0 = System.nanoTime();
    List<String> names =
        cluster.issue(
            NS,
            n,
            i -> String.format("lag-%04d", i),
            i -> {
              ApiKeySpec spec = new ApiKeySpec();
              spec.note = "propagation lag " + i;
              spec.permissions = List.of("read", "trade");
              spec.ipWhitelist = List.of(BOT.getHostAddress());
              spec.renewal = new ApiKeySpec.Renewal();
              spec.renewal.gracePeriod = "0s";
              return spec;
            },
            2);
    double issueSeconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("lag: %d keys issued by the operator in %.1f s%n", n, issueSeconds);
    List<BotKey> bots = new ArrayList<>();
    for (String name : names) {
      bots.add(cluster.bot(NS, name));
    }
    try (KubernetesClient gateway = cluster.newClient();
        ClusterKeyDirectory directory = new ClusterKeyDirectory(gateway, List.of(NS)).start()) {
      long s0 = System.nanoTime();
      KeywardCluster.await(
          () -> directory.ready() && directory.size() >= n,
          Duration.ofSeconds(60),
          "the directory to know every key");
      double syncSeconds = (System.nanoTime() - s0) / 1e9;
      Verifier verifier =
          new Verifier(
              directory,
              Presets.named("keyward"),
              Schemes.standard(SchemeSettings.defaults()).all(),
              new ReplayGuard(1_000_000),
              Clock.systemUTC(),
              (request, verdict, ns) -> {});
      return new Result(
          n,
          issueSeconds,
          syncSeconds,
          (int) (pollNanos / 1000),
          measure(cluster.client(), verifier, bots));
    }
  }

  private List<Lag> measure(KubernetesClient client, Verifier verifier, List<BotKey> bots)
      throws Exception {
    Map<Change, List<Long>> lags = new EnumMap<>(Change.class);
    Map<Change, int[]> misses = new EnumMap<>(Change.class);
    Map<Change, Map<String, Integer>> reasons = new EnumMap<>(Change.class);
    for (Change c : Change.values()) {
      lags.put(c, new ArrayList<>());
      misses.put(c, new int[2]);
      reasons.put(c, new java.util.TreeMap<>());
    }
    long nonce = 0;
    for (int i = 0; i < n; i++) {
      Change change = Change.values()[i % Change.values().length];
      BotKey bot = bots.get(i);
      Verdict before = verifier.verify(signed(bot, nonce++));
      if (!(before instanceof Verdict.Accepted)) {
        throw new IllegalStateException(key(i) + " is refused before its change: " + before);
      }
      write(client, change, i);
      long written = System.nanoTime();
      long deadline = written + bound.toNanos();
      Verdict.Refused refused = null;
      long at = 0;
      while (refused == null && System.nanoTime() < deadline) {
        Verdict v = verifier.verify(signed(bot, nonce++));
        at = System.nanoTime();
        if (v instanceof Verdict.Refused r) {
          refused = r;
        } else {
          LockSupport.parkNanos(pollNanos);
        }
      }
      if (refused == null) {
        misses.get(change)[0]++;
        continue;
      }
      lags.get(change).add(at - written);
      reasons.get(change).merge(refused.reason().label(), 1, Integer::sum);
      if (!change.expected.contains(refused.reason())) {
        misses.get(change)[1]++;
      }
    }
    List<Lag> out = new ArrayList<>();
    for (Change c : Change.values()) {
      long[] v = lags.get(c).stream().mapToLong(Long::longValue).toArray();
      out.add(
          new Lag(
              c.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'),
              v.length + misses.get(c)[0],
              Percentiles.ms(v, 50),
              Percentiles.ms(v, 99),
              Percentiles.ms(v, 100),
              misses.get(c)[0],
              misses.get(c)[1],
              reasons.get(c)));
    }
    return out;
  }

  private io.keyward.verifier.core.RequestView signed(BotKey bot, long nonce) {
    return BotSigner.sign(Kind.KEYWARD_HMAC, bot, System.currentTimeMillis(), nonce, "gateway")
        .request()
        .view(BOT);
  }

  private static void write(KubernetesClient client, Change change, int i) {
    switch (change) {
      case DELETE -> client.resources(ApiKey.class).inNamespace(NS).withName(key(i)).delete();
      case SUSPEND ->
          client
              .resources(ApiUser.class)
              .withName(user(i))
              .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"suspended\":true}}");
      case IP_EDIT ->
          client
              .resources(ApiKey.class)
              .inNamespace(NS)
              .withName(key(i))
              .patch(
                  PatchContext.of(PatchType.JSON_MERGE),
                  "{\"spec\":{\"ipWhitelist\":[\"" + OTHER_ADDRESS + "\"]}}");
      case ROTATE ->
          client
              .resources(ApiKey.class)
              .inNamespace(NS)
              .withName(key(i))
              .patch(
                  PatchContext.of(PatchType.JSON_MERGE),
                  "{\"metadata\":{\"annotations\":{\"keyward.io/rotate\":\"lag-" + i + "\"}}}");
    }
  }

  private static String user(int i) {
    return String.format("lag-%04d", i);
  }

  private static String key(int i) {
    return String.format("k%04d", i);
  }
}
