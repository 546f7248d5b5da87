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

  /** Whether a header name (any case) is one of Keyward's. */
  static boolean isKeyward(CharSequence name) {
    if (name.length() < PREFIX.length()) {
      return false;
    }
    for (int i = 0; i < PREFIX.length(); i++) {
      if (Character.toLowerCase(name.charAt(i)) != PREFIX.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Whether a lower-case header name is one of the three the verifier sets. */
  static boolean setByVerifier(String lowerCaseName) {
    return lowerCaseName.equals(USER)
        || lowerCaseName.equals(KEY)
        || lowerCaseName.equals(PERMISSIONS);
  }
}
