package io.keyward.verifier.scheme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.scheme.Scheme.Malformed;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class KeywardSchemeTest {
  private static final String ACCESS_KEY = "KWQV32CNXHMWRBO46N4CJ5R3UZR77JLDIT";
  private static final String SECRET = "dGhpcy1pcy1hLXRlc3Qtc2VjcmV0LWtleS0zMmJ5dGVz";
  private static final String EMPTY_SHA256 =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  private final KeywardScheme scheme = new KeywardScheme(SchemeSettings.defaults());

  private static TestRequest signed(TestRequest request, String timestamp, String signature) {
    return request
        .header("KW-ACCESS-KEY", ACCESS_KEY)
        .header("KW-TIMESTAMP", timestamp)
        .header("KW-SIGNATURE", signature);
  }

  @Test
  void aClientsHmacOverTheCanonicalStringVerifiesAgainstTheParsedPayload() throws Exception {
    // The client writes its parameters in any order and encoding; the canonical query decodes
    // each, re-encodes by RFC 3986 (+ is a plus, not a space) and sorts by name, then value.
    String query = "symbol=BTC%2dUSDT&b=2&a=%E2%82%AC&a=1&q=x+y&empty";
    String stringToSign =
        "1700000000123\nGET\n/api/v3/order\n"
            + "a=%E2%82%AC&a=1&b=2&empty=&q=x%2By&symbol=BTC-USDT\n"
            + EMPTY_SHA256;
    String signature = ClientSigning.hmacBase64(SECRET, stringToSign);

    SignedParts parts =
        scheme.read(
            signed(TestRequest.get("/api/v3/order").query(query), "1700000000123", signature)
                .build());

    assertThat(new String(parts.payload(), StandardCharsets.UTF_8)).isEqualTo(stringToSign);
    assertThat(ClientSigning.hmacVerifies(SECRET, parts.payload(), parts.signature())).isTrue();
    assertThat(parts.accessKey()).isEqualTo(ACCESS_KEY);
    assertThat(parts.timestampMillis()).isEqualTo(1700000000123L);
    assertThat(parts.windowBeforeMillis()).isEqualTo(5_000);
    assertThat(parts.windowAfterMillis()).isEqualTo(1_000);
    assertThat(parts.passphrase()).isNull();
  }

  @Test
  void theBodyIsSignedByItsSha256AndTheMethodInUpperCase() throws Exception {
    String body = "{\"symbol\":\"BTCUSDT\",\"qty\":\"0.5\"}";
    String stringToSign =
        "1700000000123\nPOST\n/api/v3/order\n\n"
            + ClientSigning.sha256Hex(body.getBytes(StandardCharsets.UTF_8));
    String signature = ClientSigning.hmacBase64(SECRET, stringToSign);

    SignedParts parts =
        scheme.read(
            signed(
                    TestRequest.post("/api/v3/order").method("post").body(body),
                    "1700000000123",
                    signature)
                .header("KW-RECV-WINDOW", "20000")
                .build());

    assertThat(new String(parts.payload(), StandardCharsets.UTF_8)).isEqualTo(stringToSign);
    assertThat(ClientSigning.hmacVerifies(SECRET, parts.payload(), parts.signature())).isTrue();
    assertThat(parts.windowBeforeMillis()).isEqualTo(20_000);
  }

  @Test
  void anEd25519SignatureVerifiesWithThePublicKey() throws Exception {
    KeyPair keys = ClientSigning.ed25519();
    String stringToSign = "1700000000123\nGET\n/api/v3/account\n\n" + EMPTY_SHA256;
    String signature =
        Base64.getEncoder().encodeToString(ClientSigning.ed25519Sign(keys, stringToSign));

    SignedParts parts =
        scheme.read(signed(TestRequest.get("/api/v3/account"), "1700000000123", signature).build());

    assertThat(ClientSigning.ed25519Verifies(keys.getPublic(), parts.payload(), parts.signature()))
        .isTrue();
    assertThat(scheme.supports(Algorithm.ED25519)).isTrue();
    assertThat(scheme.supports(Algorithm.HMAC_SHA256)).isTrue();
  }

  @Test
  void aTamperedQueryNoLongerVerifies() throws Exception {
    String stringToSign = "1700000000123\nGET\n/p\nqty=1\n" + EMPTY_SHA256;
    String signature = ClientSigning.hmacBase64(SECRET, stringToSign);

    SignedParts parts =
        scheme.read(
            signed(TestRequest.get("/p").query("qty=10"), "1700000000123", signature).build());

    assertThat(ClientSigning.hmacVerifies(SECRET, parts.payload(), parts.signature())).isFalse();
  }

  static Stream<Arguments> malformed() {
    String good = Base64.getEncoder().encodeToString(new byte[32]);
    return Stream.of(
        Arguments.of(
            "no access key",
            signed(TestRequest.get("/"), "1", good).without("KW-ACCESS-KEY"),
            "KW-ACCESS-KEY"),
        Arguments.of(
            "no timestamp",
            signed(TestRequest.get("/"), "1", good).without("KW-TIMESTAMP"),
            "KW-TIMESTAMP"),
        Arguments.of(
            "no signature",
            signed(TestRequest.get("/"), "1", good).without("KW-SIGNATURE"),
            "KW-SIGNATURE"),
        Arguments.of(
            "timestamp not digits", signed(TestRequest.get("/"), "17e12", good), "KW-TIMESTAMP"),
        Arguments.of(
            "negative timestamp", signed(TestRequest.get("/"), "-1", good), "KW-TIMESTAMP"),
        Arguments.of(
            "timestamp too long",
            signed(TestRequest.get("/"), "1".repeat(16), good),
            "KW-TIMESTAMP"),
        Arguments.of(
            "signature not base64",
            signed(TestRequest.get("/"), "1", "not*base64"),
            "KW-SIGNATURE"),
        Arguments.of(
            "access key with a space",
            signed(TestRequest.get("/"), "1", good).header("KW-ACCESS-KEY", "KW A"),
            "KW-ACCESS-KEY"),
        Arguments.of(
            "window zero",
            signed(TestRequest.get("/"), "1", good).header("KW-RECV-WINDOW", "0"),
            "KW-RECV-WINDOW"),
        Arguments.of(
            "window above the maximum",
            signed(TestRequest.get("/"), "1", good).header("KW-RECV-WINDOW", "60001"),
            "KW-RECV-WINDOW"),
        Arguments.of(
            "window not digits",
            signed(TestRequest.get("/"), "1", good).header("KW-RECV-WINDOW", "5s"),
            "KW-RECV-WINDOW"),
        Arguments.of(
            "window empty",
            signed(TestRequest.get("/"), "1", good).header("KW-RECV-WINDOW", ""),
            "KW-RECV-WINDOW"),
        Arguments.of("bad escape", signed(TestRequest.get("/").query("a=%zz"), "1", good), "query"),
        Arguments.of(
            "escape cut short", signed(TestRequest.get("/").query("a=%4"), "1", good), "query"),
        Arguments.of(
            "escape not UTF-8",
            signed(TestRequest.get("/").query("a=%E2%82"), "1", good),
            "query"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedRequestsAreRefusedNamingTheFieldNotTheValue(
      String why, TestRequest request, String field) {
    assertThatThrownBy(() -> scheme.read(request.build()))
        .isInstanceOfSatisfying(
            Malformed.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED))
        .hasMessageStartingWith(field)
        .message()
        .doesNotContain("17e12", "not*base64", "60001", "%zz", "KW A");
  }

  @Test
  void hostileQueriesCostBoundedWork() {
    String good = Base64.getEncoder().encodeToString(new byte[32]);
    String manyPairs = "a=1&".repeat(10_000);
    String oneMegabyte = "a=" + "x".repeat(1 << 20);
    String ampersands = "&".repeat(1 << 20);
    String pairsWithoutEquals = "a&".repeat(999) + "b".repeat(1 << 20) + "=1";
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () -> {
          assertThatThrownBy(
                  () ->
                      scheme.read(signed(TestRequest.get("/").query(manyPairs), "1", good).build()))
              .isInstanceOf(Malformed.class)
              .hasMessage("query: at most 1000 parameters");
          assertThat(
                  scheme
                      .read(signed(TestRequest.get("/").query(oneMegabyte), "1", good).build())
                      .payload()
                      .length)
              .isGreaterThan(1 << 20);
          assertThat(
                  new String(
                      scheme
                          .read(signed(TestRequest.get("/").query(ampersands), "1", good).build())
                          .payload(),
                      StandardCharsets.UTF_8))
              .isEqualTo("1\nGET\n/\n\n" + EMPTY_SHA256);
          assertThat(
                  new String(
                      scheme
                          .read(
                              signed(TestRequest.get("/").query(pairsWithoutEquals), "1", good)
                                  .build())
                          .payload(),
                      StandardCharsets.UTF_8))
              .startsWith("1\nGET\n/\na=&a=&")
              .contains("&" + "b".repeat(1 << 20) + "=1\n");
        });
  }

  @ParameterizedTest
  @EnumSource(Reason.class)
  void everyRefusalIsKeywardsJsonWithTheReasonsLabelAndStatus(Reason reason) throws Exception {
    Reply reply = scheme.refusal(reason);

    JsonNode body = new ObjectMapper().readTree(reply.body());
    assertThat(reply.status()).isEqualTo(reason.httpStatus());
    assertThat(reply.contentType()).isEqualTo("application/json");
    assertThat(body.get("code").asText()).isEqualTo(reason.label());
    assertThat(body.get("message").asText()).isNotBlank();
    assertThat(body.size()).isEqualTo(2);
  }
}
