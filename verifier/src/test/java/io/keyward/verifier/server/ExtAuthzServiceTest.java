package io.keyward.verifier.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.net.InetAddresses;
import com.google.protobuf.ByteString;
import com.google.rpc.Code;
import com.linecorp.armeria.client.grpc.GrpcClients;
import com.linecorp.armeria.server.Server;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.keyward.verifier.KeywardVerifier;
import io.keyward.verifier.core.Permission;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ExtAuthzServiceTest {
  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

  private final Fixtures.Keys keys = Fixtures.keys();
  private Server server;
  private AuthorizationGrpc.AuthorizationBlockingStub client;

  private void start(Map<String, String> settings) {
    Map<String, String> values = new HashMap<>();
    values.put("listen.proxyPort", "0");
    values.put("routes.preset", "test");
    values.put("proxy.maxBodyBytes", "64");
    values.putAll(settings);
    KeywardVerifier verifier =
        KeywardVerifier.create(
            VerifierConfig.from(values), keys, Clock.fixed(NOW, ZoneOffset.UTC), Fixtures.CATALOG);
    server =
        Server.builder()
            .http(0)
            .gracefulShutdownTimeout(Duration.ZERO, Duration.ZERO)
            .service(new ExtAuthzService(verifier).grpcService())
            .build();
    server.start().join();
    client =
        GrpcClients.newClient(
            "http://127.0.0.1:" + server.activeLocalPort(),
            AuthorizationGrpc.AuthorizationBlockingStub.class);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop().join();
    }
  }

  /** A Check as Envoy sends it: the request signed with the test scheme. */
  private static CheckRequest check(
      String method, String path, Map<String, String> extra, byte[] body, String source) {
    String ts = Long.toString(NOW.toEpochMilli());
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put(":authority", "api.example.com");
    headers.put("x-alpha-key", Fixtures.ACCESS_KEY);
    headers.put("x-alpha-ts", ts);
    headers.put(
        "x-alpha-sign", Fixtures.sign(Fixtures.SECRET, Fixtures.payload(ts, method, path, body)));
    headers.putAll(extra);
    return CheckRequest.newBuilder()
        .setAttributes(
            AttributeContext.newBuilder()
                .setSource(
                    AttributeContext.Peer.newBuilder()
                        .setAddress(
                            Address.newBuilder()
                                .setSocketAddress(
                                    SocketAddress.newBuilder()
                                        .setAddress(source)
                                        .setPortValue(40000))))
                .setRequest(
                    AttributeContext.Request.newBuilder()
                        .setHttp(
                            AttributeContext.HttpRequest.newBuilder()
                                .setMethod(method)
                                .setHost("api.example.com")
                                .setPath(path)
                                .putAllHeaders(headers)
                                .setRawBody(ByteString.copyFrom(body)))))
        .build();
  }

  private static Map<String, String> setHeaders(CheckResponse r) {
    return r.getOkResponse().getHeadersList().stream()
        .collect(Collectors.toMap(h -> h.getHeader().getKey(), h -> h.getHeader().getValue()));
  }

  @Test
  void anAcceptedCheckSetsWhoSignedAndRemovesTheClientsKeywardHeaders() {
    start(Map.of());
    CheckResponse r =
        client.check(
            check(
                "POST",
                "/api/order?b=2&a=%7E1",
                Map.of("x-keyward-user", "mallory", "x-keyward-admin", "yes", "x-other", "kept"),
                "{\"q\":1}".getBytes(StandardCharsets.UTF_8),
                "198.51.100.7"));
    assertThat(r.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    assertThat(setHeaders(r))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "x-keyward-user", "alice",
                "x-keyward-key", "trading/bot",
                "x-keyward-permissions", "read,trade"));
    assertThat(r.getOkResponse().getHeadersList())
        .allSatisfy(
            h ->
                assertThat(h.getAppendAction())
                    .isEqualTo(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
    // x-keyward-user is overwritten (removing it would remove ours: Envoy removes after it sets).
    assertThat(r.getOkResponse().getHeadersToRemoveList()).containsExactly("x-keyward-admin");
  }

  @Test
  void aRefusedCheckCarriesTheSchemesResponse() {
    start(Map.of());
    CheckRequest forged =
        check("GET", "/api/x", Map.of("x-alpha-sign", "00".repeat(32)), new byte[0], "192.0.2.1");
    CheckResponse r = client.check(forged);
    assertThat(r.getStatus().getCode()).isEqualTo(Code.UNAUTHENTICATED_VALUE);
    assertThat(r.getStatus().getMessage()).isEqualTo("BadSignature");
    assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
    assertThat(r.getDeniedResponse().getBody())
        .isEqualTo("{\"scheme\":\"alpha\",\"error\":\"BadSignature\"}");
    assertThat(r.getDeniedResponse().getHeaders(0).getHeader().getKey()).isEqualTo("content-type");
    assertThat(r.getDeniedResponse().getHeaders(0).getHeader().getValue())
        .isEqualTo(TestScheme.CONTENT_TYPE);

    keys.add(
        Fixtures.key(
            Fixtures.ACCESS_KEY,
            Set.of(Permission.READ),
            List.of(InetAddresses.forString("198.51.100.7"))));
    CheckResponse wrongIp =
        client.check(check("GET", "/api/y", Map.of(), new byte[0], "203.0.113.1"));
    assertThat(wrongIp.getStatus().getCode()).isEqualTo(Code.PERMISSION_DENIED_VALUE);
    assertThat(wrongIp.getStatus().getMessage()).isEqualTo("IpNotAllowed");
    CheckResponse noTrade =
        client.check(check("POST", "/api/order", Map.of(), new byte[0], "198.51.100.7"));
    assertThat(noTrade.getStatus().getCode()).isEqualTo(Code.PERMISSION_DENIED_VALUE);
    assertThat(noTrade.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
  }

  @Test
  void notReadyIsUnavailable() {
    keys.ready = false;
    start(Map.of());
    CheckResponse r = client.check(check("GET", "/api/x", Map.of(), new byte[0], "192.0.2.1"));
    assertThat(r.getStatus().getCode()).isEqualTo(Code.UNAVAILABLE_VALUE);
    assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(503);
  }

  @Test
  void aPartialOrOversizedBodyIsRefused() {
    start(Map.of());
    CheckResponse partial =
        client.check(
            check(
                "POST",
                "/api/order",
                Map.of("x-envoy-auth-partial-body", "true"),
                new byte[10],
                "192.0.2.1"));
    assertThat(partial.getStatus().getMessage()).isEqualTo("BodyTooLarge");
    assertThat(partial.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(413);
    assertThat(partial.getDeniedResponse().getBody()).contains("\"scheme\":\"alpha\"");
    CheckResponse big =
        client.check(check("POST", "/api/order", Map.of(), new byte[65], "192.0.2.1"));
    assertThat(big.getStatus().getMessage()).isEqualTo("BodyTooLarge");
    CheckResponse atTheBound =
        client.check(check("POST", "/api/order", Map.of(), new byte[64], "192.0.2.1"));
    assertThat(atTheBound.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
  }

  @Test
  void theBodyAsTextWhenEnvoyDoesNotPackBytes() {
    start(Map.of());
    byte[] body = "{\"price\":\"0.1\"}".getBytes(StandardCharsets.UTF_8);
    CheckRequest asBytes = check("POST", "/api/order", Map.of(), body, "192.0.2.1");
    CheckRequest asText =
        asBytes.toBuilder()
            .setAttributes(
                asBytes.getAttributes().toBuilder()
                    .setRequest(
                        asBytes.getAttributes().getRequest().toBuilder()
                            .setHttp(
                                asBytes.getAttributes().getRequest().getHttp().toBuilder()
                                    .clearRawBody()
                                    .setBody(new String(body, StandardCharsets.UTF_8)))))
            .build();
    assertThat(client.check(asText).getStatus().getCode()).isEqualTo(Code.OK_VALUE);
  }

  @Test
  void forwardedForCountsOnlyFromATrustedSource() {
    keys.add(
        Fixtures.key(
            Fixtures.ACCESS_KEY,
            Set.of(Permission.READ),
            List.of(InetAddresses.forString("198.51.100.7"))));
    start(Map.of("clientAddress.trustedProxies", "10.0.0.0/8"));
    CheckResponse viaLb =
        client.check(
            check(
                "GET",
                "/api/a",
                Map.of("x-forwarded-for", "198.51.100.7"),
                new byte[0],
                "10.1.2.3"));
    assertThat(viaLb.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    CheckResponse direct =
        client.check(
            check(
                "GET",
                "/api/b",
                Map.of("x-forwarded-for", "198.51.100.7"),
                new byte[0],
                "203.0.113.9"));
    assertThat(direct.getStatus().getMessage()).isEqualTo("IpNotAllowed");
  }

  @Test
  void aPinnedServiceTakesOnlyItsScheme() {
    start(Map.of("extAuthz.scheme", "beta"));
    CheckResponse r = client.check(check("GET", "/api/x", Map.of(), new byte[0], "192.0.2.1"));
    assertThat(r.getStatus().getMessage()).isEqualTo("Malformed");
    assertThat(r.getDeniedResponse().getBody()).contains("\"scheme\":\"beta\"");
  }

  @Test
  void aReplayedCheckIsRefused() {
    start(Map.of());
    CheckRequest once = check("GET", "/api/x?n=1", Map.of(), new byte[0], "192.0.2.1");
    assertThat(client.check(once).getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    assertThat(client.check(once).getStatus().getMessage()).isEqualTo("Replayed");
  }
}
