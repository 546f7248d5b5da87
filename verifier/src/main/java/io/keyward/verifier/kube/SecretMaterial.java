package io.keyward.verifier.kube;

import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/**
 * What a key's Secret may hold of HMAC material: the values of its current secret-key entry (the
 * data key its {@code keyward.io/data-keys} annotation names, by default {@code secretKey}) and of
 * {@code previousSecretKey}, as bytes. Neither is believed on its own: a value is used only for a
 * key whose grant records its fingerprint ({@link #matching}), so a Secret a tenant planted or
 * edited verifies nothing. {@link #toString()} shows no material.
 */
final class SecretMaterial {
  /**
   * The longest value kept. Keyward's HMAC secret keys are 43 characters; the bound keeps a
   * look-alike Secret (anyone may set the label) from filling the verifier's heap.
   */
  static final int MAX_VALUE_BYTES = 1024;

  private final byte[] current;
  private final byte[] previous;

  private SecretMaterial(byte[] current, byte[] previous) {
    this.current = current;
    this.previous = previous;
  }

  /** The candidate values of a Secret, or null when it is not of a key's type or holds none. */
  static SecretMaterial of(Secret secret) {
    if (!ClusterRecords.SECRET_TYPE.equals(secret.getType()) || secret.getData() == null) {
      return null;
    }
    Map<String, String> data = secret.getData();
    byte[] current = value(data.get(secretKeyName(secret)));
    byte[] previous = value(data.get(ClusterRecords.DATA_PREVIOUS_SECRET_KEY));
    return current == null && previous == null ? null : new SecretMaterial(current, previous);
  }

  /**
   * The value whose {@code sha256:<hex>} is {@code fingerprint} (compared in constant time), or
   * null when neither is.
   */
  byte[] matching(String fingerprint) {
    if (fingerprint == null) {
      return null;
    }
    byte[] wanted = fingerprint.getBytes(StandardCharsets.US_ASCII);
    // Both are compared, whichever matches, so the time taken says nothing of which one did.
    boolean isCurrent = current != null && MessageDigest.isEqual(fingerprintOf(current), wanted);
    boolean isPrevious = previous != null && MessageDigest.isEqual(fingerprintOf(previous), wanted);
    return isCurrent ? current : isPrevious ? previous : null;
  }

  /** {@code sha256:<lowercase hex>} of a value: the fingerprint a grant records of it. */
  static byte[] fingerprintOf(byte[] value) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(value);
      return ("sha256:" + HexFormat.of().formatHex(digest)).getBytes(StandardCharsets.US_ASCII);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** The data key the Secret records for its secret key, else {@code secretKey}. */
  static String secretKeyName(Secret secret) {
    Map<String, String> annotations = secret.getMetadata().getAnnotations();
    String recorded = annotations == null ? null : annotations.get(ClusterRecords.ANN_DATA_KEYS);
    if (recorded != null) {
      for (String part : recorded.split(",")) {
        int eq = part.indexOf('=');
        if (eq > 0 && part.substring(0, eq).equals("secretKey") && eq + 1 < part.length()) {
          return part.substring(eq + 1);
        }
      }
    }
    return ClusterRecords.DATA_SECRET_KEY;
  }

  private static byte[] value(String base64) {
    // Base64 takes 4 characters for 3 bytes: longer text cannot decode to a value that is kept.
    if (base64 == null || base64.length() > (MAX_VALUE_BYTES + 2) / 3 * 4) {
      return null;
    }
    try {
      byte[] bytes = Base64.getDecoder().decode(base64);
      return bytes.length == 0 || bytes.length > MAX_VALUE_BYTES ? null : bytes;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return "SecretMaterial[current=" + (current != null) + ", previous=" + (previous != null) + "]";
  }
}
