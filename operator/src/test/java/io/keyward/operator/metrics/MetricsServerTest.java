package io.keyward.operator.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
  @Test
  void servesKeywardMetricsInThePrometheusFormat() throws Exception {
    KeywardMetrics metrics = new KeywardMetrics();
    metrics.waitingForSlot(() -> 3);
    metrics.totpFailure("alice", "CodeReplayed");
    metrics.totpFailure("alice", "CodeReplayed");
    HttpClient http = HttpClient.newHttpClient();
    try (MetricsServer server = MetricsServer.start(0, metrics)) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type"))
          .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
      assertThat(response.body())
          .contains("keyward_apikeys_waiting_for_slot 3.0")
          .contains("keyward_totp_failures_total{reason=\"CodeReplayed\",user=\"alice\"} 2.0");
      HttpResponse<String> health =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/healthz"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(health.body()).isEqualTo("ok\n");
    }
  }

  @Test
  void probesAnswer503WhileTheOperatorIsNotReady() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean ready =
        new java.util.concurrent.atomic.AtomicBoolean();
    MetricsServer.Health health =
        new MetricsServer.Health() {
          @Override
          public boolean live() {
            return true;
          }

          @Override
          public boolean ready() {
            return ready.get();
          }
        };
    HttpClient http = HttpClient.newHttpClient();
    try (MetricsServer server = MetricsServer.start(0, new KeywardMetrics(), health)) {
      URI readyz = URI.create("http://127.0.0.1:" + server.port() + "/readyz");
      URI healthz = URI.create("http://127.0.0.1:" + server.port() + "/healthz");
      assertThat(status(http, readyz)).isEqualTo(503);
      assertThat(status(http, healthz)).isEqualTo(200);
      ready.set(true);
      assertThat(status(http, readyz)).isEqualTo(200);
    }
  }

  private static int status(HttpClient http, URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }
}
