package io.keyward.operator.it;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.keyward.operator.audit.AuditLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The operator log of the *IT run, as the operator writes it: one JSON object per line
 * (LogLineEncoder). An audit consumer's view of it: the records of the logger {@code
 * keyward.audit}, their facts as fields.
 */
final class OperatorLog {
  private static final ObjectReader STRICT =
      new ObjectMapper()
          .readerFor(JsonNode.class)
          .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private OperatorLog() {}

  static Path path() {
    return Path.of(System.getProperty("keyward.log.file", "target/it-operator.log"));
  }

  /**
   * The complete lines of the log now, each without its {@code \n}: a last line the operator is
   * still writing is left out.
   */
  static List<String> lines() {
    String text;
    try {
      text = Files.readString(path(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
    lines.remove(lines.size() - 1); // after the last \n: empty, or a line not finished yet
    return lines;
  }

  /** The line as one JSON object, and nothing after it; else an exception that says why. */
  static JsonNode parse(String line) {
    JsonNode node;
    try {
      node = STRICT.readTree(line);
    } catch (IOException e) {
      throw new IllegalArgumentException("not one JSON object: " + line, e);
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("not a JSON object: " + line);
    }
    return node;
  }

  /** Every record of the log, in order; fails on a line that is not one JSON object. */
  static List<JsonNode> records() {
    return lines().stream().map(OperatorLog::parse).toList();
  }

  /** The audit records: those of the logger keyward.audit. */
  static List<JsonNode> audit() {
    return records().stream().filter(OperatorLog::isAudit).toList();
  }

  static boolean isAudit(JsonNode record) {
    return AuditLog.LOGGER.equals(record.path("logger").asText());
  }

  /**
   * A record as a reader sees it: each field as {@code name=value} on a line, strings unescaped
   * (nested fields as {@code name.inner=value}). What a leak search reads: a value escaped in the
   * JSON text is found as itself.
   */
  static String text(JsonNode record) {
    StringBuilder b = new StringBuilder();
    text(b, "", record);
    return b.toString();
  }

  private static void text(StringBuilder b, String path, JsonNode node) {
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> f : node.properties()) {
        text(b, path.isEmpty() ? f.getKey() : path + "." + f.getKey(), f.getValue());
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        text(b, path + "[" + i + "]", node.get(i));
      }
    } else {
      b.append(path).append('=').append(node.asText()).append('\n');
    }
  }
}
