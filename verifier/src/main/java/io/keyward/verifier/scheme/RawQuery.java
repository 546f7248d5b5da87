package io.keyward.verifier.scheme;

import io.keyward.verifier.scheme.Scheme.Malformed;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A query string (or a form body) split into its raw pairs, exactly as sent: the schemes sign these
 * bytes, so nothing here re-encodes a pair unless a scheme asks for it (Keyward's canonical query).
 */
final class RawQuery {
  /**
   * The most pairs a request may carry in its query (and, for Binance, its form body together).
   * Real trading requests carry a few dozen; the bound keeps splitting, decoding and sorting of a
   * hostile request cheap.
   */
  static final int MAX_PAIRS = 1_000;

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private RawQuery() {}

  /**
   * One {@code name=value} piece of a query as sent: {@code source.substring(start, end)}.
   *
   * @param source the whole query or body text
   * @param start where the pair begins
   * @param end where it ends (before the {@code &} that follows, or the end)
   * @param eq where its first {@code =} is, or -1 when it has none (a name without a value)
   */
  record Pair(String source, int start, int end, int eq) {
    /** The pair's bytes as sent. */
    String raw() {
      return source.substring(start, end);
    }

    /** The name as sent, escapes kept. */
    String rawName() {
      return source.substring(start, eq < 0 ? end : eq);
    }

    /** The value as sent, escapes kept; empty when the pair has no {@code =}. */
    String rawValue() {
      return eq < 0 ? "" : source.substring(eq + 1, end);
    }
  }

  /**
   * Splits a query at {@code &}; empty pieces ({@code a=1&&b=2}, a leading or trailing {@code &})
   * carry nothing and are skipped.
   *
   * @param field names the query or body in the message of a refusal
   * @throws Malformed when there are more than {@link #MAX_PAIRS} pairs
   */
  static List<Pair> split(String source, String field) throws Malformed {
    List<Pair> pairs = new ArrayList<>();
    if (source == null || source.isEmpty()) {
      return pairs;
    }
    int start = 0;
    int length = source.length();
    while (start <= length) {
      int end = source.indexOf('&', start);
      if (end < 0) {
        end = length;
      }
      if (end > start) {
        if (pairs.size() == MAX_PAIRS) {
          throw new Malformed(field + ": at most " + MAX_PAIRS + " parameters");
        }
        // Within the pair only: an indexOf to the end of the text would make a query of many
        // pairs without '=' cost pairs x length.
        int eq = -1;
        for (int i = start; i < end; i++) {
          if (source.charAt(i) == '=') {
            eq = i;
            break;
          }
        }
        pairs.add(new Pair(source, start, end, eq));
      }
      start = end + 1;
    }
    return pairs;
  }

  /**
   * Percent-decodes strictly: every {@code %} starts two hex digits, the bytes are valid UTF-8, and
   * {@code +} stays {@code +} (it means a space only in HTML forms, and no scheme here signs it as
   * one).
   *
   * @param field names the parameter in the message of a refusal
   * @throws Malformed on a bad escape or bytes that are not UTF-8
   */
  static String decode(String raw, String field) throws Malformed {
    String decoded = decodeOrNull(raw);
    if (decoded == null) {
      throw new Malformed(field + ": bad percent-encoding (each % needs two hex digits, UTF-8)");
    }
    return decoded;
  }

  /** Like {@link #decode}, but null instead of a refusal when the text does not decode. */
  static String decodeOrNull(String raw) {
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    ByteBuffer bytes = ByteBuffer.allocate(raw.length() * 4);
    int i = 0;
    while (i < raw.length()) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          return null;
        }
        int hi = hexValue(raw.charAt(i + 1));
        int lo = hexValue(raw.charAt(i + 2));
        if (hi < 0 || lo < 0) {
          return null;
        }
        bytes.put((byte) ((hi << 4) | lo));
        i += 3;
      } else if (c < 0x80) {
        bytes.put((byte) c);
        i++;
      } else {
        int codePoint = raw.codePointAt(i);
        bytes.put(new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(codePoint);
      }
    }
    bytes.flip();
    CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      CharBuffer chars = utf8.decode(bytes);
      return chars.toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /**
   * RFC 3986 encoding as Keyward's canonical query uses it: the unreserved characters {@code
   * A-Za-z0-9-._~} stay, every other byte of the UTF-8 form becomes {@code %XX} in upper-case hex.
   */
  static String encode(String value) {
    StringBuilder out = null;
    for (int i = 0; i < value.length(); i++) {
      if (!unreserved(value.charAt(i))) {
        out = new StringBuilder(value.length() + 16);
        out.append(value, 0, i);
        byte[] rest = value.substring(i).getBytes(StandardCharsets.UTF_8);
        for (byte b : rest) {
          char c = (char) (b & 0xFF);
          if (c < 0x80 && unreserved(c)) {
            out.append(c);
          } else {
            out.append('%').append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
          }
        }
        break;
      }
    }
    return out == null ? value : out.toString();
  }

  private static boolean unreserved(char c) {
    return (c >= 'A' && c <= 'Z')
        || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '.'
        || c == '_'
        || c == '~';
  }

  private static int hexValue(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
