package io.keyward.verifier.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.net.InetAddresses;
import com.linecorp.armeria.common.CommonPools;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.Server;
import io.keyward.verifier.KeywardVerifier;
import io.keyward.verifier.core.Permission;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReverseProxyTest {
  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<AutoCloseable> closing = new ArrayList<>();
  private final List<CompletableFuture<?>> stopping = new ArrayList<>();
  private final CountDownLatch releaseStream = new CountDownLatch(1);
  private Server upstream;
  private Fixtures.Keys keys;
  private int proxyPort;

  @BeforeEach
  void upstream() {
    upstream =
        Server.builder()
            .http(0)
            .gracefulShutdownTimeout(Duration.ZERO, Duration.ZERO)
            .service(
                "/api/slow",
                (ctx, req) -> HttpResponse.delayed(HttpResponse.of("late"), Duration.ofSeconds(5)))
            .service(
                "/api/stream",
                (ctx, req) -> {
                  HttpResponseWriter res = HttpResponse.streaming();
                  res.write(ResponseHeaders.of(HttpStatus.OK, "content-type", "text/plain"));
                  res.write(HttpData.ofUtf8("first;"));
                  ctx.blockingTaskExecutor()
                      .execute(
                          () -> {
                            try {
                              releaseStream.await(20, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                              Thread.currentThread().interrupt();
                            }
                            res.write(HttpData.ofUtf8("second"));
                            res.close();
                          });
                  return res;
                })
            .serviceUnder(
                "/",
                (ctx, req) ->
                    HttpResponse.of(
                        req.aggregate()
                            .thenApply(
                                agg -> {
                                  Map<String, Object> echo = new LinkedHashMap<>();
                                  echo.put("method", agg.method().name());
                                  echo.put("target", ctx.rawPath());
                                  echo.put("authority", agg.headers().authority());
                                  Map<String, List<String>> headers = new LinkedHashMap<>();
                                  agg.headers()
                                      .forEach(
                                          (n, v) ->
                                              headers
                                                  .computeIfAbsent(
                                                      n.toString(), k -> new ArrayList<>())
                                                  .add(v));
                                  echo.put("headers", headers);
                                  echo.put("body", agg.contentUtf8());
                                  try {
                                    return HttpResponse.of(
                                        HttpStatus.CREATED,
                                        MediaType.JSON_UTF_8,
                                        JSON.writeValueAsString(echo));
                                  } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                  }
                                })))
            .build();
    upstream.start().join();
    keys = Fixtures.keys();
  }

  @AfterEach
  void stop() throws Exception {
    releaseStream.countDown();
    for (AutoCloseable c : closing) {
      c.close();
    }
    stopping.add(upstream.stop());
    // Each stop waits out its event loop's quiet period: all at once.
    CompletableFuture.allOf(stopping.toArray(CompletableFuture[]::new)).join();
    stopping.clear();
  }

  private void proxy(Map<String, String> settings) {
    Map<String, String> values = new HashMap<>();
    values.put("proxy.upstream", "http://127.0.0.1:" + upstream.activeLocalPort());
    values.put("routes.preset", "test");
    values.put("proxy.responseTimeout", "1s");
    values.put("proxy.maxBodyBytes", "1024");
    values.putAll(settings);
    VerifierConfig config = VerifierConfig.from(values);
    KeywardVerifier verifier =
        KeywardVerifier.create(config, keys, Clock.fixed(NOW, ZoneOffset.UTC), Fixtures.CATALOG);
    ReverseProxy proxy = new ReverseProxy(verifier, CommonPools.workerGroup());
    // As VerifierServer builds it: no server-wide bound, the proxy bounds each request itself.
    Server server =
        Server.builder()
            .http(0)
            .maxRequestLength(0)
            .gracefulShutdownTimeout(Duration.ZERO, Duration.ZERO)
            .serviceUnder("/", proxy)
            .build();
    server.start().join();
    closing.add(() -> stopping.add(server.stop()));
    closing.add(proxy);
    proxyPort = server.activeLocalPort();
  }

  private RawHttp.Response send(String method, String target, String extraHeaders, byte[] body)
      throws Exception {
    return send(method, target, extraHeaders, body, Fixtures.ACCESS_KEY, "X-ALPHA");
  }

  private RawHttp.Response send(
      String method, String target, String extraHeaders, byte[] body, String key, String prefix)
      throws Exception {
    String ts = Long.toString(NOW.toEpochMilli());
    String sign = Fixtures.sign(Fixtures.SECRET, Fixtures.payload(ts, method, target, body));
    String head =
        method
            + " "
            + target
            + " HTTP/1.1\r\nHost: api.example.com\r\n"
            + prefix
            + "-KEY: "
            + key
            + "\r\n"
            + prefix
            + "-TS: "
            + ts
            + "\r\n"
            + prefix
            + "-SIGN: "
            + sign
            + "\r\nContent-Length: "
            + body.length
            + extraHeaders;
    return RawHttp.exchange(proxyPort, head, body);
  }

  private static JsonNode echo(RawHttp.Response r) throws Exception {
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    return JSON.readTree(r.body());
  }

  private static List<String> header(JsonNode echo, String name) {
    List<String> values = new ArrayList<>();
    JsonNode v = echo.get("headers").get(name);
    if (v != null) {
      v.forEach(x -> values.add(x.asText()));
    }
    return values;
  }

  @Test
  void anAcceptedRequestReachesTheUpstreamWithWhoSignedIt() throws Exception {
    proxy(Map.of());
    byte[] body = "{\"symbol\":\"ETHBTC\"}".getBytes(StandardCharsets.UTF_8);
    RawHttp.Response r =
        send(
            "POST",
            "/api/order?b=2&a=1",
            "\r\nContent-Type: application/json\r\nX-Keyward-User: mallory\r\nx-keyward-extra: 1"
                + "\r\nX-Custom: kept\r\nX-Forwarded-For: 198.51.100.66\r\nX-Forwarded-Proto: https"
                + "\r\nKeep-Alive: timeout=5\r\nX-Hop: secret-for-the-next-hop\r\nConnection: x-hop"
                + "\r\nUpgrade: websocket",
            body);
    JsonNode echo = echo(r);
    assertThat(r.header("content-type")).startsWith("application/json");
    assertThat(echo.get("method").asText()).isEqualTo("POST");
    assertThat(echo.get("target").asText()).isEqualTo("/api/order?b=2&a=1");
    assertThat(echo.get("body").asText()).isEqualTo("{\"symbol\":\"ETHBTC\"}");
    assertThat(header(echo, "x-keyward-user")).containsExactly("alice");
    assertThat(header(echo, "x-keyward-key")).containsExactly("trading/bot");
    assertThat(header(echo, "x-keyward-permissions")).containsExactly("read,trade");
    assertThat(header(echo, "x-keyward-extra")).isEmpty();
    assertThat(header(echo, "x-custom")).containsExactly("kept");
    assertThat(header(echo, "content-type")).containsExactly("application/json");
    assertThat(header(echo, "x-forwarded-for")).containsExactly("127.0.0.1");
    assertThat(header(echo, "x-forwarded-proto")).containsExactly("http");
    assertThat(header(echo, "x-forwarded-host")).containsExactly("api.example.com");
    assertThat(echo.get("authority").asText()).isEqualTo("127.0.0.1:" + upstream.activeLocalPort());
    assertThat(header(echo, "x-hop")).isEmpty();
    assertThat(header(echo, "keep-alive")).isEmpty();
    assertThat(header(echo, "upgrade")).isEmpty();
    assertThat(header(echo, "x-alpha-sign")).hasSize(1);
  }

  @Test
  void headersAClientMustNotHandTheUpstreamDoNotReachIt() throws Exception {
    proxy(Map.of());
    JsonNode echo =
        echo(
            send(
                "GET",
                "/api/account",
                "\r\nX_Keyward_User: bob\r\nx_keyward_permissions: read,trade,withdraw"
                    + "\r\nForwarded: for=203.0.113.99\r\nX-Real-IP: 203.0.113.99"
                    + "\r\nX-HTTP-Method-Override: DELETE\r\nX-Original-URL: /api/withdraw",
                new byte[0],
                Fixtures.READ_ONLY_KEY,
                "X-ALPHA"));
    for (String name :
        List.of(
            "x_keyward_user",
            "x_keyward_permissions",
            "forwarded",
            "x-real-ip",
            "x-http-method-override",
            "x-original-url")) {
      assertThat(header(echo, name)).as(name).isEmpty();
    }
    assertThat(header(echo, "x-keyward-user")).hasSize(1);
  }

  @Test
  void thePathAndQueryReachTheUpstreamByteForByte() throws Exception {
    proxy(Map.of());
    for (String target :
        List.of(
            "/api/a%20b?x=1+2&y=%2B&x=3&z=%7E",
            "/api/x?",
            "/api/x?a=1&a=1&a=2",
            "/api/q?s=a%20b&t=%e2%82%ac&u=%2f",
            "/api/%C3%A9t%3Bv=1",
            "/api/x?q=a..b")) {
      JsonNode echo = echo(send("GET", target, "", new byte[0]));
      assertThat(echo.get("target").asText()).as(target).isEqualTo(target);
    }
  }

  @Test
  void aRefusalHasTheSchemesShapeAndReachesNoUpstream() throws Exception {
    proxy(Map.of());
    String ts = Long.toString(NOW.toEpochMilli());
    RawHttp.Response r =
        RawHttp.exchange(
            proxyPort,
            "GET /api/x HTTP/1.1\r\nHost: h\r\nX-ALPHA-KEY: "
                + Fixtures.ACCESS_KEY
                + "\r\nX-ALPHA-TS: "
                + ts
                + "\r\nX-ALPHA-SIGN: "
                + "00".repeat(32),
            new byte[0]);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.header("content-type")).isEqualTo(TestScheme.CONTENT_TYPE);
    assertThat(r.text()).isEqualTo("{\"scheme\":\"alpha\",\"error\":\"BadSignature\"}");

    // A read-only key on a trade route.
    RawHttp.Response denied =
        send("POST", "/api/order", "", new byte[0], Fixtures.READ_ONLY_KEY, "X-ALPHA");
    assertThat(denied.status()).isEqualTo(403);
    assertThat(denied.text()).contains("PermissionDenied");

    // Not signed with any scheme: the first scheme's shape.
    RawHttp.Response unsigned =
        RawHttp.exchange(proxyPort, "GET /api/x HTTP/1.1\r\nHost: h", new byte[0]);
    assertThat(unsigned.status()).isEqualTo(400);
    assertThat(unsigned.text()).isEqualTo("{\"scheme\":\"alpha\",\"error\":\"Malformed\"}");

    // A path an upstream could read as another is refused before any route.
    RawHttp.Response ambiguous = send("GET", "/api//x", "", new byte[0]);
    assertThat(ambiguous.status()).isEqualTo(400);
    assertThat(ambiguous.text()).contains("Malformed");

    RawHttp.Response unrouted = send("GET", "/admin", "", new byte[0]);
    assertThat(unrouted.status()).isEqualTo(404);
    assertThat(unrouted.text()).contains("RouteNotFound");
  }

  @Test
  void aReplayIsRefused() throws Exception {
    proxy(Map.of());
    assertThat(send("GET", "/api/x?n=1", "", new byte[0]).status()).isEqualTo(201);
    RawHttp.Response again = send("GET", "/api/x?n=1", "", new byte[0]);
    assertThat(again.status()).isEqualTo(401);
    assertThat(again.text()).contains("Replayed");
  }

  @Test
  void beforeTheDirectoryIsReadyEveryRequestIsUnavailable() throws Exception {
    keys.ready = false;
    proxy(Map.of());
    RawHttp.Response r = send("GET", "/api/x", "", new byte[0]);
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.text()).isEqualTo("{\"scheme\":\"alpha\",\"error\":\"Unavailable\"}");
  }

  @Test
  void aBodyOverTheBoundIsRefusedInTheSchemesShape() throws Exception {
    proxy(Map.of());
    byte[] big = new byte[1025];
    // Declared: refused from the headers alone.
    RawHttp.Response declared =
        RawHttp.exchange(
            proxyPort,
            "POST /api/order HTTP/1.1\r\nHost: h\r\nX-BETA-KEY: k\r\nContent-Length: 100000000",
            new byte[0]);
    assertThat(declared.status()).isEqualTo(413);
    assertThat(declared.text()).isEqualTo("{\"scheme\":\"beta\",\"error\":\"BodyTooLarge\"}");
    // Chunked: refused once it passes the bound.
    String chunk =
        Integer.toHexString(big.length) + "\r\n" + "x".repeat(big.length) + "\r\n0\r\n\r\n";
    RawHttp.Response chunked =
        RawHttp.exchange(
            proxyPort,
            "POST /api/order HTTP/1.1\r\nHost: h\r\nX-ALPHA-KEY: k\r\nTransfer-Encoding: chunked",
            chunk.getBytes(StandardCharsets.US_ASCII));
    assertThat(chunked.status()).isEqualTo(413);
    assertThat(chunked.text()).isEqualTo("{\"scheme\":\"alpha\",\"error\":\"BodyTooLarge\"}");
    // At the bound: verified and forwarded.
    assertThat(send("POST", "/api/order", "", new byte[1024]).status()).isEqualTo(201);
  }

  @Test
  void aPinnedProxyTakesOnlyItsScheme() throws Exception {
    proxy(Map.of("proxy.scheme", "beta"));
    RawHttp.Response alpha = send("GET", "/api/x", "", new byte[0]);
    assertThat(alpha.status()).isEqualTo(400);
    assertThat(alpha.text()).isEqualTo("{\"scheme\":\"beta\",\"error\":\"Malformed\"}");
    assertThat(send("GET", "/api/y", "", new byte[0], Fixtures.ACCESS_KEY, "X-BETA").status())
        .isEqualTo(201);
  }

  @Test
  void forwardedForIsBelievedOnlyFromATrustedProxy() throws Exception {
    keys.add(
        Fixtures.key(
            Fixtures.ACCESS_KEY,
            Set.of(Permission.READ),
            List.of(InetAddresses.forString("198.51.100.7"))));
    proxy(Map.of());
    RawHttp.Response untrusted =
        send("GET", "/api/x?n=1", "\r\nX-Forwarded-For: 198.51.100.7", new byte[0]);
    assertThat(untrusted.status()).isEqualTo(401);
    assertThat(untrusted.text()).contains("IpNotAllowed");
    stop();
    closing.clear();
    upstream();
    keys.add(
        Fixtures.key(
            Fixtures.ACCESS_KEY,
            Set.of(Permission.READ),
            List.of(InetAddresses.forString("198.51.100.7"))));
    proxy(Map.of("clientAddress.trustedProxies", "127.0.0.0/8"));
    JsonNode echo =
        echo(
            send(
                "GET",
                "/api/x?n=2",
                "\r\nX-Forwarded-For: 203.0.113.1, 198.51.100.7\r\nX-Forwarded-Proto: https",
                new byte[0]));
    assertThat(header(echo, "x-forwarded-for"))
        .containsExactly("203.0.113.1, 198.51.100.7, 127.0.0.1");
    assertThat(header(echo, "x-forwarded-proto")).containsExactly("https");
  }

  @Test
  void theUpstreamsResponseStreams() throws Exception {
    proxy(Map.of());
    String ts = Long.toString(NOW.toEpochMilli());
    String sign =
        Fixtures.sign(Fixtures.SECRET, Fixtures.payload(ts, "GET", "/api/stream", new byte[0]));
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxyPort)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET /api/stream HTTP/1.1\r\nHost: h\r\nX-ALPHA-KEY: "
                  + Fixtures.ACCESS_KEY
                  + "\r\nX-ALPHA-TS: "
                  + ts
                  + "\r\nX-ALPHA-SIGN: "
                  + sign
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder seen = new StringBuilder();
      // The first part arrives while the upstream still holds the rest back.
      while (!seen.toString().contains("first;")) {
        int c = in.read();
        assertThat(c).as("the first part before the upstream ends").isNotNegative();
        seen.append((char) c);
      }
      assertThat(seen.toString()).startsWith("HTTP/1.1 200").doesNotContain("second");
      releaseStream.countDown();
      seen.append(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
      assertThat(seen.toString()).contains("second");
    }
  }

  @Test
  void anUpstreamThatIsDownIs502AndOneTooSlow504() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    proxy(Map.of("proxy.upstream", "http://127.0.0.1:" + closedPort));
    RawHttp.Response down = send("GET", "/api/x", "", new byte[0]);
    assertThat(down.status()).isEqualTo(502);
    assertThat(down.header("content-type")).startsWith("application/json");
    assertThat(JSON.readTree(down.body()).get("error").asText()).isEqualTo("UpstreamUnavailable");

    stop();
    closing.clear();
    upstream();
    proxy(Map.of());
    long start = System.nanoTime();
    RawHttp.Response slow = send("GET", "/api/slow", "", new byte[0]);
    assertThat(slow.status()).isEqualTo(504);
    assertThat(JSON.readTree(slow.body()).get("error").asText()).isEqualTo("UpstreamTimeout");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
  }
}
