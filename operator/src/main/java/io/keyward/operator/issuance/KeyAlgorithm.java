package io.keyward.operator.issuance;

/** How a key signs: a shared HMAC secret or an Ed25519 key pair. */
public enum KeyAlgorithm {
  HMAC_SHA256("HmacSHA256"),
  ED25519("Ed25519");

  private final String wireName;

  KeyAlgorithm(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in the spec and the Secret. */
  public String wireName() {
    return wireName;
  }

  /** The algorithm of a wire name, or null when unknown. */
  public static KeyAlgorithm fromWire(String name) {
    for (KeyAlgorithm a : values()) {
      if (a.wireName.equals(name)) {
        return a;
      }
    }
    return null;
  }
}
