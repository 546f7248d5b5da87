package io.keyward.verifier.scheme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.RequestView;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SchemesTest {
  private final Schemes schemes = Schemes.standard(SchemeSettings.defaults());

  static Stream<Arguments> requestsOfEachScheme() {
    return Stream.of(
        Arguments.of("keyward", TestRequest.get("/api").header("KW-ACCESS-KEY", "KWA")),
        Arguments.of("binance", TestRequest.get("/api/v3/order").header("X-MBX-APIKEY", "k")),
        Arguments.of(
            "okx", TestRequest.get("/api/v5/account/balance").header("OK-ACCESS-KEY", "k")),
        Arguments.of("bybit", TestRequest.get("/v5/order/realtime").header("X-BAPI-API-KEY", "k")),
        Arguments.of("htx", TestRequest.get("/v1/order/orders").query("AccessKeyId=k&Timestamp=t")),
        Arguments.of("htx", TestRequest.get("/v1/order/orders").query("order-id=1&AccessKeyId=k")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requestsOfEachScheme")
  void eachSchemesRequestIsDetectedAsThatSchemeAndNoOther(String name, TestRequest request) {
    RequestView view = request.build();

    assertThat(schemes.detect(view).name()).isEqualTo(name);
    assertThat(schemes.all().stream().filter(s -> s.claims(view)).map(Scheme::name))
        .containsExactly(name);
  }

  @Test
  void aRequestNoSchemeClaimsIsDetectedAsNone() {
    assertThat(schemes.detect(TestRequest.get("/").query("accesskeyid=k&XAccessKeyId=k").build()))
        .isNull();
    assertThat(schemes.detect(TestRequest.get("/").header("Authorization", "Bearer x").build()))
        .isNull();
  }

  @Test
  void aRequestTwoSchemesClaimIsDetectedAsNoneNotAsTheFirst() {
    RequestView both =
        TestRequest.get("/api/v3/order").header("X-MBX-APIKEY", "k").query("AccessKeyId=k").build();

    assertThat(schemes.detect(both)).isNull();
  }

  @Test
  void headerNamesAreMatchedInAnyCase() {
    assertThat(schemes.detect(TestRequest.get("/").header("x-mbx-apikey", "k").build()).name())
        .isEqualTo("binance");
  }

  @Test
  void aListenerPinnedToASchemeGetsItByName() {
    assertThat(schemes.all().stream().map(Scheme::name))
        .containsExactly("keyward", "binance", "okx", "bybit", "htx");
    for (Scheme scheme : schemes.all()) {
      assertThat(schemes.named(scheme.name())).isSameAs(scheme);
    }
    assertThatThrownBy(() -> schemes.named("kraken"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("scheme: unknown name; known: keyward, binance, okx, bybit, htx");
  }

  @Test
  void everySchemeAnswersEveryReason() {
    for (Scheme scheme : schemes.all()) {
      for (Reason reason : Reason.values()) {
        Reply reply = scheme.refusal(reason);
        assertThat(reply.status()).as(scheme.name() + " " + reason).isBetween(400, 599);
        assertThat(reply.contentType()).isEqualTo("application/json");
        assertThat(reply.body()).startsWith("{").endsWith("}");
      }
    }
  }

  @Test
  void settingsDefaultToTheExchangesValuesAndRefuseNonsenseNamingTheSetting() {
    SchemeSettings defaults = SchemeSettings.defaults();
    assertThat(defaults.defaultRecvWindowMillis()).isEqualTo(5_000);
    assertThat(defaults.maxRecvWindowMillis()).isEqualTo(60_000);
    assertThat(defaults.htxSigningHost()).isNull();
    assertThat(defaults.htxWindowMillis()).isEqualTo(300_000);
    assertThat(new SchemeSettings(5_000, 60_000, "API.Huobi.pro", 300_000).htxSigningHost())
        .isEqualTo("api.huobi.pro");

    assertThatThrownBy(() -> new SchemeSettings(0, 60_000, null, 300_000))
        .hasMessageStartingWith("defaultRecvWindowMillis");
    assertThatThrownBy(() -> new SchemeSettings(5_000, 4_000, null, 300_000))
        .hasMessageStartingWith("maxRecvWindowMillis");
    assertThatThrownBy(() -> new SchemeSettings(5_000, 60_000, null, 0))
        .hasMessageStartingWith("htxWindowMillis");
    assertThatThrownBy(() -> new SchemeSettings(5_000, 60_000, "https://api.huobi.pro", 300_000))
        .hasMessageStartingWith("htxSigningHost");
  }
}
