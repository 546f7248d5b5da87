package io.keyward.verifier.scheme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.scheme.Scheme.Malformed;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class OkxSchemeTest {
  private static final String API_KEY = "KWQV32CNXHMWRBO46N4CJ5R3UZR77JLDIT";
  // The SecretKey example of OKX's documentation ("REST Authentication").
  private static final String SECRET = "22582BD0CFF14C41EDBF1AB98506286D";
  private static final String TIMESTAMP = "2020-12-08T09:08:57.715Z";
  private static final long TIMESTAMP_MILLIS = Instant.parse(TIMESTAMP).toEpochMilli();

  private final OkxScheme scheme = new OkxScheme(SchemeSettings.defaults());

  private static TestRequest signed(TestRequest request, String prehash) {
    return request
        .header("OK-ACCESS-KEY", API_KEY)
        .header("OK-ACCESS-SIGN", ClientSigning.hmacBase64(SECRET, prehash))
        .header("OK-ACCESS-TIMESTAMP", TIMESTAMP)
        .header("OK-ACCESS-PASSPHRASE", "my passphrase");
  }

  @Test
  void aGetSignsThePathWithItsQuery() throws Exception {
    // OKX's example: sign(timestamp + 'GET' + '/api/v5/account/balance?ccy=BTC', SecretKey)
    String prehash = TIMESTAMP + "GET/api/v5/account/balance?ccy=BTC";

    SignedParts parts =
        scheme.read(
            signed(TestRequest.get("/api/v5/account/balance").query("ccy=BTC"), prehash).build());

    assertThat(new String(parts.payload(), StandardCharsets.UTF_8)).isEqualTo(prehash);
    assertThat(ClientSigning.hmacVerifies(SECRET, parts.payload(), parts.signature())).isTrue();
    assertThat(parts.accessKey()).isEqualTo(API_KEY);
    assertThat(parts.timestampMillis()).isEqualTo(TIMESTAMP_MILLIS);
    assertThat(parts.passphrase()).isEqualTo("my passphrase");
    assertThat(parts.windowBeforeMillis()).isEqualTo(5_000);
    assertThat(parts.windowAfterMillis()).isEqualTo(1_000);
  }

  @Test
  void aPostSignsTheRawBody() throws Exception {
    // The body example of OKX's documentation, bytes as sent.
    String body = "{\"instId\":\"BTC-USDT\",\"lever\":\"5\",\"mgnMode\":\"isolated\"}";
    String prehash = TIMESTAMP + "POST/api/v5/account/set-leverage" + body;

    SignedParts parts =
        scheme.read(
            signed(TestRequest.post("/api/v5/account/set-leverage").body(body), prehash).build());

    assertThat(new String(parts.payload(), StandardCharsets.UTF_8)).isEqualTo(prehash);
    assertThat(ClientSigning.hmacVerifies(SECRET, parts.payload(), parts.signature())).isTrue();
    assertThat(scheme.supports(Algorithm.HMAC_SHA256)).isTrue();
    assertThat(scheme.supports(Algorithm.ED25519)).isFalse();
  }

  @Test
  void aRawQueryIsSignedAsSentNotReencoded() throws Exception {
    String prehash = TIMESTAMP + "GET/api/v5/trade/orders-history?instType=SPOT&after=%31%32";

    SignedParts parts =
        scheme.read(
            signed(
                    TestRequest.get("/api/v5/trade/orders-history")
                        .query("instType=SPOT&after=%31%32"),
                    prehash)
                .build());

    assertThat(ClientSigning.hmacVerifies(SECRET, parts.payload(), parts.signature())).isTrue();
  }

  @Test
  void expTimeNarrowsTheWindowToItsDeadline() throws Exception {
    String prehash = TIMESTAMP + "POST/api/v5/trade/order{}";
    SignedParts parts =
        scheme.read(
            signed(TestRequest.post("/api/v5/trade/order").body("{}"), prehash)
                .header("expTime", Long.toString(TIMESTAMP_MILLIS + 1_500))
                .build());
    assertThat(parts.windowBeforeMillis()).isEqualTo(1_500);

    SignedParts later =
        scheme.read(
            signed(TestRequest.post("/api/v5/trade/order").body("{}"), prehash)
                .header("expTime", Long.toString(TIMESTAMP_MILLIS + 3_600_000))
                .build());
    assertThat(later.windowBeforeMillis()).as("never widened").isEqualTo(5_000);

    assertThatThrownBy(
            () ->
                scheme.read(
                    signed(TestRequest.post("/api/v5/trade/order").body("{}"), prehash)
                        .header("expTime", Long.toString(TIMESTAMP_MILLIS - 1))
                        .build()))
        .isInstanceOfSatisfying(
            Malformed.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.TIMESTAMP_OUTSIDE_WINDOW));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "2020-12-08T09:08:57Z",
        "2020-12-08T09:08:57.7Z",
        "2020-12-08T09:08:57.715123456Z"
      })
  void timestampsWithOtherFractionsAreReadToTheMillisecond(String timestamp) throws Exception {
    SignedParts parts =
        scheme.read(
            signed(TestRequest.get("/p"), "x").header("OK-ACCESS-TIMESTAMP", timestamp).build());

    assertThat(parts.timestampMillis()).isEqualTo(Instant.parse(timestamp).toEpochMilli());
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of(
            "no key", signed(TestRequest.get("/"), "x").without("OK-ACCESS-KEY"), "OK-ACCESS-KEY"),
        Arguments.of(
            "no sign",
            signed(TestRequest.get("/"), "x").without("OK-ACCESS-SIGN"),
            "OK-ACCESS-SIGN"),
        Arguments.of(
            "no timestamp",
            signed(TestRequest.get("/"), "x").without("OK-ACCESS-TIMESTAMP"),
            "OK-ACCESS-TIMESTAMP"),
        Arguments.of(
            "no passphrase",
            signed(TestRequest.get("/"), "x").without("OK-ACCESS-PASSPHRASE"),
            "OK-ACCESS-PASSPHRASE"),
        Arguments.of(
            "empty passphrase",
            signed(TestRequest.get("/"), "x").header("OK-ACCESS-PASSPHRASE", ""),
            "OK-ACCESS-PASSPHRASE"),
        Arguments.of(
            "sign not base64",
            signed(TestRequest.get("/"), "x").header("OK-ACCESS-SIGN", "%%%"),
            "OK-ACCESS-SIGN"),
        Arguments.of(
            "epoch millis",
            signed(TestRequest.get("/"), "x").header("OK-ACCESS-TIMESTAMP", "1607418537715"),
            "OK-ACCESS-TIMESTAMP"),
        Arguments.of(
            "an offset",
            signed(TestRequest.get("/"), "x")
                .header("OK-ACCESS-TIMESTAMP", "2020-12-08T09:08:57.715+01:00"),
            "OK-ACCESS-TIMESTAMP"),
        Arguments.of(
            "no zone",
            signed(TestRequest.get("/"), "x")
                .header("OK-ACCESS-TIMESTAMP", "2020-12-08T09:08:57.715"),
            "OK-ACCESS-TIMESTAMP"),
        Arguments.of(
            "leap second",
            signed(TestRequest.get("/"), "x")
                .header("OK-ACCESS-TIMESTAMP", "2016-12-31T23:59:60.000Z"),
            "OK-ACCESS-TIMESTAMP"),
        Arguments.of(
            "no such day",
            signed(TestRequest.get("/"), "x")
                .header("OK-ACCESS-TIMESTAMP", "2021-02-29T09:08:57.715Z"),
            "OK-ACCESS-TIMESTAMP"),
        Arguments.of(
            "a dot and no digits",
            signed(TestRequest.get("/"), "x")
                .header("OK-ACCESS-TIMESTAMP", "2020-12-08T09:08:57.Z"),
            "OK-ACCESS-TIMESTAMP"),
        Arguments.of(
            "signs in the date",
            signed(TestRequest.get("/"), "x")
                .header("OK-ACCESS-TIMESTAMP", "+020-12-08T09:08:57.715Z"),
            "OK-ACCESS-TIMESTAMP"),
        Arguments.of(
            "expTime not digits",
            signed(TestRequest.get("/"), "x").header("expTime", "soon"),
            "expTime"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedRequestsAreRefused(String why, TestRequest request, String field) {
    assertThatThrownBy(() -> scheme.read(request.build()))
        .isInstanceOfSatisfying(
            Malformed.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED))
        .hasMessageStartingWith(field)
        .message()
        .doesNotContain("my passphrase", "1607418537715", "+01:00", "soon");
  }

  @Test
  void refusalsAreInOkxsShape() throws Exception {
    assertOkx(Reason.BAD_SIGNATURE, 401, "50113");
    assertOkx(Reason.UNKNOWN_KEY, 401, "50111");
    assertOkx(Reason.TIMESTAMP_OUTSIDE_WINDOW, 401, "50102");
    assertOkx(Reason.BAD_PASSPHRASE, 401, "50105");
    assertOkx(Reason.IP_NOT_ALLOWED, 401, "50110");
    assertOkx(Reason.PERMISSION_DENIED, 403, "50120");
  }

  private void assertOkx(Reason reason, int status, String code) throws Exception {
    Reply reply = scheme.refusal(reason);
    JsonNode body = new ObjectMapper().readTree(reply.body());
    assertThat(reply.status()).as(reason.name()).isEqualTo(status);
    assertThat(body.get("code").isTextual()).isTrue();
    assertThat(body.get("code").asText()).isEqualTo(code);
    assertThat(body.get("data").isArray()).isTrue();
    assertThat(body.get("data")).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Reason.class)
  void everyReasonHasAnOkxError(Reason reason) throws Exception {
    Reply reply = scheme.refusal(reason);
    JsonNode body = new ObjectMapper().readTree(reply.body());
    assertThat(reply.status()).isBetween(400, 599);
    assertThat(body.get("code").asText()).matches("5\\d{4}");
    assertThat(body.get("msg").asText()).isNotBlank();
  }
}
