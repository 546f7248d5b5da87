package io.keyward.operator.apikey;

import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUserStatus.KeyGrant;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The grant in the ApiUser's ledger is the record of what a key was given; the ApiKey's status only
 * mirrors it. Tenants may write an ApiKey's status (its subresource is often granted with the
 * resource), never an ApiUser's, so every field of authority (the access keys and fingerprints, the
 * access in force, the deadlines, the key being written, the Secret) is taken from the grant and
 * what the status says of them is ignored, repaired and reported. Pure.
 */
public final class KeyRecord {
  private KeyRecord() {}

  /**
   * The status to plan on: {@code read} with every field of authority taken from {@code grant}.
   *
   * @param grant the key's grant, null when the ledger records none
   * @param user the user whose ledger holds the grant
   * @param type the key's type as its slot records it
   * @param now the time of this reconciliation
   */
  public static ApiKeyStatus trusted(
      ApiKeyStatus read, KeyGrant grant, String user, String type, Instant now) {
    ApiKeyStatus s = KeyStatus.copy(read);
    if (grant == null) {
      if (expiredRecord(read)) {
        // An expired key holds no slot and no grant: its status keeps the access key as history,
        // and nothing of it is in force.
        s.pending = null;
        s.previous = null;
        s.effective = null;
        return s;
      }
      String phase = s.phase;
      List<io.keyward.operator.api.Condition> conditions =
          s.conditions == null ? new ArrayList<>() : new ArrayList<>(s.conditions);
      KeyStatus.asNewKey(s);
      s.secretName = null;
      if (read.accessKey == null) {
        // A key not issued yet keeps its phase and conditions (a refused code's reason).
        s.phase = phase;
        s.conditions = conditions;
      }
      // Else status claimed a key the ledger does not record: it starts over as a new key.
      return s;
    }
    s.secretName = grant.secretName;
    s.accessKey = grant.accessKey;
    s.secretFingerprint = grant.secretFingerprint;
    s.algorithm = grant.algorithm;
    s.publicKey = grant.publicKey;
    s.passphraseFingerprint = grant.passphraseFingerprint;
    s.issuedAt = grant.issuedAt;
    s.expiresAt = grant.expiresAt;
    s.previous = KeyStatus.copyPrevious(grant.previous);
    s.pending = KeyStatus.copyPending(grant.pending);
    if (grant.permissions == null) {
      s.effective = null;
    } else {
      ApiKeyStatus.Effective e = new ApiKeyStatus.Effective();
      e.user = user;
      e.type = type;
      e.permissions = List.copyOf(grant.permissions);
      e.ipWhitelist = grant.ipWhitelist == null ? List.of() : List.copyOf(grant.ipWhitelist);
      s.effective = e;
    }
    if (KeyPlanner.EXPIRED.equals(s.phase)
        && (grant.expiresAt == null || now.isBefore(Instant.parse(grant.expiresAt)))) {
      // Not expired by its grant: the phase is decided again.
      s.phase = grant.accessKey == null ? "Pending" : null;
    }
    if (grant.accessKey == null) {
      s.renewAt = null;
    }
    return s;
  }

  /** The grant a status built on a trusted one records (null: nothing granted). */
  public static KeyGrant grantOf(ApiKeyStatus s) {
    if (s.accessKey == null && s.pending == null && s.effective == null) {
      return null;
    }
    if (KeyPlanner.EXPIRED.equals(s.phase)) {
      return null;
    }
    KeyGrant g = new KeyGrant();
    g.secretName = s.accessKey == null && s.pending == null ? null : s.secretName;
    g.accessKey = s.accessKey;
    g.secretFingerprint = s.secretFingerprint;
    g.algorithm = s.algorithm;
    g.publicKey = s.publicKey;
    g.passphraseFingerprint = s.passphraseFingerprint;
    g.issuedAt = s.issuedAt;
    g.expiresAt = s.expiresAt;
    if (s.effective != null) {
      g.permissions = s.effective.permissions == null ? List.of() : s.effective.permissions;
      g.ipWhitelist = s.effective.ipWhitelist == null ? List.of() : s.effective.ipWhitelist;
    }
    g.previous = KeyStatus.copyPrevious(s.previous);
    g.pending = KeyStatus.copyPending(s.pending);
    return g;
  }

  /**
   * The fields of authority in which {@code read} claims more or other than {@code trusted}: what a
   * repair restores and reports. A field the status leaves empty claims nothing, and neither does
   * its mirror of a pending key (bookkeeping of the operator's, never a grant).
   */
  public static List<String> disagreements(ApiKeyStatus read, ApiKeyStatus trusted) {
    List<String> fields = new ArrayList<>();
    if (expiredRecord(read) && expiredRecord(trusted)) {
      return fields;
    }
    if (trusted.pending != null
        && read.accessKey != null
        && read.accessKey.equals(trusted.pending.accessKey)) {
      // The status shows the key being written as issued: the writer wrote the status and has not
      // yet recorded the key as issued in the ledger (a crash or another replica in between).
      ApiKeyStatus finished = KeyStatus.copy(trusted);
      KeyStatus.finish(finished);
      trusted = finished;
    }
    claim(fields, "accessKey", read.accessKey, trusted.accessKey);
    claim(fields, "secretFingerprint", read.secretFingerprint, trusted.secretFingerprint);
    claim(fields, "publicKey", read.publicKey, trusted.publicKey);
    claim(
        fields, "passphraseFingerprint", read.passphraseFingerprint, trusted.passphraseFingerprint);
    claim(fields, "issuedAt", read.issuedAt, trusted.issuedAt);
    claim(fields, "expiresAt", read.expiresAt, trusted.expiresAt);
    claim(fields, "secretName", read.secretName, trusted.secretName);
    claim(fields, "previous", read.previous, trusted.previous);
    if (read.effective != null) {
      ApiKeyStatus.Effective t = trusted.effective;
      claim(fields, "effective.user", read.effective.user, t == null ? null : t.user);
      claim(fields, "effective.type", read.effective.type, t == null ? null : t.type);
      claim(
          fields,
          "effective.permissions",
          read.effective.permissions,
          t == null ? null : t.permissions);
      claim(
          fields,
          "effective.ipWhitelist",
          nonEmpty(read.effective.ipWhitelist),
          t == null ? null : nonEmpty(t.ipWhitelist));
    }
    if (KeyPlanner.EXPIRED.equals(read.phase) && !KeyPlanner.EXPIRED.equals(trusted.phase)) {
      fields.add("phase");
    }
    return fields;
  }

  private static boolean expiredRecord(ApiKeyStatus s) {
    return s != null && KeyPlanner.EXPIRED.equals(s.phase);
  }

  private static List<String> nonEmpty(List<String> l) {
    return l == null || l.isEmpty() ? null : l;
  }

  private static void claim(List<String> fields, String name, Object read, Object trusted) {
    if (read != null && !Objects.equals(read, trusted)) {
      fields.add(name);
    }
  }
}
