package io.keyward.operator.issuance;

/**
 * A freshly generated key. The secret key lives only here, in memory, until it is written to its
 * Secret; {@link #toString()} never shows it.
 *
 * @param accessKey the public identifier, {@code KW...}
 * @param secretKey HMAC: 32 random bytes, base64url without padding; Ed25519: PKCS#8 PEM
 * @param publicKey Ed25519 only: the verifying key as PEM; null for HMAC
 */
public record KeyMaterial(
    String accessKey, String secretKey, KeyAlgorithm algorithm, String publicKey) {

  /** The fingerprint of the secret key. */
  public String fingerprint() {
    return Fingerprint.of(secretKey);
  }

  @Override
  public String toString() {
    return "KeyMaterial[accessKey=" + accessKey + ", algorithm=" + algorithm.wireName() + "]";
  }
}
