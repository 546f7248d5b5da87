package io.keyward.verifier.core;

import java.net.InetAddress;
import java.security.PublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * What verification needs of one access key, built from records only the operator can write (the
 * grant in the ApiUser's ledger, and a Secret whose content matches the grant's fingerprint) and
 * narrowed, never widened, by what a tenant can write (the ApiKey's spec and existence).
 *
 * @param accessKey the access key this entry answers for
 * @param user the ApiUser's name
 * @param namespace the ApiKey's namespace
 * @param name the ApiKey's name
 * @param uid the ApiKey's uid
 * @param algorithm how this key signs
 * @param hmacKey HMAC: the UTF-8 bytes of the secret key exactly as the Secret holds it; else null
 * @param publicKey Ed25519: the verifying key; else null
 * @param passphraseFingerprint {@code sha256:<hex>} of the key's passphrase, or null when it has
 *     none
 * @param permissions the permissions in force
 * @param ipWhitelist the addresses the key is bound to; empty: any
 * @param expiresAt the end of the key's validity
 * @param validUntil the end of a previous key's grace period; null for a current key
 * @param standing whether the key is in force, and if not why
 */
public record KeyEntry(
    String accessKey,
    String user,
    String namespace,
    String name,
    String uid,
    Algorithm algorithm,
    byte[] hmacKey,
    PublicKey publicKey,
    String passphraseFingerprint,
    Set<Permission> permissions,
    List<InetAddress> ipWhitelist,
    Instant expiresAt,
    Instant validUntil,
    Standing standing) {

  /** Whether a key is in force, apart from time; time is checked at each verification. */
  public enum Standing {
    IN_FORCE,
    REVOKED,
    INVALID,
    SUSPENDED
  }

  /** Whether this is a previous key in its grace period. */
  public boolean previous() {
    return validUntil != null;
  }

  /** {@code namespace/name} of the ApiKey. */
  public String keyRef() {
    return namespace + "/" + name;
  }

  @Override
  public String toString() {
    return "KeyEntry[" + accessKey + " " + keyRef() + " " + algorithm + " " + standing + "]";
  }
}
