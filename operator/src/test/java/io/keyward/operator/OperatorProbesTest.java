package io.keyward.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.javaoperatorsdk.operator.Operator;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.metrics.KeywardMetrics;
import io.keyward.operator.metrics.MetricsServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The probes' decision over a real operator (JOSDK and its informers, against fabric8's mock API
 * server in CRUD mode) whose API server becomes unreachable: {@link KeywardOperator#health} as
 * {@code /healthz} and {@code /readyz} serve it.
 */
class OperatorProbesTest {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private KubernetesMockServer api;
  private TcpProxy outage;
  private KubernetesClient client;
  private Operator operator;

  @BeforeEach
  void apiServerBehindAProxy() throws IOException {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    api =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses),
            false);
    api.init();
    outage = new TcpProxy(api.getPort());
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://127.0.0.1:" + outage.port())
            .withNamespace("test")
            // Quick reconnects once the API server is back (the default starts at 1 s, then
            // doubles).
            .withWatchReconnectInterval(200)
            .withConnectionTimeout(2_000)
            .withRequestTimeout(2_000)
            .build();
    client = new KubernetesClientBuilder().withConfig(config).build();
  }

  @AfterEach
  void stop() throws IOException {
    if (operator != null) {
      operator.stop();
    }
    client.close();
    outage.close();
    api.destroy();
  }

  @Test
  void livenessStaysUpThroughAnApiServerOutageWhileReadinessGoesDownAndComesBack()
      throws Exception {
    AtomicReference<Operator> running = new AtomicReference<>();
    try (MetricsServer probes =
        MetricsServer.start(0, new KeywardMetrics(), KeywardOperator.health(running::get))) {
      URI healthz = URI.create("http://127.0.0.1:" + probes.port() + "/healthz");
      URI readyz = URI.create("http://127.0.0.1:" + probes.port() + "/readyz");
      // Starting: live, not ready.
      assertThat(status(healthz)).isEqualTo(200);
      assertThat(status(readyz)).isEqualTo(503);
      operator =
          KeywardOperator.start(
              client,
              KeywardConfig.defaults(),
              Clock.systemUTC(),
              new io.keyward.operator.metrics.KeywardMetrics(),
              false,
              "probes",
              false);
      running.set(operator);
      await().atMost(Duration.ofSeconds(30)).until(() -> status(readyz) == 200);
      assertThat(status(healthz)).isEqualTo(200);

      outage.cut();
      List<Integer> liveness = new CopyOnWriteArrayList<>();
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                liveness.add(status(healthz));
                return status(readyz) == 503;
              });
      assertThat(operator.getRuntimeInfo().unhealthyEventSources().values())
          .as("the informers see the outage")
          .anyMatch(m -> !m.isEmpty());
      // The outage goes on: not ready all along, and live all along.
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                liveness.add(status(healthz));
                return status(readyz) == 503;
              });
      assertThat(liveness).isNotEmpty().containsOnly(200);

      outage.resume();
      await().atMost(Duration.ofSeconds(60)).until(() -> status(readyz) == 200);
      assertThat(status(healthz)).isEqualTo(200);

      // What liveness does catch: an operator that no longer runs.
      operator.stop();
      operator = null;
      assertThat(status(healthz)).isEqualTo(503);
      assertThat(status(readyz)).isEqualTo(503);
    }
  }

  private int status(URI uri) throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }
}
