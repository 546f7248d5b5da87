package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.localcluster.EchoUpstream;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.verifier.VerifierMain;
import io.keyward.verifier.server.VerifierConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The README's bots (examples/bots/: one per scheme, Python's or Node's standard library only), run
 * as they are against the verifier's proxy, with keys the operator issued: each request is accepted
 * and reaches the upstream, and a bot with the wrong secret is refused. The bots sign with the
 * machine's clock, which this class never moves.
 */
@ExtendWith(RealCluster.class)
class BotExamplesIT {
  private static final String NS = "verifier-bots";
  private static final String USER = "botty";
  private static final Path BOTS = Path.of("..", "examples", "bots");

  private static RunningOperator operator;
  private static EchoUpstream upstream;
  private static VerifierMain.Running verifier;

  @BeforeAll
  static void start() throws Exception {
    RealCluster.namespace(NS);
    user(USER, NS);
    // One key per bot, and one more: more than the default five.
    operator = RunningOperator.start(Map.of("limits.keysPerUser", "10"));
    upstream = EchoUpstream.start(0);
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("listen.proxyPort", String.valueOf(freePort()));
    settings.put("listen.extAuthzPort", "0");
    settings.put("listen.adminPort", String.valueOf(freePort()));
    settings.put("proxy.upstream", upstream.url());
    settings.put("routes.preset", "keyward");
    // The exchanges' paths the bots call, in one table before the keyward preset.
    settings.put(
        "routes.table",
        "[{method: POST, path: /api/v3/order, permission: trade},"
            + " {method: GET, path: /api/v5/account/balance, permission: read},"
            + " {method: POST, path: /v5/order/create, permission: trade},"
            + " {method: GET, path: /v1/account/accounts, permission: read}]");
    settings.put("schemes.htx.host", "api.example.com");
    verifier =
        VerifierMain.start(
            VerifierConfig.defaults().with(settings), RealCluster.newClient(), operator.clock());
    org.awaitility.Awaitility.await().atMost(WAIT).until(() -> verifier.verifier().ready());
  }

  @AfterAll
  static void stop() {
    if (verifier != null) {
      verifier.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    if (operator != null) {
      operator.close();
    }
  }

  private static Map<String, String> credentials(String name, Consumer<ApiKeySpec> spec) {
    key(NS, name, USER, spec);
    ApiKey active = awaitKey(NS, name, phase("Active"));
    var data = secret(NS, active.getStatus().secretName).getData();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("ACCESS_KEY", decode(data.get("accessKey")));
    env.put("SECRET_KEY", decode(data.get("secretKey")));
    if (data.containsKey("passphrase")) {
      env.put("PASSPHRASE", decode(data.get("passphrase")));
    }
    env.put("KEYWARD_URL", "http://127.0.0.1:" + verifier.server().proxyPort());
    env.put("SIGNING_HOST", "api.example.com");
    return env;
  }

  private static String decode(String b64) {
    return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
  }

  /** Runs a bot; its exit code and what it printed. */
  private record Run(int exit, String output) {}

  private static Run run(String interpreter, String bot, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(interpreter, BOTS.resolve(bot).toString());
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as(bot + " finishes").isTrue();
    return new Run(
        p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  /** The bot's request may need a moment after issuance to reach the verifier's index. */
  private static Run accepted(String interpreter, String bot, Map<String, String> env) {
    return org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(5))
        .until(() -> run(interpreter, bot, env), r -> r.exit() == 0);
  }

  @Test
  void everyBotsSignedRequestIsAcceptedAndReachesTheUpstream() {
    Run keyward =
        accepted(
            "python3", "keyward_bot.py", credentials("kw", s -> s.permissions = List.of("read")));
    assertThat(keyward.output()).startsWith("200 ").contains("\"x-keyward-user\":\"" + USER + "\"");
    Run binance =
        accepted(
            "python3",
            "binance_bot.py",
            credentials("bn", s -> s.permissions = List.of("read", "trade")));
    assertThat(binance.output()).startsWith("200 ").contains(NS + "/bn");
    Run htx = accepted("python3", "htx_bot.py", credentials("htx", s -> {}));
    assertThat(htx.output()).startsWith("200 ").contains(NS + "/htx");
    Run okx = accepted("node", "okx_bot.js", credentials("okx", s -> s.passphrase = true));
    assertThat(okx.output()).startsWith("200 ").contains(NS + "/okx");
    Run bybit =
        accepted(
            "node",
            "bybit_bot.js",
            credentials("bybit", s -> s.permissions = List.of("read", "trade")));
    assertThat(bybit.output()).startsWith("200 ").contains(NS + "/bybit");
  }

  @Test
  void aBotWithTheWrongSecretIsRefusedInItsSchemesShape() throws Exception {
    Map<String, String> env = credentials("wrong", s -> s.permissions = List.of("read", "trade"));
    accepted("python3", "keyward_bot.py", env);
    env.put("SECRET_KEY", "not-the-secret-key-of-this-access-key");
    Run keyward = run("python3", "keyward_bot.py", env);
    assertThat(keyward.exit()).isEqualTo(1);
    assertThat(keyward.output()).startsWith("401 ").contains("\"code\":\"BadSignature\"");
    Run binance = run("python3", "binance_bot.py", env);
    assertThat(binance.exit()).isEqualTo(1);
    assertThat(binance.output()).contains("\"code\":-1022");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
