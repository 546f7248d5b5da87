package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.linecorp.armeria.client.grpc.GrpcClients;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyward.localcluster.EchoUpstream;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.apikey.ApiKeyReconciler;
import io.keyward.verifier.VerifierMain;
import io.keyward.verifier.server.VerifierConfig;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The verifier on the real API server, in front of keys the operator issued: its reverse proxy and
 * its Envoy ext_authz Check, each in front of a small upstream. The verifier runs with a token
 * bound to the chart's verifier role only (it reads, and writes nothing but a key's last use).
 * Requests are signed here with plain javax.crypto / java.security, never with the verifier's code.
 * The verifier and the operator share one clock, so expiry and grace periods are moved, not waited
 * for; what a change in the cluster takes to reach the verifier is asserted within the issue's
 * bound of 1 s.
 */
@ExtendWith(RealCluster.class)
class VerifierIT {
  private static final String NS = "verifier-it";
  private static final String RBAC_NS = "verifier-rbac";
  private static final String USER = "vera";

  /**
   * The issue's bound on a rotation, revocation, deletion, suspension or IP edit reaching the
   * verifier. A key's first use after issuance waits {@code WAIT}: the operator writes the status
   * before the grant, and a loaded machine may take longer than this between the two.
   */
  private static final Duration PROPAGATION = Duration.ofSeconds(1);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static RunningOperator operator;
  private static EchoUpstream upstream;
  private static ChartRbac rbac;
  private static KubernetesClient verifierClient;
  private static VerifierMain.Running verifier;
  private static AuthorizationGrpc.AuthorizationBlockingStub extAuthz;

  @BeforeAll
  static void start() throws Exception {
    RealCluster.namespace(NS);
    user(USER, NS);
    // More keys than the default five.
    operator = RunningOperator.start(Map.of("limits.keysPerUser", "20"));
    upstream = EchoUpstream.start(0);
    rbac = ChartRbac.install(RBAC_NS, Map.of("verifier.enabled", true, "verifier.proxyPort", 0));
    verifierClient =
        ChartRbac.tokenClient(ChartRbac.token(RBAC_NS, "keyward-verifier"), new RequestAudit());
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("listen.proxyPort", String.valueOf(freePort()));
    settings.put("listen.extAuthzPort", String.valueOf(freePort()));
    settings.put("listen.adminPort", String.valueOf(freePort()));
    settings.put("proxy.upstream", upstream.url());
    settings.put("routes.preset", "keyward");
    verifier =
        VerifierMain.start(
            VerifierConfig.defaults().with(settings), verifierClient, operator.clock());
    await().atMost(WAIT).until(() -> verifier.verifier().ready());
    extAuthz =
        GrpcClients.newClient(
            "http://127.0.0.1:" + verifier.server().extAuthzPort(),
            AuthorizationGrpc.AuthorizationBlockingStub.class);
  }

  @AfterAll
  static void stop() {
    if (verifier != null) {
      verifier.close();
    }
    if (rbac != null) {
      rbac.uninstall();
    }
    if (upstream != null) {
      upstream.close();
    }
    if (operator != null) {
      operator.close();
    }
  }

  /** An issued key: its access key and secret key, read from its Secret. */
  private record Issued(String name, String accessKey, String secretKey) {}

  private static Issued issue(String name, java.util.function.Consumer<ApiKeySpec> spec) {
    key(NS, name, USER, spec);
    ApiKey active = awaitKey(NS, name, phase("Active"));
    return material(name, active);
  }

  private static Issued material(String name, ApiKey key) {
    var secret = secret(key.getMetadata().getNamespace(), key.getStatus().secretName);
    return new Issued(
        name,
        new String(
            Base64.getDecoder().decode(secret.getData().get("accessKey")), StandardCharsets.UTF_8),
        new String(
            Base64.getDecoder().decode(secret.getData().get("secretKey")), StandardCharsets.UTF_8));
  }

  // --- signing, Keyward's scheme (docs/api.md), with the test's own code ---

  private static String hmacBase64(String secret, String text) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return Base64.getEncoder().encodeToString(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static String sha256Hex(byte[] body) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
  }

  /** The string Keyward's scheme signs; {@code query} is already canonical here. */
  private static String toSign(long ts, String method, String path, String query, byte[] body)
      throws Exception {
    return ts + "\n" + method + "\n" + path + "\n" + query + "\n" + sha256Hex(body);
  }

  /** A request signed with an HMAC key at {@code ts}. */
  private static Map<String, String> signedHeaders(
      Issued key, long ts, String method, String path, String query, byte[] body) throws Exception {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("KW-ACCESS-KEY", key.accessKey());
    h.put("KW-TIMESTAMP", String.valueOf(ts));
    h.put("KW-SIGNATURE", hmacBase64(key.secretKey(), toSign(ts, method, path, query, body)));
    return h;
  }

  private static long now() {
    return operator.clock().millis();
  }

  private static HttpResponse<String> proxy(
      String method, String path, String query, byte[] body, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + verifier.server().proxyPort()
                        + path
                        + (query.isEmpty() ? "" : "?" + query)))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A signed GET of the account's balances (read) through the proxy. */
  private static HttpResponse<String> read(Issued key) throws Exception {
    return read(key, now());
  }

  private static HttpResponse<String> read(Issued key, long ts) throws Exception {
    byte[] none = new byte[0];
    return proxy(
        "GET",
        "/api/v1/account/balances",
        "asset=BTC",
        none,
        signedHeaders(key, ts, "GET", "/api/v1/account/balances", "asset=BTC", none));
  }

  /** The reason of a refusal in Keyward's scheme; the whole answer when it has none. */
  private static String reason(HttpResponse<String> response) throws Exception {
    String code = JSON.readTree(response.body()).path("code").asText();
    return code.isEmpty() ? response.statusCode() + " " + response.body() : code;
  }

  private static CheckResponse check(Issued key, String sourceIp, String path, String query)
      throws Exception {
    long ts = now();
    Map<String, String> headers = new LinkedHashMap<>();
    signedHeaders(key, ts, "GET", path, query, new byte[0])
        .forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v));
    headers.put("x-keyward-user", "mallory");
    return extAuthz.check(
        CheckRequest.newBuilder()
            .setAttributes(
                AttributeContext.newBuilder()
                    .setSource(
                        AttributeContext.Peer.newBuilder()
                            .setAddress(
                                Address.newBuilder()
                                    .setSocketAddress(
                                        SocketAddress.newBuilder()
                                            .setAddress(sourceIp)
                                            .setPortValue(40000))))
                    .setRequest(
                        AttributeContext.Request.newBuilder()
                            .setHttp(
                                AttributeContext.HttpRequest.newBuilder()
                                    .setMethod("GET")
                                    .setHost("api.example.com")
                                    .setPath(path + (query.isEmpty() ? "" : "?" + query))
                                    .putAllHeaders(headers)
                                    .setRawBody(ByteString.EMPTY))))
            .build());
  }

  private static Map<String, String> allowedHeaders(CheckResponse response) {
    Map<String, String> out = new LinkedHashMap<>();
    response
        .getOkResponse()
        .getHeadersList()
        .forEach(h -> out.put(h.getHeader().getKey(), h.getHeader().getValue()));
    return out;
  }

  // --- the tests ---

  @Test
  void anIssuedKeyVerifiesThroughTheProxyAndTheExtAuthzCheckAndTheUpstreamLearnsWhoSigned()
      throws Exception {
    Issued key = issue("accepted", s -> s.permissions = List.of("read", "trade"));
    await().atMost(WAIT).until(() -> read(key).statusCode() == 200);

    Map<String, String> headers =
        signedHeaders(key, now(), "GET", "/api/v1/account/balances", "asset=BTC", new byte[0]);
    headers.put("X-Keyward-User", "mallory");
    HttpResponse<String> ok =
        proxy("GET", "/api/v1/account/balances", "asset=BTC", new byte[0], headers);
    assertThat(ok.statusCode()).isEqualTo(200);
    JsonNode echo = JSON.readTree(ok.body());
    assertThat(echo.path("target").asText()).isEqualTo("/api/v1/account/balances?asset=BTC");
    assertThat(echo.path("headers").path("x-keyward-user").asText()).isEqualTo(USER);
    assertThat(echo.path("headers").path("x-keyward-key").asText()).isEqualTo(NS + "/accepted");
    assertThat(echo.path("headers").path("x-keyward-permissions").asText()).isEqualTo("read,trade");

    // An order (trade) with a body: the body is what was signed, and reaches the upstream.
    byte[] order = "{\"symbol\":\"BTCUSDT\",\"qty\":\"1\"}".getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> placed =
        proxy(
            "POST",
            "/api/v1/orders",
            "",
            order,
            signedHeaders(key, now(), "POST", "/api/v1/orders", "", order));
    assertThat(placed.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(placed.body()).path("bodyBytes").asLong()).isEqualTo(order.length);

    CheckResponse allowed = check(key, "198.51.100.20", "/api/v1/account/balances", "asset=BTC");
    assertThat(allowed.getStatus().getCode()).isZero();
    assertThat(allowedHeaders(allowed))
        .containsEntry("x-keyward-user", USER)
        .containsEntry("x-keyward-key", NS + "/accepted")
        .containsEntry("x-keyward-permissions", "read,trade");
    // The client's own x-keyward-user is overwritten, not added to.
    assertThat(allowed.getOkResponse().getHeadersList())
        .filteredOn(h -> h.getHeader().getKey().equals("x-keyward-user"))
        .singleElement()
        .satisfies(
            h ->
                assertThat(h.getAppendAction())
                    .isEqualTo(
                        io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction
                            .OVERWRITE_IF_EXISTS_OR_ADD));
  }

  @Test
  void eachWrongRequestIsRefusedWithItsOwnReason() throws Exception {
    Issued key = issue("refusals", s -> s.permissions = List.of("read"));
    Issued bound = issue("bound", s -> s.ipWhitelist = List.of("203.0.113.9"));
    await().atMost(WAIT).until(() -> read(key).statusCode() == 200);
    byte[] none = new byte[0];
    String path = "/api/v1/account/balances";

    Map<String, String> wrong = signedHeaders(key, now(), "GET", path, "asset=ETH", none);
    HttpResponse<String> badSignature = proxy("GET", path, "asset=BTC", none, wrong);
    assertThat(badSignature.statusCode()).isEqualTo(401);
    assertThat(reason(badSignature)).isEqualTo("BadSignature");

    HttpResponse<String> wrongIp = read(bound);
    assertThat(wrongIp.statusCode()).isEqualTo(401);
    assertThat(reason(wrongIp)).isEqualTo("IpNotAllowed");

    HttpResponse<String> order =
        proxy(
            "POST",
            "/api/v1/orders",
            "",
            none,
            signedHeaders(key, now(), "POST", "/api/v1/orders", "", none));
    assertThat(order.statusCode()).isEqualTo(403);
    assertThat(reason(order)).isEqualTo("PermissionDenied");

    // A second beyond each edge (the exact edges are VerifierTest's): the request takes time.
    HttpResponse<String> stale = read(key, now() - 6_000);
    assertThat(reason(stale)).isEqualTo("TimestampOutsideWindow");
    HttpResponse<String> future = read(key, now() + 2_000);
    assertThat(reason(future)).isEqualTo("TimestampOutsideWindow");

    Map<String, String> once = signedHeaders(key, now(), "GET", path, "asset=BTC", none);
    assertThat(proxy("GET", path, "asset=BTC", none, once).statusCode()).isEqualTo(200);
    HttpResponse<String> replay = proxy("GET", path, "asset=BTC", none, once);
    assertThat(replay.statusCode()).isEqualTo(401);
    assertThat(reason(replay)).isEqualTo("Replayed");

    Issued unknown = new Issued("none", "KW" + "A".repeat(32), key.secretKey());
    assertThat(reason(read(unknown))).isEqualTo("UnknownKey");

    HttpResponse<String> noRoute =
        proxy(
            "GET",
            "/internal/admin",
            "",
            none,
            signedHeaders(key, now(), "GET", "/internal/admin", "", none));
    assertThat(noRoute.statusCode()).isEqualTo(404);
    assertThat(reason(noRoute)).isEqualTo("RouteNotFound");

    // Through ext_authz: the bound key from its own address is allowed, from another denied with
    // the scheme's status and body.
    assertThat(check(bound, "203.0.113.9", path, "asset=BTC").getStatus().getCode()).isZero();
    CheckResponse denied = check(bound, "203.0.113.10", path, "asset=BTC");
    assertThat(denied.getStatus().getCode()).isNotZero();
    assertThat(denied.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
    assertThat(JSON.readTree(denied.getDeniedResponse().getBody()).path("code").asText())
        .isEqualTo("IpNotAllowed");
  }

  @Test
  void anEd25519KeyVerifiesAgainstTheGrantsPublicKey() throws Exception {
    Issued key = issue("signer", s -> s.algorithm = "Ed25519");
    String pem = key.secretKey();
    byte[] der =
        Base64.getMimeDecoder()
            .decode(pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", ""));
    PrivateKey privateKey =
        KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
    String path = "/api/v1/account/balances";
    await()
        .atMost(WAIT)
        .until(
            () -> {
              long ts = now();
              Signature ed = Signature.getInstance("Ed25519");
              ed.initSign(privateKey);
              ed.update(toSign(ts, "GET", path, "", new byte[0]).getBytes(StandardCharsets.UTF_8));
              Map<String, String> h = new LinkedHashMap<>();
              h.put("KW-ACCESS-KEY", key.accessKey());
              h.put("KW-TIMESTAMP", String.valueOf(ts));
              h.put("KW-SIGNATURE", Base64.getEncoder().encodeToString(ed.sign()));
              return proxy("GET", path, "", new byte[0], h).statusCode() == 200;
            });
    // An HMAC over the PEM text is not an Ed25519 signature.
    assertThat(reason(read(key))).isEqualTo("BadSignature");
  }

  @Test
  void afterARotationBothKeysVerifyUntilTheGraceEndsThenOnlyTheNewOne() throws Exception {
    Issued old =
        issue(
            "rotating",
            s -> {
              s.renewal = new ApiKeySpec.Renewal();
              s.renewal.gracePeriod = "1h";
            });
    await().atMost(WAIT).until(() -> read(old).statusCode() == 200);
    annotateKey(NS, "rotating", ApiKeyReconciler.ROTATE_ANNOTATION, "it");
    ApiKey rotated =
        awaitKey(
            NS,
            "rotating",
            k -> "it".equals(k.getStatus().lastHandledRotate) && k.getStatus().previous != null);
    Issued fresh = material("rotating", rotated);
    assertThat(fresh.accessKey()).isNotEqualTo(old.accessKey());
    await().atMost(PROPAGATION).until(() -> read(fresh).statusCode() == 200);
    assertThat(read(old).statusCode()).as("the previous key in its grace").isEqualTo(200);

    Instant graceEnds = Instant.parse(rotated.getStatus().previous.validUntil);
    operator
        .clock()
        .advance(Duration.between(operator.clock().instant(), graceEnds).plusSeconds(1));
    HttpResponse<String> after = read(old);
    assertThat(after.statusCode()).isEqualTo(401);
    assertThat(reason(after)).isIn("UnknownKey", "KeyRevoked");
    assertThat(read(fresh).statusCode()).isEqualTo(200);
  }

  @Test
  void deletionSuspensionAnIpEditAndExpiryRefuseWithinTheBound() throws Exception {
    Issued deleted = issue("deleted", s -> {});
    Issued narrowed = issue("narrowed", s -> s.ipWhitelist = List.of("127.0.0.1", "203.0.113.7"));
    Issued expiring = issue("expiring", s -> s.validity = "2h");
    for (Issued k : List.of(deleted, narrowed, expiring)) {
      await().atMost(WAIT).until(() -> read(k).statusCode() == 200);
    }

    client().resources(ApiKey.class).inNamespace(NS).withName("deleted").delete();
    await().atMost(PROPAGATION).until(() -> read(deleted).statusCode() == 401);

    editKey(
        NS,
        "narrowed",
        k -> {
          k.getSpec().ipWhitelist = List.of("203.0.113.7");
          return k;
        });
    await().atMost(PROPAGATION).until(() -> "IpNotAllowed".equals(reason(read(narrowed))));

    Instant expiresAt = Instant.parse(get(NS, "expiring").getStatus().expiresAt);
    operator
        .clock()
        .advance(Duration.between(operator.clock().instant(), expiresAt).plusSeconds(1));
    await().atMost(PROPAGATION).until(() -> read(expiring).statusCode() == 401);
    assertThat(reason(read(expiring))).isIn("KeyExpired", "UnknownKey", "KeyRevoked");
  }

  @Test
  void aSuspendedUsersKeysAreRefusedWithinTheBoundAndVerifyAgainWhenLifted() throws Exception {
    RealCluster.namespace(NS + "-s");
    user("vic", NS + "-s");
    key(NS + "-s", "bot", "vic", s -> {});
    ApiKey active = awaitKey(NS + "-s", "bot", phase("Active"));
    Issued key = material("bot", active);
    await().atMost(WAIT).until(() -> read(key).statusCode() == 200);
    editUser(
        "vic",
        u -> {
          u.getSpec().suspended = true;
          return u;
        });
    await().atMost(PROPAGATION).until(() -> "UserSuspended".equals(reason(read(key))));
    editUser(
        "vic",
        u -> {
          u.getSpec().suspended = false;
          return u;
        });
    await().atMost(WAIT).until(() -> read(key).statusCode() == 200);
  }

  @Test
  void aSecretATenantEditsOrPlantsNeverVerifies() throws Exception {
    Issued key = issue("tampered", s -> {});
    await().atMost(WAIT).until(() -> read(key).statusCode() == 200);
    // The tenant puts a secret of its own into the key's Secret: its signatures must not verify,
    // whatever the operator then does about the Secret.
    String planted = "planted-secret-planted-secret-00";
    Issued forged = new Issued("tampered", key.accessKey(), planted);
    editSecret(
        NS,
        get(NS, "tampered").getStatus().secretName,
        s -> {
          s.getData()
              .put(
                  "secretKey",
                  Base64.getEncoder().encodeToString(planted.getBytes(StandardCharsets.UTF_8)));
          return s;
        });
    await().atMost(PROPAGATION).until(() -> read(forged).statusCode() == 401);
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(3))
        .until(() -> read(forged).statusCode() == 401);
  }

  @Test
  void anAcceptedRequestShowsAsTheKeysLastUseAndTheVerifierMayWriteNothingElse() throws Exception {
    Issued key = issue("used", s -> {});
    // The chart's role lets the verifier patch a key's status (its last use) and nothing else.
    verifierClient
        .genericKubernetesResources("keyward.io/v1alpha1", "ApiKey")
        .inNamespace(NS)
        .withName("used")
        .subresource("status")
        .patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            "{\"status\":{\"lastUsedAt\":\"2000-01-01T00:00:00Z\"}}");
    await().atMost(WAIT).until(() -> read(key).statusCode() == 200);
    ApiKey seen =
        await().atMost(WAIT).until(() -> get(NS, "used"), k -> k.getStatus().lastUsedAt != null);
    assertThat(Instant.parse(seen.getStatus().lastUsedAt))
        .isBeforeOrEqualTo(operator.clock().instant());
    // The verifier's own token: no Secret write, no ApiUser read beyond list/watch, no status
    // write on ApiUsers.
    assertThatThrownBy(
            () ->
                verifierClient
                    .secrets()
                    .inNamespace(NS)
                    .resource(
                        new SecretBuilder().withNewMetadata().withName("x").endMetadata().build())
                    .create())
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
    assertThatThrownBy(
            () ->
                verifierClient
                    .resources(io.keyward.operator.api.ApiUser.class)
                    .withName(USER)
                    .editStatus(
                        u -> {
                          u.setStatus(new ApiUserStatus());
                          return u;
                        }))
        .isInstanceOf(KubernetesClientException.class);
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
