package io.keyward.operator.expiry;

/** What happens to a key as it nears expiry. */
public enum RenewalPolicy {
  /** A new key replaces it; the previous one still verifies during a grace period. */
  Rotate,
  /** The same key lives on for another validity, up to the maximum key lifetime. */
  Extend,
  /** The key expires and is revoked. */
  Never
}
