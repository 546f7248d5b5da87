package io.keyward.operator.validation;

import java.util.Locale;
import java.util.Optional;

/**
 * IPv4 and IPv6 address literals, parsed without any name lookup (InetAddress would resolve host
 * names). The canonical form is what verification compares against.
 */
public final class IpLiteral {
  private IpLiteral() {}

  /** The canonical text of an IPv4 or IPv6 literal, or empty when the text is neither. */
  public static Optional<String> canonical(String text) {
    if (text == null || text.isEmpty() || text.length() > 45) {
      return Optional.empty();
    }
    if (text.indexOf(':') >= 0) {
      return parseV6(text).map(IpLiteral::formatV6);
    }
    return parseV4(text).map(IpLiteral::formatV4);
  }

  static Optional<int[]> parseV4(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      return Optional.empty();
    }
    int[] octets = new int[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
        return Optional.empty();
      }
      for (char c : p.toCharArray()) {
        if (c < '0' || c > '9') {
          return Optional.empty();
        }
      }
      octets[i] = Integer.parseInt(p);
      if (octets[i] > 255) {
        return Optional.empty();
      }
    }
    return Optional.of(octets);
  }

  /** Eight 16-bit groups, or empty. Accepts {@code ::} compression and a trailing IPv4 part. */
  static Optional<int[]> parseV6(String text) {
    if (text.indexOf('%') >= 0) {
      return Optional.empty(); // zone ids name an interface, not an address a client comes from
    }
    int doubleColon = text.indexOf("::");
    if (doubleColon >= 0 && text.indexOf("::", doubleColon + 1) >= 0) {
      return Optional.empty();
    }
    String head = doubleColon >= 0 ? text.substring(0, doubleColon) : text;
    String tail = doubleColon >= 0 ? text.substring(doubleColon + 2) : "";
    java.util.List<Integer> front = new java.util.ArrayList<>();
    java.util.List<Integer> back = new java.util.ArrayList<>();
    if (!groups(head, front, doubleColon < 0) || !groups(tail, back, true)) {
      return Optional.empty();
    }
    int total = front.size() + back.size();
    if (doubleColon >= 0 ? total > 7 : total != 8) {
      return Optional.empty();
    }
    int[] out = new int[8];
    for (int i = 0; i < front.size(); i++) {
      out[i] = front.get(i);
    }
    for (int i = 0; i < back.size(); i++) {
      out[8 - back.size() + i] = back.get(i);
    }
    return Optional.of(out);
  }

  private static boolean groups(String part, java.util.List<Integer> out, boolean v4Allowed) {
    if (part.isEmpty()) {
      return true;
    }
    String[] groups = part.split(":", -1);
    for (int i = 0; i < groups.length; i++) {
      String g = groups[i];
      if (i == groups.length - 1 && v4Allowed && g.indexOf('.') >= 0) {
        Optional<int[]> v4 = parseV4(g);
        if (v4.isEmpty()) {
          return false;
        }
        int[] o = v4.get();
        out.add((o[0] << 8) | o[1]);
        out.add((o[2] << 8) | o[3]);
        continue;
      }
      if (g.isEmpty() || g.length() > 4) {
        return false;
      }
      for (char c : g.toCharArray()) {
        if (Character.digit(c, 16) < 0) {
          return false;
        }
      }
      out.add(Integer.parseInt(g, 16));
    }
    return true;
  }

  private static String formatV4(int[] o) {
    return o[0] + "." + o[1] + "." + o[2] + "." + o[3];
  }

  /** RFC 5952: lowercase, no leading zeros, the longest run of two or more zero groups as ::. */
  private static String formatV6(int[] g) {
    int bestStart = -1;
    int bestLen = 0;
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen && j - i >= 2) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]).toLowerCase(Locale.ROOT));
    }
    return sb.toString();
  }
}
