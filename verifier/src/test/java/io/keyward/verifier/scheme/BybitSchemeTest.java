package io.keyward.verifier.scheme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.scheme.Scheme.Malformed;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class BybitSchemeTest {
  private static final String API_KEY = "KWQV32CNXHMWRBO46N4CJ5R3UZR77JLDIT";
  private static final String SECRET = "bybit-test-secret";
  private static final Clock CLOCK =
      Clock.fixed(Instant.ofEpochMilli(1658384314999L), ZoneOffset.UTC);

  private final BybitScheme scheme = new BybitScheme(SchemeSettings.defaults(), CLOCK);

  private static TestRequest signed(
      TestRequest request, String timestamp, String window, String text) {
    TestRequest signed =
        request
            .header("X-BAPI-API-KEY", API_KEY)
            .header("X-BAPI-TIMESTAMP", timestamp)
            .header("X-BAPI-SIGN", ClientSigning.hmacHex(SECRET, text));
    return window == null ? signed : signed.header("X-BAPI-RECV-WINDOW", window);
  }

  @Test
  void aGetSignsTimestampKeyWindowAndTheRawQuery() throws Exception {
    // The layout of Bybit's v5 example: timestamp+api_key+recv_window+queryString.
    String query = "category=option&symbol=BTC-29JUL22-25000-C";
    String text = "1658384314791" + API_KEY + "5000" + query;

    SignedParts parts =
        scheme.read(
            signed(
                    TestRequest.get("/v5/order/realtime").query(query),
                    "1658384314791",
                    "5000",
                    text)
                .header("X-BAPI-SIGN-TYPE", "2")
                .build());

    assertThat(new String(parts.payload(), StandardCharsets.UTF_8)).isEqualTo(text);
    assertThat(ClientSigning.hmacVerifies(SECRET, parts.payload(), parts.signature())).isTrue();
    assertThat(parts.accessKey()).isEqualTo(API_KEY);
    assertThat(parts.timestampMillis()).isEqualTo(1658384314791L);
    assertThat(parts.windowBeforeMillis()).isEqualTo(5_000);
    assertThat(parts.windowAfterMillis()).isEqualTo(1_000);
  }

  @Test
  void aPostSignsTheRawBodyAsSent() throws Exception {
    String body = "{\n\"category\": \"option\"\n}";
    String text = "1658385579423" + API_KEY + "20000" + body;

    SignedParts parts =
        scheme.read(
            signed(TestRequest.post("/v5/order/create").body(body), "1658385579423", "20000", text)
                .build());

    assertThat(new String(parts.payload(), StandardCharsets.UTF_8)).isEqualTo(text);
    assertThat(ClientSigning.hmacVerifies(SECRET, parts.payload(), parts.signature())).isTrue();
    assertThat(parts.windowBeforeMillis()).isEqualTo(20_000);
    assertThat(scheme.supports(Algorithm.ED25519)).isFalse();
  }

  @Test
  void withoutAWindowHeaderNothingStandsInItsPlaceAndTheDefaultApplies() throws Exception {
    String text = "1658384314791" + API_KEY + "category=spot";

    SignedParts parts =
        scheme.read(
            signed(
                    TestRequest.get("/v5/order/realtime").query("category=spot"),
                    "1658384314791",
                    null,
                    text)
                .build());

    assertThat(new String(parts.payload(), StandardCharsets.UTF_8)).isEqualTo(text);
    assertThat(parts.windowBeforeMillis()).isEqualTo(5_000);
  }

  @Test
  void anUpperCaseHexSignatureIsTheSameBytes() throws Exception {
    String text = "1658384314791" + API_KEY + "5000";
    SignedParts parts =
        scheme.read(
            signed(TestRequest.get("/v5/account/info"), "1658384314791", "5000", text)
                .header("X-BAPI-SIGN", ClientSigning.hmacHex(SECRET, text).toUpperCase(Locale.ROOT))
                .build());

    assertThat(ClientSigning.hmacVerifies(SECRET, parts.payload(), parts.signature())).isTrue();
  }

  @Test
  void anotherSignTypeIsRefusedAsAnAlgorithmThisSchemeDoesNotCarry() {
    assertThatThrownBy(
            () ->
                scheme.read(
                    signed(TestRequest.get("/"), "1", "5000", "x")
                        .header("X-BAPI-SIGN-TYPE", "1")
                        .build()))
        .isInstanceOfSatisfying(
            Malformed.class, e -> assertThat(e.reason()).isEqualTo(Reason.ALGORITHM_NOT_SUPPORTED))
        .hasMessageStartingWith("X-BAPI-SIGN-TYPE");
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of(
            "no key",
            signed(TestRequest.get("/"), "1", "5000", "x").without("X-BAPI-API-KEY"),
            "X-BAPI-API-KEY"),
        Arguments.of(
            "no timestamp",
            signed(TestRequest.get("/"), "1", "5000", "x").without("X-BAPI-TIMESTAMP"),
            "X-BAPI-TIMESTAMP"),
        Arguments.of(
            "no sign",
            signed(TestRequest.get("/"), "1", "5000", "x").without("X-BAPI-SIGN"),
            "X-BAPI-SIGN"),
        Arguments.of(
            "sign in base64",
            signed(TestRequest.get("/"), "1", "5000", "x")
                .header("X-BAPI-SIGN", ClientSigning.hmacBase64(SECRET, "x")),
            "X-BAPI-SIGN"),
        Arguments.of(
            "timestamp in seconds with a fraction",
            signed(TestRequest.get("/"), "1658384314.791", "5000", "x"),
            "X-BAPI-TIMESTAMP"),
        Arguments.of(
            "window too large",
            signed(TestRequest.get("/"), "1", "120000", "x"),
            "X-BAPI-RECV-WINDOW"),
        Arguments.of(
            "window negative", signed(TestRequest.get("/"), "1", "-5", "x"), "X-BAPI-RECV-WINDOW"),
        Arguments.of(
            "a query on a POST is not signed",
            signed(
                TestRequest.post("/v5/order/create").query("qty=100").body("{}"), "1", "5000", "x"),
            "query"),
        Arguments.of(
            "a body on a GET is not signed",
            signed(TestRequest.get("/v5/order/realtime").body("{}"), "1", "5000", "x"),
            "body"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedRequestsAreRefused(String why, TestRequest request, String field) {
    assertThatThrownBy(() -> scheme.read(request.build()))
        .isInstanceOfSatisfying(
            Malformed.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED))
        .hasMessageStartingWith(field)
        .message()
        .doesNotContain("1658384314.791", "120000", "qty=100");
  }

  @Test
  void refusalsAreInBybitsShapeWithTheServerTime() throws Exception {
    assertBybit(Reason.BAD_SIGNATURE, 10004);
    assertBybit(Reason.TIMESTAMP_OUTSIDE_WINDOW, 10002);
    assertBybit(Reason.UNKNOWN_KEY, 10003);
    assertBybit(Reason.PERMISSION_DENIED, 10005);
    assertBybit(Reason.IP_NOT_ALLOWED, 10010);
    assertBybit(Reason.REPLAYED, 10014);
  }

  private void assertBybit(Reason reason, int code) throws Exception {
    JsonNode body = new ObjectMapper().readTree(scheme.refusal(reason).body());
    assertThat(body.get("retCode").asInt()).as(reason.name()).isEqualTo(code);
    assertThat(body.get("retMsg").asText()).isNotBlank();
    assertThat(body.get("result").isObject()).isTrue();
    assertThat(body.get("retExtInfo").isObject()).isTrue();
    assertThat(body.get("time").asLong()).isEqualTo(1658384314999L);
  }

  @ParameterizedTest
  @EnumSource(Reason.class)
  void everyReasonHasABybitError(Reason reason) throws Exception {
    Reply reply = scheme.refusal(reason);
    JsonNode body = new ObjectMapper().readTree(reply.body());
    assertThat(reply.status()).isBetween(400, 599);
    assertThat(body.get("retCode").asInt()).isPositive();
  }
}
