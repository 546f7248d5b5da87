package io.keyward.verifier.core;

/** What a key may do, as an ApiKey's {@code permissions} names it. */
public enum Permission {
  READ("read"),
  TRADE("trade"),
  WITHDRAW("withdraw");

  private final String wireName;

  Permission(String wireName) {
    this.wireName = wireName;
  }

  /** The name in specs, grants and route tables. */
  public String wireName() {
    return wireName;
  }

  /** The permission of a wire name, or null when unknown. */
  public static Permission fromWire(String name) {
    for (Permission p : values()) {
      if (p.wireName.equals(name)) {
        return p;
      }
    }
    return null;
  }
}
