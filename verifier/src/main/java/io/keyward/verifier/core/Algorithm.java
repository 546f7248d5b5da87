package io.keyward.verifier.core;

/** How a key signs: HMAC-SHA256 with the shared secret key, or Ed25519 with its private key. */
public enum Algorithm {
  HMAC_SHA256("HmacSHA256"),
  ED25519("Ed25519");

  private final String wireName;

  Algorithm(String wireName) {
    this.wireName = wireName;
  }

  /** The name in specs, grants and Secrets. */
  public String wireName() {
    return wireName;
  }

  /** The algorithm of a wire name, or null when unknown. */
  public static Algorithm fromWire(String name) {
    for (Algorithm a : values()) {
      if (a.wireName.equals(name)) {
        return a;
      }
    }
    return null;
  }
}
