package io.keyward.verifier.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.Code;
import com.linecorp.armeria.client.grpc.GrpcClients;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.Server;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.keyward.verifier.KeywardVerifier;
import io.keyward.verifier.VerifierMain;
import io.keyward.verifier.core.KeyEntry;
import io.keyward.verifier.core.Verdict;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The runnable verifier as VerifierMain starts it: every listener, metrics, audit, last use. */
class VerifierServerTest {
  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

  private final Fixtures.Keys keys = Fixtures.keys();
  private final List<KeyEntry> used = new CopyOnWriteArrayList<>();
  private final AtomicBoolean directoryClosed = new AtomicBoolean();
  private Server upstream;
  private VerifierMain.Running running;

  private final VerifierMain.Components components =
      new VerifierMain.Components() {
        @Override
        public KeywardVerifier.Catalog catalog() {
          return Fixtures.CATALOG;
        }

        @Override
        public VerifierMain.Directory directory(
            io.fabric8.kubernetes.client.KubernetesClient client,
            VerifierConfig config,
            io.micrometer.core.instrument.MeterRegistry registry,
            Clock clock) {
          return new VerifierMain.Directory(
              keys,
              () -> keys.entries.size(),
              (request, verdict, elapsed) -> {
                if (verdict instanceof Verdict.Accepted a) {
                  used.add(a.key());
                }
              },
              () -> directoryClosed.set(true));
        }
      };

  @BeforeEach
  void upstream() {
    upstream =
        Server.builder()
            .http(0)
            .gracefulShutdownTimeout(Duration.ZERO, Duration.ZERO)
            .serviceUnder("/", (ctx, req) -> HttpResponse.of("upstream saw " + ctx.rawPath()))
            .build();
    upstream.start().join();
  }

  @AfterEach
  void stop() {
    if (running != null) {
      running.close();
    }
    upstream.stop().join();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private Map<String, String> settings() throws IOException {
    Map<String, String> values = new HashMap<>();
    values.put("listen.proxyPort", Integer.toString(freePort()));
    values.put("listen.extAuthzPort", Integer.toString(freePort()));
    values.put("listen.adminPort", Integer.toString(freePort()));
    values.put("proxy.upstream", "http://127.0.0.1:" + upstream.activeLocalPort());
    values.put("routes.preset", "test");
    return values;
  }

  @Test
  void everyListenerAnswersAndTheAdminEndpointsReportIt() throws Exception {
    keys.ready = false;
    running =
        VerifierMain.start(
            VerifierConfig.from(settings()), components, Clock.fixed(NOW, ZoneOffset.UTC));
    VerifierServer server = running.server();
    int admin = server.adminPort();

    assertThat(RawHttp.exchange(admin, "GET /healthz HTTP/1.1\r\nHost: h", new byte[0]).status())
        .isEqualTo(200);
    assertThat(RawHttp.exchange(admin, "GET /readyz HTTP/1.1\r\nHost: h", new byte[0]).status())
        .isEqualTo(503);
    keys.ready = true;
    assertThat(RawHttp.exchange(admin, "GET /readyz HTTP/1.1\r\nHost: h", new byte[0]).status())
        .isEqualTo(200);
    assertThat(RawHttp.exchange(admin, "POST /readyz HTTP/1.1\r\nHost: h", new byte[0]).status())
        .isEqualTo(405);

    String ts = Long.toString(NOW.toEpochMilli());
    String target = "/api/a%20b?x=1+2";
    RawHttp.Response proxied =
        RawHttp.exchange(
            server.proxyPort(),
            "GET "
                + target
                + " HTTP/1.1\r\nHost: h\r\nX-ALPHA-KEY: "
                + Fixtures.ACCESS_KEY
                + "\r\nX-ALPHA-TS: "
                + ts
                + "\r\nX-ALPHA-SIGN: "
                + Fixtures.sign(Fixtures.SECRET, Fixtures.payload(ts, "GET", target, new byte[0])),
            new byte[0]);
    assertThat(proxied.status()).isEqualTo(200);
    assertThat(proxied.text()).isEqualTo("upstream saw " + target);
    assertThat(used).extracting(KeyEntry::accessKey).containsExactly(Fixtures.ACCESS_KEY);

    AuthorizationGrpc.AuthorizationBlockingStub grpc =
        GrpcClients.newClient(
            "http://127.0.0.1:" + server.extAuthzPort(),
            AuthorizationGrpc.AuthorizationBlockingStub.class);
    var denied =
        grpc.check(
            CheckRequest.newBuilder()
                .setAttributes(
                    AttributeContext.newBuilder()
                        .setRequest(
                            AttributeContext.Request.newBuilder()
                                .setHttp(
                                    AttributeContext.HttpRequest.newBuilder()
                                        .setMethod("GET")
                                        .setPath("/api/x"))))
                .build());
    assertThat(denied.getStatus().getCode()).isEqualTo(Code.UNAUTHENTICATED_VALUE);

    RawHttp.Response metrics =
        RawHttp.exchange(admin, "GET /metrics HTTP/1.1\r\nHost: h", new byte[0]);
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.header("content-type")).startsWith("text/plain; version=0.0.4");
    assertThat(metrics.text())
        .contains(
            "keyward_verifier_requests_total{outcome=\"accepted\",reason=\"none\",scheme=\"alpha\"} 1.0")
        .contains(
            "keyward_verifier_requests_total{outcome=\"refused\",reason=\"Malformed\",scheme=\"none\"} 1.0")
        .contains("keyward_verifier_keys 2.0")
        .contains("keyward_verifier_ready 1.0")
        .contains("keyward_verifier_replay_entries 1.0")
        .contains("jvm_memory_used_bytes")
        .contains("armeria_server_connections");
  }

  @Test
  void closeStopsEveryListenerAndTheDirectory() throws Exception {
    running =
        VerifierMain.start(
            VerifierConfig.from(settings()), components, Clock.fixed(NOW, ZoneOffset.UTC));
    VerifierServer server = running.server();
    int[] ports = {server.proxyPort(), server.extAuthzPort(), server.adminPort()};
    running.close();
    running = null;
    assertThat(directoryClosed).isTrue();
    for (int port : ports) {
      assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void aListenerTurnedOffIsNotStarted() throws Exception {
    Map<String, String> values = settings();
    values.put("listen.proxyPort", "0");
    values.put("listen.extAuthzPort", "0");
    running =
        VerifierMain.start(
            VerifierConfig.from(values), components, Clock.fixed(NOW, ZoneOffset.UTC));
    assertThat(running.server().proxyPort()).isZero();
    assertThat(running.server().extAuthzPort()).isZero();
    assertThat(running.server().adminPort()).isPositive();
  }

  @Test
  void anUnknownPresetOrSchemeFailsAtStartNamingTheSetting() throws Exception {
    Map<String, String> values = settings();
    values.put("routes.preset", "nope");
    assertThatThrownBy(
            () ->
                VerifierMain.start(
                    VerifierConfig.from(values), components, Clock.fixed(NOW, ZoneOffset.UTC)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("configuration routes.preset (KEYWARD_VERIFIER_ROUTES_PRESET)")
        .hasMessageContaining("known: test");
    assertThat(directoryClosed).isTrue();
    values.put("routes.preset", "test");
    values.put("proxy.scheme", "gamma");
    assertThatThrownBy(
            () ->
                VerifierMain.start(
                    VerifierConfig.from(values), components, Clock.fixed(NOW, ZoneOffset.UTC)))
        .hasMessageContaining("configuration proxy.scheme (KEYWARD_VERIFIER_PROXY_SCHEME)")
        .hasMessageContaining("known: alpha, beta");
    // Nothing was left listening.
    try (ServerSocket s = new ServerSocket(Integer.parseInt(values.get("listen.adminPort")))) {
      assertThat(s.isBound()).isTrue();
    }
  }
}
