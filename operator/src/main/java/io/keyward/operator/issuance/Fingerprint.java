package io.keyward.operator.issuance;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** {@code sha256:<lowercase hex>} of a secret key's text: matches a Secret without showing it. */
public final class Fingerprint {
  private Fingerprint() {}

  /** The fingerprint of a secret key as stored in the Secret (its UTF-8 text). */
  public static String of(String secretKey) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return "sha256:"
          + HexFormat.of().formatHex(sha.digest(secretKey.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Whether a stored secret key matches a fingerprint, compared in constant time. */
  public static boolean matches(String secretKey, String fingerprint) {
    if (secretKey == null || fingerprint == null) {
      return false;
    }
    return MessageDigest.isEqual(
        of(secretKey).getBytes(StandardCharsets.US_ASCII),
        fingerprint.getBytes(StandardCharsets.US_ASCII));
  }
}
