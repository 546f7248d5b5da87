package io.keyward.verifier.scheme;

/**
 * The settings the signing schemes read: receive windows and the host HTX clients sign.
 *
 * @param defaultRecvWindowMillis the receive window when a request names none (Keyward, Binance,
 *     Bybit) or cannot name one (OKX)
 * @param maxRecvWindowMillis the largest receive window a request may name
 * @param htxSigningHost the host HTX clients put in their string to sign (the public host name);
 *     null: the host the request arrived with
 * @param htxWindowMillis how far an HTX timestamp may lie from the server's clock, either way
 */
public record SchemeSettings(
    long defaultRecvWindowMillis,
    long maxRecvWindowMillis,
    String htxSigningHost,
    long htxWindowMillis) {

  /** What the exchanges document: 5 s by default, at most 60 s, and HTX's 5 minutes. */
  public static SchemeSettings defaults() {
    return new SchemeSettings(5_000, 60_000, null, 300_000);
  }

  /**
   * @throws IllegalArgumentException naming the setting and the rule it breaks
   */
  public SchemeSettings {
    if (defaultRecvWindowMillis <= 0) {
      throw new IllegalArgumentException("defaultRecvWindowMillis: must be positive");
    }
    if (maxRecvWindowMillis < defaultRecvWindowMillis) {
      throw new IllegalArgumentException(
          "maxRecvWindowMillis: must be at least defaultRecvWindowMillis");
    }
    if (htxWindowMillis <= 0) {
      throw new IllegalArgumentException("htxWindowMillis: must be positive");
    }
    if (htxSigningHost != null && !validHost(htxSigningHost)) {
      throw new IllegalArgumentException(
          "htxSigningHost: must be a host name (letters, digits, '.', '-', at most 253"
              + " characters) or unset");
    }
    if (htxSigningHost != null) {
      htxSigningHost = htxSigningHost.toLowerCase(java.util.Locale.ROOT);
    }
  }

  private static boolean validHost(String host) {
    if (host.isEmpty() || host.length() > 253) {
      return false;
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
