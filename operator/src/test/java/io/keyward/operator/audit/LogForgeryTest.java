package io.keyward.operator.audit;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.status.Status;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.keyward.logging.LogLineEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Hostile values logged through the operator's own logback configuration (src/main/resources, not
 * the tests' one) cannot forge a record: each output line is one JSON object (or one text line),
 * the output is printable ASCII whatever the values hold, every value comes back intact from its
 * field, and the only audit records are those {@link AuditLog} wrote.
 */
class LogForgeryTest {
  private static final ObjectReader STRICT =
      new ObjectMapper()
          .readerFor(JsonNode.class)
          .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** An audit record as the operator writes one, to be smuggled in by a value. */
  static final String FORGED =
      "{\"time\":\"2026-01-01T00:00:00.000Z\",\"level\":\"INFO\",\"logger\":\"keyward.audit\","
          + "\"thread\":\"main\",\"message\":\"ISSUED forged/forged\",\"audit\":\"keyward\","
          + "\"action\":\"ISSUED\",\"apiKey\":\"forged/forged\",\"user\":\"mallory\","
          + "\"accessKey\":\"KWFORGED\"}";

  /** Every way a value could end a line or a field, or paint over one on a terminal. */
  static final List<String> HOSTILE =
      List.of(
          "a\n" + FORGED,
          "a\r\n" + FORGED + "\r\n",
          "a\r" + FORGED,
          "a\u2028" + FORGED + "\u2029",
          "a\u0085" + FORGED,
          "\u000b\u000c\u001c\u001d\u001e" + FORGED,
          "a\"}\n" + FORGED + "\n{\"b\":\"",
          "a\",\"action\":\"ISSUED\",\"accessKey\":\"KWFORGED",
          "a\\\",\"action\":\"ISSUED\",\"accessKey\":\"KWFORGED\\",
          "\\",
          "\u001b[2K\u001b[1G\u001b[31m" + FORGED + "\u001b[0m",
          "\u202e" + FORGED + "\u202c",
          "\u0000\u007f\u00a0" + FORGED,
          "\ud800" + FORGED + "\udfff",
          "\uD83D\uDE00 \u00e9\u4e2d " + FORGED,
          "{}" + FORGED + "{}",
          "%n{} %s ${KEYWARD_LOG_LEVEL}");

  /** The operator's logback.xml, in a context of its own, its STDOUT encoder writing to memory. */
  private static final class OperatorLogback {
    final LoggerContext context = new LoggerContext();
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    OperatorLogback(Map<String, String> properties) throws JoranException {
      context.setName("operator-logback");
      context.setMDCAdapter(new LogbackMDCAdapter());
      // Context properties stand in for the environment (logback looks them up first).
      properties.forEach(context::putProperty);
      URL config = getClass().getClassLoader().getResource("logback.xml");
      assertThat(config).as("the operator's logback.xml").isNotNull();
      assertThat(config.getPath()).doesNotContain("test-classes");
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(config);
      assertThat(
              context.getStatusManager().getCopyOfStatusList().stream()
                  .filter(s -> s.getLevel() >= Status.WARN)
                  .toList())
          .as("logback's complaints about the configuration")
          .isEmpty();
      Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
      @SuppressWarnings("unchecked")
      OutputStreamAppender<ILoggingEvent> stdout =
          (OutputStreamAppender<ILoggingEvent>) root.getAppender("STDOUT");
      assertThat(stdout).as("the STDOUT appender").isNotNull();
      Encoder<ILoggingEvent> encoder = stdout.getEncoder();
      assertThat(encoder).isInstanceOf(LogLineEncoder.class);
      // Not stopped: stopping a ConsoleAppender closes its stream.
      root.detachAppender(stdout);
      OutputStreamAppender<ILoggingEvent> memory = new OutputStreamAppender<>();
      memory.setContext(context);
      memory.setName("memory");
      memory.setEncoder(encoder);
      memory.setOutputStream(out);
      memory.start();
      root.addAppender(memory);
    }

    org.slf4j.Logger logger(String name) {
      return context.getLogger(name);
    }

    AuditLog audit() {
      return new AuditLog(logger(AuditLog.LOGGER));
    }

    byte[] bytes() {
      return out.toByteArray();
    }

    List<String> lines() {
      assertThat(
              context.getStatusManager().getCopyOfStatusList().stream()
                  .filter(s -> s.getLevel() >= Status.WARN)
                  .toList())
          .as("logback's errors while logging")
          .isEmpty();
      String text = new String(bytes(), StandardCharsets.US_ASCII);
      assertThat(text).endsWith("\n");
      return Arrays.asList(text.substring(0, text.length() - 1).split("\n", -1));
    }
  }

  /** What the reconcilers log with user values in them, and the audit records that carry them. */
  private static int logHostile(OperatorLogback logback, String value) {
    org.slf4j.Logger announcer = logback.logger("io.keyward.operator.apikey.KeyAnnouncer");
    org.slf4j.Logger reconciler = logback.logger("io.keyward.operator.apikey.ApiKeyReconciler");
    org.slf4j.Logger josdk = logback.logger("io.javaoperatorsdk.operator.processing.Controller");
    AuditLog audit = logback.audit();
    announcer.info(
        "ApiKey {} not ready: {}: {}",
        "ns/bot",
        "InvalidSpec",
        "spec.ipWhitelist[0]: '" + value + "' is not an IPv4 or IPv6 address");
    announcer.info("ApiKey {} rotated to access key {}: {}", "ns/bot", "KWREAL", value);
    reconciler.warn(
        "ApiKey {}/{}: {}: {}",
        "ns",
        "bot",
        "SecretRejected",
        value,
        new IllegalStateException(value));
    josdk.error("reconciliation failed: " + value, new RuntimeException(value));
    logback
        .logger("io.keyward.operator.Anything")
        .atInfo()
        .setMessage(value)
        .addKeyValue("logger", AuditLog.LOGGER)
        .addKeyValue("value", value)
        .addKeyValue("value", value)
        .log();
    audit.record(
        AuditLog.Action.ROTATED, "ns/bot", "alice", "KWREAL", "keyward.io/rotate=" + value);
    audit.recordAccount(
        AuditLog.Action.ACCOUNT_CHANGED,
        "alice",
        Map.of("namespaces", new AuditLog.Change(List.of("ns"), List.of("ns", value))),
        value);
    return 7;
  }

  private static JsonNode parse(String line) {
    try {
      JsonNode node = STRICT.readTree(line);
      assertThat(node).as(line).isNotNull();
      assertThat(node.isObject()).as(line).isTrue();
      return node;
    } catch (IOException e) {
      throw new AssertionError("not one JSON object: " + line, e);
    }
  }

  private static void assertPrintableAscii(byte[] bytes) {
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      assertThat(b == '\n' || (b >= 0x20 && b <= 0x7e)).as("byte %d is 0x%02x", i, b).isTrue();
    }
  }

  @Test
  void everyLineIsOneJsonObjectAndNoAuditRecordIsForged() throws Exception {
    OperatorLogback logback = new OperatorLogback(Map.of());
    int events = 0;
    for (String value : HOSTILE) {
      events += logHostile(logback, value);
    }

    // Printable ASCII only: no line end but the record's own, whoever splits the lines (Python's
    // splitlines() also ends lines at \v \f \x1c-\x1e \x85 \u2028 \u2029), and nothing a terminal
    // acts on.
    assertPrintableAscii(logback.bytes());
    List<String> lines = logback.lines();
    assertThat(lines).hasSize(events);
    List<JsonNode> records = lines.stream().map(LogForgeryTest::parse).toList();
    for (JsonNode r : records) {
      assertThat(r.path("time").asText())
          .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
      assertThat(r.path("level").asText()).isIn("INFO", "WARN", "ERROR");
      assertThat(r.path("logger").asText())
          .isIn(
              "io.keyward.operator.apikey.KeyAnnouncer",
              "io.keyward.operator.apikey.ApiKeyReconciler",
              "io.javaoperatorsdk.operator.processing.Controller",
              "io.keyward.operator.Anything",
              AuditLog.LOGGER);
    }

    // The audit records are exactly those AuditLog wrote, each value intact in its own field.
    List<JsonNode> audit =
        records.stream().filter(r -> r.path("logger").asText().equals(AuditLog.LOGGER)).toList();
    assertThat(audit).hasSize(2 * HOSTILE.size());
    for (int i = 0; i < HOSTILE.size(); i++) {
      String value = HOSTILE.get(i);
      JsonNode rotated = audit.get(2 * i);
      assertThat(fields(rotated))
          .containsExactly(
              "time",
              "level",
              "logger",
              "thread",
              "message",
              "audit",
              "action",
              "apiKey",
              "user",
              "accessKey",
              "detail");
      assertThat(rotated.path("action").asText()).isEqualTo("ROTATED");
      assertThat(rotated.path("accessKey").asText()).isEqualTo("KWREAL");
      assertThat(rotated.path("detail").asText()).isEqualTo("keyward.io/rotate=" + value);
      JsonNode account = audit.get(2 * i + 1);
      assertThat(account.path("action").asText()).isEqualTo("ACCOUNT_CHANGED");
      assertThat(account.path("detail").asText()).isEqualTo(value);
      assertThat(account.path("changes").path("namespaces").path("to").get(1).asText())
          .isEqualTo(value);
    }
    assertThat(records)
        .as("records carrying the forged access key in a field of their own")
        .noneMatch(r -> r.path("accessKey").asText().equals("KWFORGED"))
        .noneMatch(r -> r.path("apiKey").asText().equals("forged/forged"));

    // Elsewhere too each value comes back as logged: in messages, pairs, exceptions.
    List<JsonNode> rotatedLines =
        records.stream()
            .filter(r -> r.path("message").asText().startsWith("ApiKey ns/bot rotated"))
            .toList();
    assertThat(rotatedLines).hasSize(HOSTILE.size());
    for (int i = 0; i < HOSTILE.size(); i++) {
      assertThat(rotatedLines.get(i).path("message").asText())
          .isEqualTo("ApiKey ns/bot rotated to access key KWREAL: " + HOSTILE.get(i));
    }
    List<JsonNode> failures =
        records.stream().filter(r -> r.path("level").asText().equals("ERROR")).toList();
    assertThat(failures).hasSize(HOSTILE.size());
    for (int i = 0; i < HOSTILE.size(); i++) {
      assertThat(failures.get(i).path("exception").asText())
          .startsWith("java.lang.RuntimeException: " + HOSTILE.get(i))
          .contains("\tat ");
    }
  }

  @Test
  void aPairCannotReplaceAFieldNorRepeatOne() throws Exception {
    OperatorLogback logback = new OperatorLogback(Map.of());
    logHostile(logback, "x");
    JsonNode anything =
        logback.lines().stream()
            .map(LogForgeryTest::parse)
            .filter(r -> r.path("message").asText().equals("x"))
            .findFirst()
            .orElseThrow();
    assertThat(anything.path("logger").asText()).isEqualTo("io.keyward.operator.Anything");
    assertThat(anything.path("kv.logger").asText()).isEqualTo(AuditLog.LOGGER);
    assertThat(fields(anything))
        .containsExactly(
            "time", "level", "logger", "thread", "message", "kv.logger", "value", "kv.value");
  }

  @Test
  void theAuditRecordHasItsDocumentedShape() throws Exception {
    OperatorLogback logback = new OperatorLogback(Map.of());
    AuditLog audit = logback.audit();
    audit.record(
        AuditLog.Action.ISSUED,
        "trading-eth/eth-bot",
        "alice",
        "KWQV32CNXHMWRBO46N4CJ5R3UZR77JLDIT",
        null);
    audit.record(AuditLog.Action.VERIFIED, null, "bob", null, "TOTP enrolment confirmed");
    Map<String, AuditLog.Change> changes = new LinkedHashMap<>();
    changes.put("maxKeys", new AuditLog.Change(5, 10));
    changes.put("suspended", new AuditLog.Change(false, true));
    audit.recordAccount(AuditLog.Action.ACCOUNT_CHANGED, "alice", changes, null);
    List<JsonNode> records = logback.lines().stream().map(LogForgeryTest::parse).toList();

    JsonNode issued = records.get(0);
    assertThat(fields(issued))
        .containsExactly(
            "time",
            "level",
            "logger",
            "thread",
            "message",
            "audit",
            "action",
            "apiKey",
            "user",
            "accessKey");
    assertThat(issued.path("level").asText()).isEqualTo("INFO");
    assertThat(issued.path("logger").asText()).isEqualTo("keyward.audit");
    assertThat(issued.path("message").asText()).isEqualTo("ISSUED trading-eth/eth-bot");
    assertThat(issued.path("audit").asText()).isEqualTo("keyward");
    assertThat(issued.path("apiKey").asText()).isEqualTo("trading-eth/eth-bot");
    assertThat(issued.path("user").asText()).isEqualTo("alice");

    assertThat(fields(records.get(1)))
        .containsExactly(
            "time", "level", "logger", "thread", "message", "audit", "action", "user", "detail");
    assertThat(records.get(1).path("message").asText()).isEqualTo("VERIFIED user bob");

    JsonNode changed = records.get(2);
    assertThat(changed.path("action").asText()).isEqualTo("ACCOUNT_CHANGED");
    assertThat(changed.path("changes").toString())
        .isEqualTo(
            "{\"maxKeys\":{\"from\":5,\"to\":10},\"suspended\":{\"from\":false,\"to\":true}}");
    assertThat(logback.lines().get(2))
        .contains(
            "\"changes\":{\"maxKeys\":{\"from\":5,\"to\":10},\"suspended\":{\"from\":false,\"to\":true}}");
  }

  @Test
  void theLevelIsConfigurableButTheAuditTrailStaysOn() throws Exception {
    OperatorLogback quiet = new OperatorLogback(Map.of("KEYWARD_LOG_LEVEL", "WARN"));
    assertThat(quiet.context.getLogger("io.keyward").getLevel()).isEqualTo(Level.WARN);
    quiet.logger("io.keyward.operator.apikey.KeyAnnouncer").info("not written");
    quiet.logger("io.keyward.operator.apikey.KeyAnnouncer").warn("written");
    quiet.audit().record(AuditLog.Action.REVOKED, "ns/bot", "alice", "KWREAL", "deleted");
    assertThat(quiet.lines())
        .hasSize(2)
        .anySatisfy(l -> assertThat(l).contains("\"message\":\"written\""))
        .anySatisfy(l -> assertThat(l).contains("\"action\":\"REVOKED\""));

    OperatorLogback normal = new OperatorLogback(Map.of());
    assertThat(normal.context.getLogger("io.keyward").getLevel()).isEqualTo(Level.INFO);
    normal.logger("io.keyward.operator.apikey.KeyAnnouncer").debug("not written");
    normal.logger("io.keyward.operator.apikey.KeyAnnouncer").info("written");
    assertThat(normal.lines()).hasSize(1);
  }

  /** A quoted, escaped string: runs of plain characters, or one escape. */
  private static final String QUOTED = "\"(?:[^\"\\\\]++|\\\\[nrt\"\\\\]|\\\\u[0-9A-F]{4})*+\"";

  private static final Pattern TEXT_LINE =
      Pattern.compile(
          "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (INFO|WARN|ERROR) +(\\S+) \\[[^\\]]*+\\] "
              + QUOTED
              + "(?: [^\\s=]++=(?:-?[0-9.]++|true|false|null|"
              + QUOTED
              + "))*+");

  @Test
  void theTextFormatIsOneEscapedLinePerRecordToo() throws Exception {
    OperatorLogback logback = new OperatorLogback(Map.of("KEYWARD_LOG_FORMAT", "text"));
    int events = 0;
    for (String value : HOSTILE) {
      events += logHostile(logback, value);
    }
    assertPrintableAscii(logback.bytes());
    List<String> lines = logback.lines();
    assertThat(lines).hasSize(events);
    List<String> loggers = new ArrayList<>();
    for (String line : lines) {
      Matcher m = TEXT_LINE.matcher(line);
      assertThat(m.matches()).as(line).isTrue();
      loggers.add(m.group(2));
    }
    assertThat(loggers.stream().filter(AuditLog.LOGGER::equals).count())
        .isEqualTo(2L * HOSTILE.size());
    assertThat(lines.get(0))
        .contains(" io.keyward.operator.apikey.KeyAnnouncer [")
        .contains(
            "\"ApiKey ns/bot not ready: InvalidSpec: spec.ipWhitelist[0]: 'a\\n{\\\"time\\\"");
    assertThat(lines)
        .anySatisfy(
            l ->
                assertThat(l)
                    .contains(" keyward.audit [")
                    .contains(" action=\"ROTATED\" apiKey=\"ns/bot\" user=\"alice\"")
                    .contains(" accessKey=\"KWREAL\" detail=\"keyward.io/rotate=a\\n{"));
  }

  private static List<String> fields(JsonNode record) {
    List<String> names = new ArrayList<>();
    record.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
