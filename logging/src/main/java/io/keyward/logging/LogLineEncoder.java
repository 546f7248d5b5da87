package io.keyward.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * Writes every log event as exactly one line of printable ASCII: by default one JSON object (the
 * operator's stdout in the image and the chart), or with {@code format=text} one human-readable
 * line (the {@code bin/run} playground). Whatever a value holds (a note, an annotation value, an IP
 * string, a label key, an exception message), it stays inside its field: control characters, quotes
 * and backslashes are escaped, and so is every character outside printable ASCII, so neither a
 * newline nor U+0085, U+2028, U+2029 (which some readers take for line ends), an ANSI escape or a
 * bidirectional override reaches the output as itself. A line is therefore one record, and a record
 * cannot be forged from inside another.
 *
 * <p>The JSON object: {@code time} (UTC, milliseconds), {@code level}, {@code logger}, {@code
 * thread}, {@code message} (formatted), then the event's SLF4J key-value pairs as fields of their
 * own (the audit records' facts, see the operator's {@code AuditLog} and the verifier's {@code
 * RefusalAudit}), and {@code exception} (the stack trace as one string) when there is one. A pair's
 * key never replaces a field: a key that is taken (one of the fields above, or a repeat) is written
 * as {@code kv.<key>}. Logback's own JsonEncoder is not used: it leaves U+2028/U+2029 and U+0085 as
 * they are, puts the pairs in a list of one-field objects, and adds numeric fields (sequence
 * numbers, nanoseconds) that look like TOTP codes to a leak search.
 */
public class LogLineEncoder extends EncoderBase<ILoggingEvent> {
  /** The fields every JSON line has (exception when there is one). */
  public static final Set<String> FIELDS =
      Set.of("time", "level", "logger", "thread", "message", "exception");

  private static final byte[] NOTHING = new byte[0];
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);
  private static final JsonFactory JSON =
      new JsonFactoryBuilder()
          .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
          .characterEscapes(new AsciiOnly())
          .build();
  private static final int MAX_DEPTH = 8;

  private boolean text;

  /** {@code text} for the human-readable line; anything else (the default) is JSON. */
  public void setFormat(String format) {
    // No error for an unknown value: logback would print it to stdout as a line of its own.
    this.text = format != null && format.trim().equalsIgnoreCase("text");
  }

  @Override
  public byte[] headerBytes() {
    return NOTHING;
  }

  @Override
  public byte[] footerBytes() {
    return NOTHING;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    String line = text ? text(event) : json(event);
    return (line + "\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static String json(ILoggingEvent e) {
    StringWriter out = new StringWriter(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("time", TIME.format(e.getInstant()));
      g.writeStringField("level", String.valueOf(e.getLevel()));
      g.writeStringField("logger", e.getLoggerName());
      g.writeStringField("thread", e.getThreadName());
      g.writeStringField("message", e.getFormattedMessage());
      for (Map.Entry<String, Object> f : pairs(e.getKeyValuePairs()).entrySet()) {
        g.writeFieldName(f.getKey());
        write(g, f.getValue(), 0);
      }
      IThrowableProxy thrown = e.getThrowableProxy();
      if (thrown != null) {
        g.writeStringField("exception", ThrowableProxyUtil.asString(thrown));
      }
      g.writeEndObject();
    } catch (IOException impossible) {
      throw new UncheckedIOException(impossible);
    }
    return out.toString();
  }

  /**
   * {@code <time> <level> <logger> [<thread>] "<message>" key=value... exception="..."}: a value is
   * a number, true, false, null or a quoted string (a map or a list as its JSON, quoted).
   */
  private static String text(ILoggingEvent e) {
    StringBuilder b = new StringBuilder(256);
    b.append(TIME.format(e.getInstant())).append(' ');
    String level = String.valueOf(e.getLevel());
    b.append(level).append(" ".repeat(Math.max(1, 6 - level.length())));
    escape(b, e.getLoggerName());
    b.append(" [");
    escape(b, e.getThreadName());
    b.append("] ");
    quote(b, e.getFormattedMessage());
    for (Map.Entry<String, Object> f : pairs(e.getKeyValuePairs()).entrySet()) {
      b.append(' ');
      escape(b, f.getKey());
      b.append('=');
      Object v = f.getValue();
      if (v == null || v instanceof Boolean || v instanceof Number) {
        b.append(v);
      } else if (v instanceof Map<?, ?> || v instanceof Iterable<?>) {
        quote(b, jsonValue(v)); // quoted like a string: every value is one token or one string
      } else {
        quote(b, v instanceof Enum<?> constant ? constant.name() : v.toString());
      }
    }
    IThrowableProxy thrown = e.getThrowableProxy();
    if (thrown != null) {
      b.append(" exception=");
      quote(b, ThrowableProxyUtil.asString(thrown));
    }
    return b.toString();
  }

  /** The pairs under keys that are all different from each other and from the fixed fields. */
  private static Map<String, Object> pairs(List<KeyValuePair> pairs) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (pairs == null) {
      return out;
    }
    for (KeyValuePair p : pairs) {
      String key = String.valueOf(p.key);
      while (FIELDS.contains(key) || out.containsKey(key)) {
        key = "kv." + key;
      }
      out.put(key, p.value);
    }
    return out;
  }

  private static String jsonValue(Object v) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      write(g, v, 0);
    } catch (IOException impossible) {
      throw new UncheckedIOException(impossible);
    }
    return out.toString();
  }

  private static void write(JsonGenerator g, Object v, int depth) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof Boolean bool) {
      g.writeBoolean(bool);
    } else if (v instanceof Integer
        || v instanceof Long
        || v instanceof Short
        || v instanceof Byte) {
      g.writeNumber(((Number) v).longValue());
    } else if (v instanceof BigInteger big) {
      g.writeNumber(big);
    } else if (v instanceof BigDecimal big) {
      g.writeNumber(big);
    } else if ((v instanceof Double || v instanceof Float)
        && Double.isFinite(((Number) v).doubleValue())) {
      g.writeNumber(((Number) v).doubleValue());
    } else if (v instanceof Map<?, ?> map && depth < MAX_DEPTH) {
      g.writeStartObject();
      Set<String> written = new java.util.HashSet<>();
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        String key = String.valueOf(entry.getKey());
        while (!written.add(key)) {
          key = "kv." + key;
        }
        g.writeFieldName(key);
        write(g, entry.getValue(), depth + 1);
      }
      g.writeEndObject();
    } else if (v instanceof Iterable<?> items && depth < MAX_DEPTH) {
      g.writeStartArray();
      for (Object item : items) {
        write(g, item, depth + 1);
      }
      g.writeEndArray();
    } else if (v instanceof Enum<?> constant) {
      g.writeString(constant.name());
    } else {
      g.writeString(String.valueOf(v));
    }
  }

  private static void quote(StringBuilder b, String s) {
    b.append('"');
    escape(b, s);
    b.append('"');
  }

  /** As JSON escapes a string's content, with everything outside printable ASCII as \\uXXXX. */
  private static void escape(StringBuilder b, String s) {
    if (s == null) {
      b.append("null");
      return;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c > 0x7E) {
            b.append(String.format("\\u%04X", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
  }

  /** JSON's escapes, and DEL too: with ESCAPE_NON_ASCII, the output is printable ASCII only. */
  private static final class AsciiOnly extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private final int[] ascii = CharacterEscapes.standardAsciiEscapesForJSON();

    AsciiOnly() {
      ascii[0x7F] = CharacterEscapes.ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return null;
    }
  }
}
