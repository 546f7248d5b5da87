package io.keyward.verifier.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.keyward.verifier.KeywardVerifier;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExtAuthzClientHeadersTest {
  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

  private static ExtAuthzService service() {
    KeywardVerifier verifier =
        KeywardVerifier.create(
            VerifierConfig.from(Map.of("listen.proxyPort", "0", "routes.preset", "test")),
            Fixtures.keys(),
            Clock.fixed(NOW, ZoneOffset.UTC),
            Fixtures.CATALOG);
    return new ExtAuthzService(verifier);
  }

  private static CheckRequest check(String method, String path, Map<String, String> extra) {
    String ts = Long.toString(NOW.toEpochMilli());
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("x-alpha-key", Fixtures.READ_ONLY_KEY);
    headers.put("x-alpha-ts", ts);
    // The client signs the method as the verifier will see it (upper case).
    headers.put(
        "x-alpha-sign",
        Fixtures.sign(
            Fixtures.SECRET, Fixtures.payload(ts, method.toUpperCase(), path, new byte[0])));
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
                                        .setAddress("192.0.2.1")
                                        .setPortValue(40000))))
                .setRequest(
                    AttributeContext.Request.newBuilder()
                        .setHttp(
                            AttributeContext.HttpRequest.newBuilder()
                                .setMethod(method)
                                .setHost("api.example.com")
                                .setPath(path)
                                .putAllHeaders(headers))))
        .build();
  }

  /** x_keyward_user reaches a WSGI/Rack/CGI upstream as HTTP_X_KEYWARD_USER: it must be removed. */
  @Test
  void underscoreSpelledKeywardHeadersAreRemoved() {
    CheckResponse r =
        service()
            .decide(
                check(
                    "GET",
                    "/api/account",
                    Map.of(
                        "x_keyward_user", "bob",
                        "forwarded", "for=203.0.113.99",
                        "x-real-ip", "203.0.113.99",
                        "x-http-method-override", "DELETE")));
    assertThat(r.getStatus().getCode()).isZero();
    assertThat(r.getOkResponse().getHeadersToRemoveList())
        .contains("x_keyward_user", "forwarded", "x-real-ip", "x-http-method-override");
  }

  /**
   * The method is upper-cased for the route table and the signature, but Envoy forwards it as sent:
   * "get" is verified as a GET (read) while the upstream acts on another method token.
   */
  @Test
  void aMethodThatIsNotAnUpperCaseTokenIsRefused() {
    CheckResponse r = service().decide(check("get", "/api/account", Map.of()));
    assertThat(r.getStatus().getCode()).as("lower-case method").isNotZero();
  }
}
