package io.keyward.verifier.kube;

import static io.keyward.verifier.kube.MockCluster.hmacGrant;
import static io.keyward.verifier.kube.MockCluster.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keyward.verifier.core.KeyEntry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The last-use writer against fabric8's mock API server: at most once a minute per key, judged on
 * the value the informer shows (another replica's included), refusals counted and not retried.
 */
class UsageRecorderTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  static final Instant T0 = Instant.parse("2026-12-01T10:00:00.250Z");
  static final String STATUS_PATH =
      "/apis/keyward.io/v1alpha1/namespaces/trading/apikeys/eth/status";

  MockCluster cluster;
  ClusterKeyDirectory directory;
  MutableClock clock;
  SimpleMeterRegistry meters;
  UsageRecorder recorder;
  KeyEntry key;

  @BeforeEach
  void start() {
    cluster = new MockCluster();
    String uid = cluster.apiKey("trading", "eth", s -> {});
    cluster.secret("trading", "eth-credentials", Map.of("secretKey", "the-secret"));
    cluster.user(
        "alice",
        false,
        List.of(ref("trading", "eth", uid, hmacGrant("eth-credentials", "KWETH", "the-secret"))));
    directory = new ClusterKeyDirectory(cluster.client(), List.of()).start();
    key = await().atMost(WAIT).until(() -> directory.find("KWETH"), e -> e != null);
    clock = new MutableClock(T0);
    meters = new SimpleMeterRegistry();
    recorder =
        new UsageRecorder(
            cluster.client(),
            directory,
            clock,
            meters,
            UsageRecorder.DEFAULT_FLUSH_INTERVAL,
            UsageRecorder.DEFAULT_MIN_INTERVAL);
  }

  @AfterEach
  void stop() {
    recorder.close();
    directory.close();
    cluster.close();
  }

  private String stored() {
    Object status = cluster.getKey("trading", "eth").getAdditionalProperties().get("status");
    return status instanceof Map<?, ?> m ? (String) m.get("lastUsedAt") : null;
  }

  /** Waits until the informer shows what the server has, as a flush will read it. */
  private void awaitInformer() {
    String onServer = cluster.getKey("trading", "eth").getMetadata().getResourceVersion();
    await().atMost(WAIT).until(() -> onServer.equals(directory.key(key.uid()).resourceVersion()));
  }

  private long patches() {
    return cluster.writes().stream()
        .filter(w -> "PATCH".equals(w.method()) && w.path().equals(STATUS_PATH))
        .count();
  }

  @Test
  void aUseIsWrittenOnceAMinuteAtMost() {
    assertThat(recorder.flush()).as("nothing used yet").isZero();

    recorder.used(key);
    assertThat(recorder.flush()).isEqualTo(1);
    assertThat(stored()).isEqualTo("2026-12-01T10:00:00Z");
    MockCluster.Write patch =
        cluster.writes().stream().filter(w -> "PATCH".equals(w.method())).findFirst().orElseThrow();
    assertThat(patch.path()).isEqualTo(STATUS_PATH);
    assertThat(patch.body())
        .contains("\"lastUsedAt\":\"2026-12-01T10:00:00Z\"")
        .contains("\"resourceVersion\"");
    assertThat(recorder.writes("written")).isEqualTo(1);
    assertThat(meters.get(UsageRecorder.WRITES_METRIC).tag("outcome", "written").counter().count())
        .isEqualTo(1);
    awaitInformer();

    // Used again within the minute: nothing is written.
    clock.advance(Duration.ofSeconds(59));
    recorder.used(key);
    assertThat(recorder.flush()).isZero();
    assertThat(patches()).isEqualTo(1);

    // A minute after the stored value: written.
    clock.advance(Duration.ofSeconds(2));
    recorder.used(key);
    assertThat(recorder.flush()).isEqualTo(1);
    assertThat(stored()).isEqualTo("2026-12-01T10:01:01Z");

    // No new use: nothing to write, however late.
    clock.advance(Duration.ofMinutes(10));
    awaitInformer();
    assertThat(recorder.flush()).isZero();
    assertThat(patches()).isEqualTo(2);
  }

  @Test
  void anotherReplicasRecentWriteHoldsThisOneBack() {
    // Another replica wrote a use 30 s ago; the informer shows it.
    cluster.writeKeyStatus("trading", "eth", Map.of("lastUsedAt", "2026-12-01T09:59:30Z"));
    awaitInformer();
    recorder.used(key);
    assertThat(recorder.flush()).isZero();
    assertThat(patches()).isZero();

    clock.advance(Duration.ofSeconds(31));
    recorder.used(key);
    assertThat(recorder.flush()).isEqualTo(1);
    assertThat(stored()).isEqualTo("2026-12-01T10:00:31Z");
  }

  @Test
  void aValueThatIsNoTimeOrFromTheFutureHoldsNothingBack() {
    cluster.writeKeyStatus("trading", "eth", Map.of("lastUsedAt", "not a time"));
    awaitInformer();
    recorder.used(key);
    assertThat(recorder.flush()).isEqualTo(1);

    cluster.writeKeyStatus("trading", "eth", Map.of("lastUsedAt", "2099-01-01T00:00:00Z"));
    awaitInformer();
    clock.advance(Duration.ofMinutes(2));
    recorder.used(key);
    assertThat(recorder.flush()).isEqualTo(1);
    assertThat(stored()).isEqualTo("2026-12-01T10:02:00Z");
  }

  @Test
  void refusalsAreCountedAndNotRetriedBeforeTheMinimumInterval() {
    cluster.force("PATCH", STATUS_PATH, 409);
    recorder.used(key);
    assertThat(recorder.flush()).isZero();
    assertThat(recorder.writes("conflict")).isEqualTo(1);
    assertThat(recorder.flush()).as("not again at once").isZero();
    clock.advance(Duration.ofSeconds(30));
    assertThat(recorder.flush()).isZero();
    assertThat(patches()).isEqualTo(1);

    cluster.force("PATCH", STATUS_PATH, 403);
    clock.advance(Duration.ofSeconds(31));
    assertThat(recorder.flush()).isZero();
    assertThat(recorder.writes("forbidden")).isEqualTo(1);

    cluster.force("PATCH", STATUS_PATH, 404);
    clock.advance(Duration.ofSeconds(61));
    assertThat(recorder.flush()).isZero();
    assertThat(recorder.writes("not_found")).isEqualTo(1);
    assertThat(patches()).isEqualTo(3);
    assertThat(stored()).isNull();

    cluster.force("PATCH", STATUS_PATH, null);
    clock.advance(Duration.ofSeconds(61));
    assertThat(recorder.flush()).isEqualTo(1);
    assertThat(stored()).as("the latest use").isEqualTo("2026-12-01T10:00:00Z");
    assertThat(recorder.writes("written")).isEqualTo(1);
  }

  @Test
  void aDeletedKeyIsForgottenWithoutAWrite() {
    recorder.used(key);
    cluster
        .client()
        .genericKubernetesResources(ClusterRecords.API_KEYS)
        .inNamespace("trading")
        .withName("eth")
        .delete();
    await().atMost(WAIT).until(() -> directory.key(key.uid()) == null);
    assertThat(recorder.flush()).isZero();
    assertThat(patches()).isZero();
  }

  @Test
  void theFlusherWritesOnItsOwn() {
    recorder.close();
    recorder =
        new UsageRecorder(
                cluster.client(),
                directory,
                clock,
                meters,
                Duration.ofMillis(100),
                UsageRecorder.DEFAULT_MIN_INTERVAL)
            .start();
    recorder.used(key);
    await().atMost(WAIT).until(() -> "2026-12-01T10:00:00Z".equals(stored()));
  }
}
