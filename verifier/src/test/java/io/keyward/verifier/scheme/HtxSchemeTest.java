package io.keyward.verifier.scheme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.scheme.Scheme.Malformed;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * HTX's documented example ("Signature Method", api.huobi.pro): the request URL and the pre-signed
 * text it shows. Its secret is masked in the docs ({@code b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx}), so
 * the published signature cannot be recomputed; the test signs with the masked secret itself.
 */
class HtxSchemeTest {
  private static final String DOC_URL_QUERY =
      "AccessKeyId=e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx&order-id=1234567890"
          + "&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2017-05-11T15%3A19%3A30";
  private static final String DOC_PRE_SIGNED =
      "GET\napi.huobi.pro\n/v1/order/orders\n"
          + "AccessKeyId=e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx&SignatureMethod=HmacSHA256"
          + "&SignatureVersion=2&Timestamp=2017-05-11T15%3A19%3A30&order-id=1234567890";
  private static final String DOC_SECRET = "b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx";

  private final HtxScheme scheme =
      new HtxScheme(new SchemeSettings(5_000, 60_000, "api.huobi.pro", 300_000));

  private static String signature(String preSigned) {
    return URLEncoder.encode(
        ClientSigning.hmacBase64(DOC_SECRET, preSigned), StandardCharsets.UTF_8);
  }

  @Test
  void theDocumentedRequestYieldsTheDocumentedPreSignedText() throws Exception {
    SignedParts parts =
        scheme.read(
            TestRequest.get("/v1/order/orders")
                .host("gateway.internal:8443")
                .query(DOC_URL_QUERY + "&Signature=" + signature(DOC_PRE_SIGNED))
                .build());

    assertThat(new String(parts.payload(), StandardCharsets.UTF_8)).isEqualTo(DOC_PRE_SIGNED);
    assertThat(ClientSigning.hmacVerifies(DOC_SECRET, parts.payload(), parts.signature())).isTrue();
    assertThat(parts.accessKey()).isEqualTo("e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx");
    assertThat(parts.timestampMillis())
        .isEqualTo(Instant.parse("2017-05-11T15:19:30Z").toEpochMilli());
    assertThat(parts.windowBeforeMillis()).isEqualTo(300_000);
    assertThat(parts.windowAfterMillis()).isEqualTo(300_000);
  }

  @Test
  void theDocumentedSignatureDecodesFromItsUrlEncoding() throws Exception {
    SignedParts parts =
        scheme.read(
            TestRequest.get("/v1/order/orders")
                .query(
                    DOC_URL_QUERY + "&Signature=4F65x5A2bLyMWVQj3Aqp%2BB4w%2BivaA7n5Oi2SuYtCJ9o%3D")
                .build());

    assertThat(parts.signature())
        .isEqualTo(
            java.util.Base64.getDecoder().decode("4F65x5A2bLyMWVQj3Aqp+B4w+ivaA7n5Oi2SuYtCJ9o="));
  }

  @Test
  void withoutAConfiguredHostTheRequestsHostIsSignedLowerCaseWithoutPort() throws Exception {
    HtxScheme fromRequest = new HtxScheme(SchemeSettings.defaults());
    String preSigned =
        "POST\napi.example.com\n/v1/order/orders/place\n"
            + "AccessKeyId=KWQV32CNXHMWRBO46N4CJ5R3UZR77JLDIT&SignatureMethod=HmacSHA256"
            + "&SignatureVersion=2&Timestamp=2024-01-02T03%3A04%3A05";
    String query =
        "Timestamp=2024-01-02T03%3A04%3A05&SignatureVersion=2&SignatureMethod=HmacSHA256"
            + "&AccessKeyId=KWQV32CNXHMWRBO46N4CJ5R3UZR77JLDIT";

    SignedParts parts =
        fromRequest.read(
            TestRequest.post("/v1/order/orders/place")
                .host("API.Example.com:443")
                .query(query + "&Signature=" + signature(preSigned))
                .body("{\"amount\":\"10\"}")
                .build());

    assertThat(new String(parts.payload(), StandardCharsets.UTF_8)).isEqualTo(preSigned);
    assertThat(ClientSigning.hmacVerifies(DOC_SECRET, parts.payload(), parts.signature())).isTrue();
  }

  @Test
  void ed25519IsRefusedAsAnAlgorithmThisSchemeDoesNotCarry() {
    String query = DOC_URL_QUERY.replace("HmacSHA256", "Ed25519") + "&Signature=AAAA";
    assertThatThrownBy(() -> scheme.read(TestRequest.get("/v1/order/orders").query(query).build()))
        .isInstanceOfSatisfying(
            Malformed.class, e -> assertThat(e.reason()).isEqualTo(Reason.ALGORITHM_NOT_SUPPORTED));
  }

  static Stream<Arguments> malformed() {
    String sig = "&Signature=" + signature("x");
    return Stream.of(
        Arguments.of("no signature", DOC_URL_QUERY, "Signature"),
        Arguments.of(
            "no timestamp",
            DOC_URL_QUERY.replace("&Timestamp=2017-05-11T15%3A19%3A30", "") + sig,
            "Timestamp"),
        Arguments.of(
            "no method",
            DOC_URL_QUERY.replace("&SignatureMethod=HmacSHA256", "") + sig,
            "SignatureMethod"),
        Arguments.of(
            "another method",
            DOC_URL_QUERY.replace("HmacSHA256", "HmacSHA1") + sig,
            "SignatureMethod"),
        Arguments.of(
            "version 1",
            DOC_URL_QUERY.replace("SignatureVersion=2", "SignatureVersion=1") + sig,
            "SignatureVersion"),
        Arguments.of(
            "epoch timestamp",
            DOC_URL_QUERY.replace("2017-05-11T15%3A19%3A30", "1494515970") + sig,
            "Timestamp"),
        Arguments.of(
            "timestamp with a zone",
            DOC_URL_QUERY.replace("2017-05-11T15%3A19%3A30", "2017-05-11T15%3A19%3A30Z") + sig,
            "Timestamp"),
        Arguments.of("no such hour", DOC_URL_QUERY.replace("T15%3A", "T25%3A") + sig, "Timestamp"),
        Arguments.of(
            "timestamp twice", DOC_URL_QUERY + "&Timestamp=2017-05-11T15%3A19%3A31" + sig, "query"),
        Arguments.of(
            "access key twice, once encoded",
            DOC_URL_QUERY + "&%41ccessKeyId=other" + sig,
            "query"),
        Arguments.of("any name twice", DOC_URL_QUERY + "&order-id=1" + sig, "query"),
        Arguments.of("signature not base64", DOC_URL_QUERY + "&Signature=%%%", "Signature"),
        Arguments.of("bad escape in a name", DOC_URL_QUERY + "&a%zz=1" + sig, "query"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedRequestsAreRefused(String why, String query, String field) {
    assertThatThrownBy(() -> scheme.read(TestRequest.get("/v1/order/orders").query(query).build()))
        .isInstanceOfSatisfying(
            Malformed.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED))
        .hasMessageStartingWith(field)
        .message()
        .doesNotContain("e2xxxxxx", "1494515970", "HmacSHA1", "other");
  }

  @Test
  void withoutAnyHostTheRequestCannotBeChecked() {
    HtxScheme fromRequest = new HtxScheme(SchemeSettings.defaults());
    assertThatThrownBy(
            () ->
                fromRequest.read(
                    TestRequest.get("/v1/order/orders")
                        .host(null)
                        .query(DOC_URL_QUERY + "&Signature=" + signature("x"))
                        .build()))
        .isInstanceOf(Malformed.class)
        .hasMessageStartingWith("Host");
  }

  @Test
  void refusalsAreInHtxsShape() throws Exception {
    JsonNode body = new ObjectMapper().readTree(scheme.refusal(Reason.BAD_SIGNATURE).body());
    assertThat(body.get("status").asText()).isEqualTo("error");
    assertThat(body.get("err-code").asText()).isEqualTo("api-signature-not-valid");
    assertThat(body.get("err-msg").asText()).isEqualTo("Signature not valid: Verification failure");
    assertThat(body.get("data").isNull()).isTrue();
    assertThat(
            new ObjectMapper()
                .readTree(scheme.refusal(Reason.MALFORMED).body())
                .get("err-code")
                .asText())
        .isEqualTo("invalid-parameter");
  }

  @ParameterizedTest
  @EnumSource(Reason.class)
  void everyReasonHasAnHtxError(Reason reason) throws Exception {
    Reply reply = scheme.refusal(reason);
    JsonNode body = new ObjectMapper().readTree(reply.body());
    assertThat(reply.status()).isBetween(400, 599);
    assertThat(body.get("status").asText()).isEqualTo("error");
    assertThat(body.get("err-code").asText()).isNotBlank();
    assertThat(body.get("err-msg").asText()).isNotBlank();
  }
}
