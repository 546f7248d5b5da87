package io.keyward.verifier.scheme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.scheme.Scheme.Malformed;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The worked example of Binance's API documentation ("SIGNED Endpoint Examples for POST
 * /api/v3/order"): its key, secret, parameters and the signature of each of its three placements.
 */
class BinanceSchemeTest {
  private static final String API_KEY =
      "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
  private static final String SECRET =
      "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
  private static final String PARAMS =
      "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
          + "&recvWindow=5000&timestamp=1499827319559";
  private static final String DOC_SIGNATURE =
      "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
  // Example 3 mixes query and body; the docs: "Note that the signature is different in example
  // 3. There is no & between "GTC" and "quantity=1"."
  private static final String DOC_QUERY_PART = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC";
  private static final String DOC_BODY_PART =
      "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
  private static final String DOC_MIXED_SIGNATURE =
      "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77";
  private static final String FORM = "application/x-www-form-urlencoded";

  private final BinanceScheme scheme = new BinanceScheme(SchemeSettings.defaults());

  private static TestRequest order() {
    return TestRequest.post("/api/v3/order").header("X-MBX-APIKEY", API_KEY);
  }

  private void assertDocumentedSignature(TestRequest request, String payload, String signature)
      throws Malformed {
    SignedParts parts = scheme.read(request.build());

    assertThat(new String(parts.payload(), StandardCharsets.UTF_8)).isEqualTo(payload);
    assertThat(HexFormat.of().formatHex(ClientSigning.hmac(SECRET, parts.payload())))
        .isEqualTo(signature);
    assertThat(parts.signature()).isEqualTo(HexFormat.of().parseHex(signature));
    assertThat(parts.accessKey()).isEqualTo(API_KEY);
    assertThat(parts.timestampMillis()).isEqualTo(1499827319559L);
    assertThat(parts.windowBeforeMillis()).isEqualTo(5_000);
    assertThat(parts.windowAfterMillis()).isEqualTo(1_000);
  }

  @Test
  void example1AllInTheQuery() throws Exception {
    assertThat(ClientSigning.hmacHex(SECRET, PARAMS)).isEqualTo(DOC_SIGNATURE);
    assertDocumentedSignature(
        order().query(PARAMS + "&signature=" + DOC_SIGNATURE), PARAMS, DOC_SIGNATURE);
  }

  @Test
  void example2AllInTheBody() throws Exception {
    assertDocumentedSignature(
        order().header("Content-Type", FORM).body(PARAMS + "&signature=" + DOC_SIGNATURE),
        PARAMS,
        DOC_SIGNATURE);
  }

  @Test
  void example3MixedQueryAndBodyConcatenatedWithoutAnAmpersand() throws Exception {
    assertThat(ClientSigning.hmacHex(SECRET, DOC_QUERY_PART + DOC_BODY_PART))
        .isEqualTo(DOC_MIXED_SIGNATURE);
    assertDocumentedSignature(
        order()
            .query(DOC_QUERY_PART)
            .header("Content-Type", FORM + "; charset=UTF-8")
            .body(DOC_BODY_PART + "&signature=" + DOC_MIXED_SIGNATURE),
        DOC_QUERY_PART + DOC_BODY_PART,
        DOC_MIXED_SIGNATURE);
  }

  @Test
  void theSignatureMayStandAnywhereAndInUpperCase() throws Exception {
    // Binance: "HMAC: Signatures generated using HMAC are not case-sensitive."
    String upper = DOC_SIGNATURE.toUpperCase(Locale.ROOT);
    assertDocumentedSignature(
        order().query("signature=" + upper + "&" + PARAMS), PARAMS, DOC_SIGNATURE);
    String middle =
        "symbol=LTCBTC&side=BUY&type=LIMIT&signature="
            + DOC_SIGNATURE
            + "&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    assertDocumentedSignature(order().query(middle), PARAMS, DOC_SIGNATURE);
  }

  @Test
  void aNonFormBodyIsSignedAsItIsButCarriesNoParameters() throws Exception {
    String query = "symbol=LTCBTC&timestamp=1499827319559";
    String body = "{\"note\":\"signature=x&timestamp=1\"}";
    String signature = ClientSigning.hmacHex(SECRET, query + body);

    SignedParts parts =
        scheme.read(
            order()
                .query(query + "&signature=" + signature)
                .header("Content-Type", "application/json")
                .body(body)
                .build());

    assertThat(new String(parts.payload(), StandardCharsets.UTF_8)).isEqualTo(query + body);
    assertThat(ClientSigning.hmacVerifies(SECRET, parts.payload(), parts.signature())).isTrue();
  }

  @Test
  void anEd25519SignatureTravelsPercentEncodedBase64() throws Exception {
    KeyPair keys = ClientSigning.ed25519();
    String query = "symbol=BTCUSDT&side=SELL&timestamp=1700000000000&recvWindow=60000";
    String signature = Base64.getEncoder().encodeToString(ClientSigning.ed25519Sign(keys, query));

    SignedParts parts =
        scheme.read(
            TestRequest.get("/api/v3/order")
                .header("X-MBX-APIKEY", "KWQV32CNXHMWRBO46N4CJ5R3UZR77JLDIT")
                .query(query + "&signature=" + URLEncoder.encode(signature, StandardCharsets.UTF_8))
                .build());

    assertThat(ClientSigning.ed25519Verifies(keys.getPublic(), parts.payload(), parts.signature()))
        .isTrue();
    assertThat(parts.windowBeforeMillis()).isEqualTo(60_000);
  }

  @Test
  void microsecondTimestampsAndFractionalWindowsAsBinanceSpotAccepts() throws Exception {
    SignedParts parts =
        scheme.read(
            order()
                .query("timestamp=1700000000123456&recvWindow=6000.346&signature=" + DOC_SIGNATURE)
                .build());

    assertThat(parts.timestampMillis()).isEqualTo(1700000000123L);
    assertThat(parts.windowBeforeMillis()).isEqualTo(6_000);
  }

  @Test
  void withoutRecvWindowTheDefaultApplies() throws Exception {
    SignedParts parts =
        scheme.read(order().query("timestamp=1&signature=" + DOC_SIGNATURE).build());

    assertThat(parts.windowBeforeMillis()).isEqualTo(5_000);
  }

  static Stream<Arguments> malformed() {
    String sig = "&signature=" + DOC_SIGNATURE;
    return Stream.of(
        Arguments.of("no timestamp", order().query("symbol=A" + sig), "timestamp: required"),
        Arguments.of("no signature", order().query("timestamp=1"), "signature: required"),
        Arguments.of(
            "empty timestamp", order().query("timestamp=" + sig), "timestamp: must not be empty"),
        Arguments.of(
            "timestamp twice", order().query("timestamp=1&timestamp=2" + sig), "timestamp"),
        Arguments.of(
            "timestamp in query and body",
            order().query("timestamp=1").header("Content-Type", FORM).body("timestamp=2" + sig),
            "timestamp"),
        Arguments.of(
            "timestamp twice, once encoded",
            order().query("timestamp=1&%74imestamp=2" + sig),
            "timestamp"),
        Arguments.of(
            "signature twice",
            order().query("timestamp=1" + sig).header("Content-Type", FORM).body("a=1" + sig),
            "signature"),
        Arguments.of(
            "recvWindow twice",
            order().query("timestamp=1&recvWindow=1&recvWindow=60000" + sig),
            "recvWindow"),
        Arguments.of(
            "recvWindow above the maximum",
            order().query("timestamp=1&recvWindow=60001" + sig),
            "recvWindow"),
        Arguments.of(
            "recvWindow just above the maximum",
            order().query("timestamp=1&recvWindow=60000.001" + sig),
            "recvWindow"),
        Arguments.of(
            "recvWindow zero", order().query("timestamp=1&recvWindow=0" + sig), "recvWindow"),
        Arguments.of(
            "recvWindow four decimals",
            order().query("timestamp=1&recvWindow=5000.1234" + sig),
            "recvWindow"),
        Arguments.of("timestamp not digits", order().query("timestamp=1e3" + sig), "timestamp"),
        Arguments.of(
            "timestamp too long", order().query("timestamp=12345678901234567" + sig), "timestamp"),
        Arguments.of(
            "signature neither hex nor base64",
            order().query("timestamp=1&signature=zz*zz"),
            "signature"),
        Arguments.of(
            "bad escape in the signature", order().query("timestamp=1&signature=%G0"), "signature"),
        Arguments.of(
            "no key header value",
            order().header("X-MBX-APIKEY", "").query("timestamp=1" + sig),
            "X-MBX-APIKEY"),
        Arguments.of(
            "too many parameters",
            order()
                .query("a=1&".repeat(600) + "timestamp=1" + sig)
                .header("Content-Type", FORM)
                .body("b=2&".repeat(600)),
            "query and body"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedRequestsAreRefused(String why, TestRequest request, String message) {
    assertThatThrownBy(() -> scheme.read(request.build()))
        .isInstanceOfSatisfying(
            Malformed.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED))
        .hasMessageStartingWith(message)
        .message()
        .doesNotContain(DOC_SIGNATURE, "60001", "zz*zz", "1e3");
  }

  @Test
  void refusalsAreInBinancesShapeWithItsCodesAndStatuses() throws Exception {
    assertBinance(Reason.BAD_SIGNATURE, 400, -1022, "Signature for this request is not valid.");
    assertBinance(
        Reason.TIMESTAMP_OUTSIDE_WINDOW,
        400,
        -1021,
        "Timestamp for this request is outside of the recvWindow.");
    for (Reason keyOrPermission :
        new Reason[] {
          Reason.UNKNOWN_KEY,
          Reason.KEY_EXPIRED,
          Reason.KEY_REVOKED,
          Reason.USER_SUSPENDED,
          Reason.IP_NOT_ALLOWED,
          Reason.PERMISSION_DENIED
        }) {
      assertBinance(keyOrPermission, 401, -2015, "Invalid API-key, IP, or permissions for action.");
    }
    assertBinance(
        Reason.MALFORMED,
        400,
        -1102,
        "Mandatory parameter was not sent, was empty/null, or malformed.");
  }

  private void assertBinance(Reason reason, int status, int code, String msg) throws Exception {
    Reply reply = scheme.refusal(reason);
    JsonNode body = new ObjectMapper().readTree(reply.body());
    assertThat(reply.status()).as(reason.name()).isEqualTo(status);
    assertThat(body.get("code").isInt()).isTrue();
    assertThat(body.get("code").asInt()).isEqualTo(code);
    assertThat(body.get("msg").asText()).isEqualTo(msg);
  }

  @ParameterizedTest
  @EnumSource(Reason.class)
  void everyReasonHasABinanceError(Reason reason) throws Exception {
    Reply reply = scheme.refusal(reason);
    JsonNode body = new ObjectMapper().readTree(reply.body());
    assertThat(reply.status()).isBetween(400, 599);
    assertThat(body.get("code").asInt()).isNegative();
    assertThat(body.get("msg").asText()).isNotBlank();
  }
}
