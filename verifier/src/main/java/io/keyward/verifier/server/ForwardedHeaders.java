package io.keyward.verifier.server;

import io.keyward.verifier.core.KeyEntry;
import io.keyward.verifier.core.Permission;
import java.util.Set;

/**
 * The headers a verified request carries to its upstream, the same from the proxy and from
 * ext_authz: who signed it ({@code x-keyward-user}, {@code x-keyward-key}) and what the key may do
 * ({@code x-keyward-permissions}). A client's own {@code x-keyward-*} headers never reach the
 * upstream, so the upstream can believe these.
 */
final class ForwardedHeaders {
  static final String PREFIX = "x-keyward-";
  static final String USER = "x-keyward-user";
  static final String KEY = "x-keyward-key";
  static final String PERMISSIONS = "x-keyward-permissions";

  /** Every set of permissions as the header writes it, indexed by a bit per permission. */
  private static final String[] PERMISSION_LISTS = new String[1 << Permission.values().length];

  static {
    for (int mask = 0; mask < PERMISSION_LISTS.length; mask++) {
      StringBuilder sb = new StringBuilder();
      for (Permission p : Permission.values()) {
        if ((mask & (1 << p.ordinal())) != 0) {
          sb.append(sb.length() == 0 ? "" : ",").append(p.wireName());
        }
      }
      PERMISSION_LISTS[mask] = sb.toString();
    }
  }

  private ForwardedHeaders() {}

  /** The key's permissions, comma-separated in the order read, trade, withdraw. */
  static String permissions(KeyEntry key) {
    Set<Permission> permissions = key.permissions();
    int mask = 0;
    for (Permission p : permissions) {
      mask |= 1 << p.ordinal();
    }
    return PERMISSION_LISTS[mask];
  }

  /**
   * Headers a client must not hand the upstream: other spellings of its address, which the upstream
   * might log or limit by ({@code x-forwarded-for} is the verifier's own), and overrides of the
   * method or the path, which would let a request verified for one route act as another.
   */
  static final Set<String> NEVER_FROM_CLIENTS =
      Set.of(
          "forwarded",
          "x-real-ip",
          "true-client-ip",
          "x-client-ip",
          "x-cluster-client-ip",
          "x-http-method-override",
          "x-http-method",
          "x-method-override",
          "x-original-url",
          "x-original-method",
          "x-rewrite-url");

  /**
   * Whether a header name (any case) is one of Keyward's. An underscore counts as a hyphen: CGI,
   * WSGI, PHP and some Ruby servers read {@code X_Keyward_User} as {@code x-keyward-user}.
   */
  static boolean isKeyward(CharSequence name) {
    if (name.length() < PREFIX.length()) {
      return false;
    }
    for (int i = 0; i < PREFIX.length(); i++) {
      char c = name.charAt(i);
      if ((c == '_' ? '-' : Character.toLowerCase(c)) != PREFIX.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Whether a header name (any case, {@code _} for {@code -}) must not reach the upstream. */
  static boolean neverFromClients(CharSequence name) {
    if (name.length() > 24) {
      return false;
    }
    StringBuilder normal = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      normal.append(c == '_' ? '-' : Character.toLowerCase(c));
    }
    return NEVER_FROM_CLIENTS.contains(normal.toString());
  }

  /** Whether a lower-case header name is one of the three the verifier sets. */
  static boolean setByVerifier(String lowerCaseName) {
    return lowerCaseName.equals(USER)
        || lowerCaseName.equals(KEY)
        || lowerCaseName.equals(PERMISSIONS);
  }
}
