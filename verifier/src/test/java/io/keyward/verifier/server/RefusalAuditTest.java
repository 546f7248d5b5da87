package io.keyward.verifier.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.status.Status;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.net.InetAddresses;
import io.keyward.logging.LogLineEncoder;
import io.keyward.verifier.core.Permission;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.RequestView;
import io.keyward.verifier.core.Verdict;
import java.io.ByteArrayOutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RefusalAuditTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private RefusalAudit audit;

  /** The verifier's logback.xml in a context of its own, its STDOUT encoder writing to memory. */
  @BeforeEach
  void logger() throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    URL config = getClass().getClassLoader().getResource("logback.xml");
    assertThat(config.getPath()).doesNotContain("test-classes");
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(config);
    assertThat(
            context.getStatusManager().getCopyOfStatusList().stream()
                .filter(s -> s.getLevel() >= Status.WARN)
                .toList())
        .isEmpty();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    @SuppressWarnings("unchecked")
    OutputStreamAppender<ILoggingEvent> stdout =
        (OutputStreamAppender<ILoggingEvent>) root.getAppender("STDOUT");
    assertThat(stdout.getEncoder()).isInstanceOf(LogLineEncoder.class);
    root.detachAppender(stdout);
    OutputStreamAppender<ILoggingEvent> memory = new OutputStreamAppender<>();
    memory.setContext(context);
    memory.setEncoder(stdout.getEncoder());
    memory.setOutputStream(out);
    memory.start();
    root.addAppender(memory);
    audit = new RefusalAudit(context.getLogger(RefusalAudit.LOGGER));
  }

  private static RequestView request(String path) {
    return new RequestView(
        "POST",
        "api.example.com",
        path,
        "signature=deadbeef&timestamp=1",
        name -> "secret-header-value",
        "{\"passphrase\":\"hunter2\"}".getBytes(StandardCharsets.UTF_8),
        InetAddresses.forString("2001:db8:0:0:0:0:0:7"));
  }

  @Test
  void oneLinePerRefusalWithItsFacts() throws Exception {
    var key = Fixtures.key(Fixtures.ACCESS_KEY, Set.of(Permission.READ), List.of());
    audit.verdict(
        request("/api/order"),
        new Verdict.Refused("alpha", Reason.PERMISSION_DENIED, Fixtures.ACCESS_KEY, key),
        1);
    audit.verdict(request("/api/order"), new Verdict.Accepted("alpha", key, Permission.READ), 1);

    List<String> lines = out.toString(StandardCharsets.US_ASCII).lines().toList();
    assertThat(lines).hasSize(1);
    JsonNode line = new ObjectMapper().readTree(lines.get(0));
    assertThat(line.get("logger").asText()).isEqualTo("keyward.audit");
    assertThat(line.get("audit").asText()).isEqualTo("keyward");
    assertThat(line.get("action").asText()).isEqualTo("REQUEST_REFUSED");
    assertThat(line.get("reason").asText()).isEqualTo("PermissionDenied");
    assertThat(line.get("scheme").asText()).isEqualTo("alpha");
    assertThat(line.get("accessKey").asText()).isEqualTo(Fixtures.ACCESS_KEY);
    assertThat(line.get("key").asText()).isEqualTo("trading/bot");
    assertThat(line.get("user").asText()).isEqualTo("alice");
    assertThat(line.get("clientIp").asText()).isEqualTo("2001:db8::7");
    assertThat(line.get("method").asText()).isEqualTo("POST");
    assertThat(line.get("path").asText()).isEqualTo("/api/order");
    assertThat(lines.get(0))
        .doesNotContain("deadbeef")
        .doesNotContain("secret-header-value")
        .doesNotContain("hunter2")
        .doesNotContain(Fixtures.SECRET);
  }

  @Test
  void aForgedNewlineInTheAccessKeyStaysInsideOneLine() throws Exception {
    String forged =
        "AK\n{\"logger\":\"keyward.audit\",\"action\":\"REQUEST_ACCEPTED\"}\u2028"
            + "x".repeat(200);
    audit.verdict(
        request("/api/a\r\nb" + "y".repeat(400)),
        new Verdict.Refused(null, Reason.UNKNOWN_KEY, forged, null),
        1);

    String written = out.toString(StandardCharsets.US_ASCII);
    assertThat(written.lines().toList()).hasSize(1);
    assertThat(written.indexOf('\n')).isEqualTo(written.length() - 1);
    JsonNode line = new ObjectMapper().readTree(written);
    assertThat(line.get("action").asText()).isEqualTo("REQUEST_REFUSED");
    assertThat(line.get("scheme").asText()).isEqualTo("none");
    assertThat(line.get("accessKey").asText()).hasSize(64).startsWith("AK\n{");
    assertThat(line.get("path").asText()).hasSize(256).startsWith("/api/a\r\nb");
    assertThat(line.has("key")).isFalse();
    assertThat(line.has("user")).isFalse();
  }

  @Test
  void anUnknownClientAddressIsSaidSo() throws Exception {
    audit.verdict(
        new RequestView("GET", "h", "/x", null, n -> null, new byte[0], null),
        new Verdict.Refused("beta", Reason.IP_NOT_ALLOWED, null, null),
        1);
    JsonNode line = new ObjectMapper().readTree(out.toString(StandardCharsets.US_ASCII));
    assertThat(line.get("clientIp").asText()).isEqualTo("unknown");
    assertThat(line.has("accessKey")).isFalse();
  }
}
