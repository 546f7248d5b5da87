package io.keyward.operator.issuance;

import java.util.Objects;

/**
 * Decides what a key's Secret needs, from what the status recorded and what the Secret holds. It
 * sees fingerprints, never secret material. The rules make issuance crash-safe: the status records
 * a pending key (access key and fingerprint) before its Secret is written, so a Secret that holds
 * the pending key is finished, not issued again, and a Secret that holds neither the current nor
 * the pending key was tampered with.
 */
public final class SecretCheck {
  private SecretCheck() {}

  /** What to do. */
  public enum Verdict {
    /** The Secret holds the current key: nothing to do. */
    STEADY,
    /** The Secret holds the pending key: record it as current. */
    FINISH_PENDING,
    /** The Secret holds the current key, and a pending key never reached it: forget the pending. */
    DROP_STALE_PENDING,
    /** No key yet and no Secret: issue. */
    ISSUE,
    /** The current key's Secret is gone: revoke that key and issue a new one. */
    REISSUE_LOST,
    /**
     * The Secret holds material that is neither current nor pending: delete it, issue anew. A
     * Secret is never adopted: one that carries this key's ownerReference and a consistent
     * fingerprint is as easy to plant as to copy.
     */
    REPLACE_TAMPERED,
    /** A Secret of that name exists and belongs to something else: touch nothing. */
    CONFLICT
  }

  /**
   * An access key, the fingerprint of its secret and, when it has one, of its passphrase, as
   * recorded in the grant.
   */
  public record KeyRecord(String accessKey, String fingerprint, String passphraseFingerprint) {
    /** A key without a passphrase. */
    public KeyRecord(String accessKey, String fingerprint) {
      this(accessKey, fingerprint, null);
    }
  }

  /**
   * What the Secret holds.
   *
   * @param present whether a Secret of that name exists
   * @param controlledByKey whether its controller owner reference is this ApiKey (by uid)
   * @param dataAccessKey the access key in its data
   * @param dataFingerprint the fingerprint of the secret key in its data, null when missing
   * @param annotatedAccessKey its keyward.io/access-key annotation
   * @param annotatedFingerprint its keyward.io/fingerprint annotation
   * @param dataPassphraseFingerprint the fingerprint of the passphrase in its data, null when
   *     missing
   */
  public record Observed(
      boolean present,
      boolean controlledByKey,
      String dataAccessKey,
      String dataFingerprint,
      String annotatedAccessKey,
      String annotatedFingerprint,
      String dataPassphraseFingerprint) {
    public static final Observed ABSENT = new Observed(false, false, null, null, null, null, null);

    /** What a Secret without a passphrase holds. */
    public Observed(
        boolean present,
        boolean controlledByKey,
        String dataAccessKey,
        String dataFingerprint,
        String annotatedAccessKey,
        String annotatedFingerprint) {
      this(
          present,
          controlledByKey,
          dataAccessKey,
          dataFingerprint,
          annotatedAccessKey,
          annotatedFingerprint,
          null);
    }
  }

  /** The verdict for a recorded current key, a recorded pending key (either may be null). */
  public static Verdict decide(KeyRecord current, KeyRecord pending, Observed secret) {
    if (!secret.present()) {
      return current == null ? Verdict.ISSUE : Verdict.REISSUE_LOST;
    }
    if (!secret.controlledByKey()) {
      return Verdict.CONFLICT;
    }
    if (holds(secret, pending)) {
      return Verdict.FINISH_PENDING;
    }
    if (holds(secret, current)) {
      return pending == null ? Verdict.STEADY : Verdict.DROP_STALE_PENDING;
    }
    return Verdict.REPLACE_TAMPERED;
  }

  /**
   * Whether the Secret holds exactly the recorded key: its access key, its secret and, when the
   * record names one, its passphrase (written in the same write; a Secret without it, or with
   * another, is not the key that was issued). A passphrase the record does not name is ignored.
   */
  private static boolean holds(Observed secret, KeyRecord key) {
    return key != null
        && key.fingerprint() != null
        && key.fingerprint().equals(secret.dataFingerprint())
        && Objects.equals(key.accessKey(), secret.dataAccessKey())
        && (key.passphraseFingerprint() == null
            || key.passphraseFingerprint().equals(secret.dataPassphraseFingerprint()));
  }
}
