package io.keyward.verifier.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.net.InetAddresses;
import io.keyward.verifier.KeywardVerifier;
import io.keyward.verifier.core.Permission;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.RequestView;
import io.keyward.verifier.core.Verdict;
import io.keyward.verifier.scheme.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The in-process facade, as a service that verifies its own requests uses it. */
class KeywardVerifierTest {
  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private final Fixtures.Keys keys = Fixtures.keys();

  private static RequestView signed(String method, String path, String query, String body) {
    String ts = Long.toString(NOW.toEpochMilli());
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String target = path + (query == null ? "" : "?" + query);
    String sign = Fixtures.sign(Fixtures.SECRET, Fixtures.payload(ts, method, target, bytes));
    Map<String, String> headers =
        Map.of("x-alpha-key", Fixtures.ACCESS_KEY, "x-alpha-ts", ts, "x-alpha-sign", sign);
    return new RequestView(
        method,
        "api.example.com",
        path,
        query,
        name -> headers.get(name.toLowerCase(java.util.Locale.ROOT)),
        bytes,
        InetAddresses.forString("192.0.2.1"));
  }

  private static VerifierConfig config(Map<String, String> settings) {
    Map<String, String> values = new java.util.HashMap<>(Map.of("listen.proxyPort", "0"));
    values.put("routes.preset", "test");
    values.putAll(settings);
    return VerifierConfig.from(values);
  }

  @Test
  void acceptsASignedRequestAndRefusesAForgedOneInTheSchemesShape() {
    List<Verdict> told = new ArrayList<>();
    KeywardVerifier verifier =
        KeywardVerifier.create(
            config(Map.of()), keys, CLOCK, Fixtures.CATALOG, (r, v, e) -> told.add(v));

    Verdict ok = verifier.verify(signed("POST", "/api/order", null, "{\"qty\":1}"));
    assertThat(ok).isInstanceOf(Verdict.Accepted.class);
    assertThat(((Verdict.Accepted) ok).key().user()).isEqualTo("alice");
    assertThat(((Verdict.Accepted) ok).needed()).isEqualTo(Permission.TRADE);

    RequestView good = signed("GET", "/api/balance", "asset=ETH", "");
    RequestView tampered =
        new RequestView(
            good.method(),
            good.host(),
            good.rawPath(),
            "asset=BTC",
            good.headers(),
            good.body(),
            good.clientAddress());
    Verdict forged = verifier.verify(tampered);
    assertThat(forged).isInstanceOf(Verdict.Refused.class);
    Reply reply = verifier.reply((Verdict.Refused) forged);
    assertThat(reply.status()).isEqualTo(401);
    assertThat(reply.contentType()).isEqualTo(TestScheme.CONTENT_TYPE);
    assertThat(reply.body()).isEqualTo("{\"scheme\":\"alpha\",\"error\":\"BadSignature\"}");
    assertThat(told).hasSize(2);
    assertThat(verifier.replayEntries()).isEqualTo(1);
  }

  @Test
  void theConfiguredTableComesBeforeThePreset() {
    KeywardVerifier verifier =
        KeywardVerifier.create(
            config(
                Map.of("routes.table", "[{method: POST, path: /api/order, permission: withdraw}]")),
            keys,
            CLOCK,
            Fixtures.CATALOG);
    Verdict v = verifier.verify(signed("POST", "/api/order", null, ""));
    assertThat(v).isInstanceOf(Verdict.Refused.class);
    assertThat(((Verdict.Refused) v).reason()).isEqualTo(Reason.PERMISSION_DENIED);
  }

  @Test
  void aFrontEndsOwnRefusalIsToldLikeAnyVerdict() {
    List<Verdict> told = new ArrayList<>();
    KeywardVerifier verifier =
        KeywardVerifier.create(
            config(Map.of()), keys, CLOCK, Fixtures.CATALOG, (r, v, e) -> told.add(v));
    Verdict.Refused tooLarge =
        verifier.refuse(signed("POST", "/api/order", null, ""), null, Reason.BODY_TOO_LARGE);
    assertThat(tooLarge.scheme()).isEqualTo("alpha");
    assertThat(verifier.reply(tooLarge).status()).isEqualTo(413);
    assertThat(told).containsExactly(tooLarge);
  }

  @Test
  void pinnedSchemesResolveAtCreation() {
    KeywardVerifier verifier =
        KeywardVerifier.create(
            config(Map.of("proxy.scheme", "beta")), keys, CLOCK, Fixtures.CATALOG);
    assertThat(verifier.proxyScheme().name()).isEqualTo("beta");
    assertThat(verifier.extAuthzScheme()).isNull();
    assertThatThrownBy(
            () ->
                KeywardVerifier.create(
                    config(Map.of("extAuthz.scheme", "gamma")), keys, CLOCK, Fixtures.CATALOG))
        .hasMessage(
            "configuration extAuthz.scheme (KEYWARD_VERIFIER_EXT_AUTHZ_SCHEME): no scheme is named"
                + " so; known: alpha, beta");
  }

  @Test
  void notReadyRefusesEverythingAsUnavailable() {
    keys.ready = false;
    KeywardVerifier verifier =
        KeywardVerifier.create(config(Map.of()), keys, CLOCK, Fixtures.CATALOG);
    assertThat(verifier.ready()).isFalse();
    Verdict v = verifier.verify(signed("GET", "/api/x", null, ""));
    assertThat(((Verdict.Refused) v).reason()).isEqualTo(Reason.UNAVAILABLE);
  }
}
