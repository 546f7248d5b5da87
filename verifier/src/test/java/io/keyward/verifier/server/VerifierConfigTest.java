package io.keyward.verifier.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyward.verifier.core.Permission;
import io.keyward.verifier.routes.Route;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifierConfigTest {
  @TempDir Path dir;

  private static final Map<String, String> UPSTREAM =
      Map.of("proxy.upstream", "http://trading-api:8080");

  @Test
  void defaults() {
    VerifierConfig c = VerifierConfig.from(UPSTREAM);
    assertThat(c.proxyPort()).isEqualTo(8080);
    assertThat(c.extAuthzPort()).isEqualTo(9001);
    assertThat(c.adminPort()).isEqualTo(9090);
    assertThat(c.proxyUpstream()).isEqualTo(URI.create("http://trading-api:8080"));
    assertThat(c.proxyScheme()).isEmpty();
    assertThat(c.proxyMaxBodyBytes()).isEqualTo(1_048_576);
    assertThat(c.proxyConnectTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.proxyResponseTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.proxyIdleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.extAuthzScheme()).isEmpty();
    assertThat(c.routesPreset()).isEqualTo("keyward");
    assertThat(c.routesTable()).isEmpty();
    assertThat(c.trustedProxies()).isEmpty();
    assertThat(c.htxHost()).isEmpty();
    assertThat(c.recvWindowDefaultMillis()).isEqualTo(5000);
    assertThat(c.recvWindowMaxMillis()).isEqualTo(60000);
    assertThat(c.watchNamespaces()).isEmpty();
    assertThat(c.recordLastUse()).isTrue();
    assertThat(c.usageMinInterval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.replayMaxEntries()).isEqualTo(1_000_000);
    assertThat(VerifierConfig.defaults().proxyPort()).isZero();
  }

  @Test
  void theProxyNeedsAnUpstream() {
    assertThatThrownBy(() -> VerifierConfig.from(Map.of()))
        .hasMessageContaining("proxy.upstream (KEYWARD_VERIFIER_PROXY_UPSTREAM)")
        .hasMessageContaining("required when listen.proxyPort is not 0");
    assertThat(VerifierConfig.from(Map.of("listen.proxyPort", "0")).proxyUpstream()).isNull();
  }

  @Test
  void theFileThenTheEnvironment() throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(
        file,
        """
        listen:
          extAuthzPort: 9101
        proxy:
          upstream: https://api.internal:8443/base/
          maxBodyBytes: 2048
          responseTimeout: 2m
        clientAddress:
          trustedProxies: [10.0.0.0/8, "fd00::/8"]
        routes:
          preset: ""
          table:
            - {method: GET, path: /api/v3/account, permission: read}
            - method: post
              path: /api/v3/order
              permission: trade
        watchNamespaces: [team-a, team-b]
        """);
    VerifierConfig c =
        VerifierConfig.load(
            Map.of(
                "KEYWARD_VERIFIER_CONFIG_FILE",
                file.toString(),
                "KEYWARD_VERIFIER_LISTEN_EXT_AUTHZ_PORT",
                "9201",
                "KEYWARD_VERIFIER_SCHEMES_RECV_WINDOW_DEFAULT",
                "3000"));
    assertThat(c.extAuthzPort()).isEqualTo(9201);
    assertThat(c.proxyUpstream()).isEqualTo(URI.create("https://api.internal:8443/base"));
    assertThat(c.proxyMaxBodyBytes()).isEqualTo(2048);
    assertThat(c.proxyResponseTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.trustedProxies()).hasSize(2);
    assertThat(c.routesPreset()).isEmpty();
    assertThat(c.routesTable())
        .containsExactly(
            new Route("GET", "/api/v3/account", Permission.READ),
            new Route("POST", "/api/v3/order", Permission.TRADE));
    assertThat(c.watchNamespaces()).isEqualTo(Set.of("team-a", "team-b"));
    assertThat(c.recvWindowDefaultMillis()).isEqualTo(3000);
  }

  @Test
  void theRouteTableFromTheEnvironmentIsYaml() {
    VerifierConfig c =
        VerifierConfig.load(
            Map.of(
                "KEYWARD_VERIFIER_CONFIG_FILE_IS_NOT_SET", "",
                "KEYWARD_VERIFIER_LISTEN_PROXY_PORT", "0",
                "KEYWARD_VERIFIER_ROUTES_TABLE",
                    "[{method: '*', path: /sapi/v1/capital/withdraw/**, permission: withdraw}]"));
    assertThat(c.routesTable())
        .containsExactly(new Route("*", "/sapi/v1/capital/withdraw/**", Permission.WITHDRAW));
    assertThat(c.with(Map.of()).routesTable()).isEqualTo(c.routesTable());
  }

  @Test
  void aMissingNamedFileIsAnError() {
    assertThatThrownBy(
            () ->
                VerifierConfig.load(
                    Map.of("KEYWARD_VERIFIER_CONFIG_FILE", dir.resolve("nope.yaml").toString())))
        .hasMessageContaining("KEYWARD_VERIFIER_CONFIG_FILE names no file");
  }

  @Test
  void anUnknownSettingIsAnError() throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, "proxy:\n  upstreem: http://x\n");
    assertThatThrownBy(
            () -> VerifierConfig.load(Map.of("KEYWARD_VERIFIER_CONFIG_FILE", file.toString())))
        .hasMessageContaining("unknown configuration setting proxy.upstreem")
        .hasMessageContaining("proxy.upstream");
  }

  @Test
  void badValuesNameTheSettingAndTheRule() {
    assertBad(
        "listen.adminPort",
        "70000",
        "listen.adminPort (KEYWARD_VERIFIER_LISTEN_ADMIN_PORT)",
        "0 to 65535");
    assertBad("proxy.upstream", "ftp://x", "proxy.upstream", "http:// or https://");
    assertBad("proxy.upstream", "http://u:p@x", "proxy.upstream", "without user information");
    assertBad("proxy.upstream", "http://x/?a=1", "proxy.upstream", "no query");
    assertBad("proxy.maxBodyBytes", "0", "proxy.maxBodyBytes", "1 to 67108864");
    assertBad("proxy.maxBodyBytes", "1MB", "proxy.maxBodyBytes", "whole number");
    assertBad("proxy.connectTimeout", "5", "proxy.connectTimeout", "duration such as 5s");
    assertBad("proxy.idleTimeout", "0s", "proxy.idleTimeout", "longer than 0s");
    assertBad("proxy.scheme", "Binance!", "proxy.scheme", "lower-case letters");
    assertBad(
        "clientAddress.trustedProxies",
        "10.0.0.0/8,10.0.0.1/8",
        "clientAddress.trustedProxies (KEYWARD_VERIFIER_CLIENT_ADDRESS_TRUSTED_PROXIES)",
        "entry 2: the address has bits set past the prefix");
    assertBad("schemes.recvWindow.max", "60001", "schemes.recvWindow.max", "1 to 60000");
    assertBad("schemes.htx.host", "api.huobi.pro/x", "schemes.htx.host", "host name");
    assertBad("watchNamespaces", "Team_A", "watchNamespaces", "DNS label");
    assertBad("usage.recordLastUse", "yes", "usage.recordLastUse", "true or false");
    assertBad("replay.maxEntries", "0", "replay.maxEntries", "1 to 100000000");
    assertBad("routes.table", "{method: GET}", "routes.table", "YAML list");
    assertBad(
        "routes.table",
        "[{method: GET, path: /a, permission: admin}]",
        "routes.table",
        "entry 1: routes[].permission: read, trade or withdraw");
    assertBad(
        "routes.table",
        "[{method: GET, path: a, permission: read}]",
        "routes.table",
        "entry 1: routes[].path: required, starting with /");
    assertBad(
        "routes.table",
        "[{method: GET, path: /a, permission: read, note: x}]",
        "routes.table",
        "only method, path and permission");
  }

  @Test
  void settingsThatMustAgree() {
    assertThatThrownBy(
            () ->
                VerifierConfig.from(Map.of("listen.proxyPort", "0", "listen.extAuthzPort", "9090")))
        .hasMessageContaining("must differ");
    assertThatThrownBy(
            () ->
                VerifierConfig.from(
                    Map.of(
                        "listen.proxyPort", "0",
                        "schemes.recvWindow.default", "10000",
                        "schemes.recvWindow.max", "5000")))
        .hasMessageContaining("schemes.recvWindow.default must not exceed schemes.recvWindow.max");
    assertThatThrownBy(
            () -> VerifierConfig.from(Map.of("listen.proxyPort", "0", "routes.preset", "")))
        .hasMessageContaining("routes.preset and routes.table: both empty");
  }

  @Test
  void docsListEveryOption() {
    String docs = VerifierConfig.docs();
    for (VerifierOption<?> o : VerifierConfig.OPTIONS) {
      assertThat(docs).contains("`" + o.path() + "`").contains("`" + o.envName() + "`");
    }
    assertThat(docs)
        .contains("| `proxy.maxBodyBytes` | `KEYWARD_VERIFIER_PROXY_MAX_BODY_BYTES` | `1048576` |");
    assertThat(docs.lines()).hasSize(VerifierConfig.OPTIONS.size() + 2);
  }

  private static void assertBad(String path, String value, String names, String rule) {
    assertThatThrownBy(
            () -> {
              Map<String, String> values = new java.util.HashMap<>(UPSTREAM);
              values.put(path, value);
              VerifierConfig.from(values);
            })
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("configuration " + names)
        .hasMessageContaining(rule);
  }

  @Test
  void listsOfScalarsAreCommaSeparated() {
    assertThat(
            VerifierConfig.from(Map.of("listen.proxyPort", "0", "watchNamespaces", " a , b,,c "))
                .watchNamespaces())
        .containsExactlyInAnyOrder("a", "b", "c");
    assertThat(List.of(VerifierConfig.OPTIONS.get(0).envName()))
        .containsExactly("KEYWARD_VERIFIER_LISTEN_PROXY_PORT");
  }
}
