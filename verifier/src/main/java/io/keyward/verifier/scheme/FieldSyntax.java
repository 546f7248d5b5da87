package io.keyward.verifier.scheme;

import io.keyward.verifier.core.RequestView;
import io.keyward.verifier.scheme.Scheme.Malformed;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The strict readers of the values the schemes carry: access keys, epoch times, windows and
 * signatures. Each refusal names the field and the rule, never the value, which may be anything a
 * client (or an attacker) sent.
 */
final class FieldSyntax {
  /** Access keys are 34 characters; other systems' keys are longer, none this long. */
  static final int MAX_ACCESS_KEY = 128;

  /** Base64 of a 64-byte Ed25519 signature is 88 characters; percent-encoding can triple that. */
  static final int MAX_SIGNATURE = 512;

  private static final HexFormat LOWER_HEX = HexFormat.of();

  private FieldSyntax() {}

  /**
   * The value of a header the scheme requires.
   *
   * @throws Malformed when the header is absent or empty, or longer than {@code maxLength}
   */
  static String requiredHeader(RequestView request, String name, int maxLength) throws Malformed {
    String value = request.headers().first(name);
    if (value == null || value.isEmpty()) {
      throw new Malformed(name + ": required");
    }
    if (value.length() > maxLength) {
      throw new Malformed(name + ": at most " + maxLength + " characters");
    }
    return value;
  }

  /**
   * The value of an optional header, or null when absent.
   *
   * @throws Malformed when it is present but empty, or longer than {@code maxLength}
   */
  static String optionalHeader(RequestView request, String name, int maxLength) throws Malformed {
    String value = request.headers().first(name);
    if (value == null) {
      return null;
    }
    if (value.isEmpty()) {
      throw new Malformed(name + ": must not be empty when sent");
    }
    if (value.length() > maxLength) {
      throw new Malformed(name + ": at most " + maxLength + " characters");
    }
    return value;
  }

  /**
   * An access key as a client sent it: visible ASCII only, so that it can stand in an audit line as
   * it is.
   */
  /** The access key a scheme carries in the header {@code name}: required, and an access key. */
  static String accessKeyHeader(RequestView request, String name) throws Malformed {
    return accessKey(requiredHeader(request, name, MAX_ACCESS_KEY), name);
  }

  static String accessKey(String value, String field) throws Malformed {
    if (value.isEmpty() || value.length() > MAX_ACCESS_KEY) {
      throw new Malformed(field + ": 1 to " + MAX_ACCESS_KEY + " characters");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c <= 0x20 || c >= 0x7F) {
        throw new Malformed(field + ": visible ASCII characters only");
      }
    }
    return value;
  }

  /**
   * A non-negative decimal number of at most {@code maxDigits} digits, nothing else (no sign, no
   * spaces, no fraction).
   */
  static long digits(String text, int maxDigits, String field) throws Malformed {
    if (text.isEmpty() || text.length() > maxDigits) {
      throw new Malformed(field + ": 1 to " + maxDigits + " decimal digits");
    }
    long value = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        throw new Malformed(field + ": decimal digits only");
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  /**
   * A receive window in milliseconds: digits, positive and at most {@code max}. A window outside
   * that range is a malformed request, not a late one: the client's clock may be right, its setting
   * is not.
   */
  static long recvWindow(String text, long max, String field) throws Malformed {
    long window = digits(text, 12, field);
    return checkWindow(window, max, field);
  }

  static long checkWindow(long window, long max, String field) throws Malformed {
    if (window <= 0 || window > max) {
      throw new Malformed(field + ": must be more than 0 and at most " + max + " milliseconds");
    }
    return window;
  }

  /** Whether the text is exactly 64 hex digits (an HMAC-SHA256 in hex), in either case. */
  static boolean isHexSha256(String text) {
    if (text.length() != 64) {
      return false;
    }
    for (int i = 0; i < 64; i++) {
      if (Character.digit(text.charAt(i), 16) < 0 || text.charAt(i) > 'f') {
        return false;
      }
    }
    return true;
  }

  /** Hex digits in either case (the bytes are the same), an even number of them. */
  static byte[] hex(String text, String field) throws Malformed {
    if (text.isEmpty() || text.length() > MAX_SIGNATURE || text.length() % 2 != 0) {
      throw new Malformed(field + ": must be hex digits");
    }
    try {
      return LOWER_HEX.parseHex(text);
    } catch (IllegalArgumentException e) {
      throw new Malformed(field + ": must be hex digits");
    }
  }

  /** Standard base64 (RFC 4648 section 4), padding optional; no line breaks, no other alphabet. */
  static byte[] base64(String text, String field) throws Malformed {
    if (text.isEmpty() || text.length() > MAX_SIGNATURE) {
      throw new Malformed(field + ": must be base64");
    }
    try {
      byte[] bytes = Base64.getDecoder().decode(text);
      if (bytes.length == 0) {
        throw new Malformed(field + ": must be base64");
      }
      return bytes;
    } catch (IllegalArgumentException e) {
      throw new Malformed(field + ": must be base64");
    }
  }

  /** A JSON string literal of a message this code wrote (escaped all the same). */
  static String json(String text) {
    StringBuilder out = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
