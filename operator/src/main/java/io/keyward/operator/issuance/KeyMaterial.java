package io.keyward.operator.issuance;

/**
 * A freshly generated key. The secret key lives only here, in memory, until it is written to its
 * Secret; {@link #toString()} never shows it.
 *
 * @param accessKey the public identifier, {@code KW...}
 * @param secretKey HMAC: 32 random bytes, base64url without padding; Ed25519: PKCS#8 PEM
 * @param publicKey Ed25519 only: the verifying key as PEM; null for HMAC
 * @param passphrase the passphrase generated with the key (OKX-compatible signing sends it as
 *     {@code OK-ACCESS-PASSPHRASE}), base64url; null when the key has none
 */
public record KeyMaterial(
    String accessKey,
    String secretKey,
    KeyAlgorithm algorithm,
    String publicKey,
    String passphrase) {

  /** A key without a passphrase. */
  public KeyMaterial(String accessKey, String secretKey, KeyAlgorithm algorithm, String publicKey) {
    this(accessKey, secretKey, algorithm, publicKey, null);
  }

  /** The fingerprint of the secret key. */
  public String fingerprint() {
    return Fingerprint.of(secretKey);
  }

  /** The fingerprint of the passphrase, or null when the key has none. */
  public String passphraseFingerprint() {
    return passphrase == null ? null : Fingerprint.of(passphrase);
  }

  @Override
  public String toString() {
    return "KeyMaterial[accessKey="
        + accessKey
        + ", algorithm="
        + algorithm.wireName()
        + (passphrase == null ? "" : ", with passphrase")
        + "]";
  }
}
