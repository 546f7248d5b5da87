package io.keyward.operator.apikey;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUserStatus.KeyGrant;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ledger's grant is the record; a status is only its mirror, repaired where it claims more. */
class KeyRecordTest {
  static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

  static KeyGrant grant() {
    KeyGrant g = new KeyGrant();
    g.secretName = "bot-credentials";
    g.accessKey = "KWGRANTED";
    g.secretFingerprint = "sha256:granted";
    g.algorithm = "HmacSHA256";
    g.issuedAt = "2026-11-01T10:00:00Z";
    g.expiresAt = "2027-01-30T10:00:00Z";
    g.permissions = List.of("read");
    g.ipWhitelist = List.of();
    return g;
  }

  /** What the operator writes for {@link #grant()}: its mirror. */
  static ApiKeyStatus mirror() {
    return KeyRecord.trusted(new ApiKeyStatus(), grant(), "alice", "spot", NOW);
  }

  @Test
  void aStatusThatMirrorsTheGrantClaimsNothingMore() {
    ApiKeyStatus s = mirror();
    s.phase = "Active";
    assertThat(KeyRecord.disagreements(s, KeyRecord.trusted(s, grant(), "alice", "spot", NOW)))
        .isEmpty();
    assertThat(KeyRecord.grantOf(s)).isEqualTo(grant());
  }

  @Test
  void forgedDeadlinesAndAccessAreReplacedByTheGrant() {
    ApiKeyStatus forged = mirror();
    forged.phase = "Active";
    forged.expiresAt = "2099-01-01T00:00:00Z";
    forged.effective.permissions = List.of("read", "trade", "withdraw");
    forged.effective.ipWhitelist = List.of("203.0.113.7");

    ApiKeyStatus trusted = KeyRecord.trusted(forged, grant(), "alice", "spot", NOW);

    assertThat(trusted.expiresAt).isEqualTo(grant().expiresAt);
    assertThat(trusted.effective.permissions).containsExactly("read");
    assertThat(trusted.effective.ipWhitelist).isEmpty();
    assertThat(KeyRecord.disagreements(forged, trusted))
        .containsExactly("expiresAt", "effective.permissions", "effective.ipWhitelist");
  }

  @Test
  void thePassphraseFingerprintComesFromTheGrantAndAForgedOneIsRepaired() {
    KeyGrant g = grant();
    g.passphraseFingerprint = "sha256:passphrase";
    ApiKeyStatus forged = KeyRecord.trusted(new ApiKeyStatus(), g, "alice", "spot", NOW);
    forged.phase = "Active";
    assertThat(KeyRecord.grantOf(forged)).isEqualTo(g);
    forged.passphraseFingerprint = "sha256:forged";

    ApiKeyStatus trusted = KeyRecord.trusted(forged, g, "alice", "spot", NOW);

    assertThat(trusted.passphraseFingerprint).isEqualTo("sha256:passphrase");
    assertThat(KeyRecord.disagreements(forged, trusted)).containsExactly("passphraseFingerprint");
    ApiKeyStatus claimed = mirror();
    claimed.passphraseFingerprint = "sha256:claimed";
    assertThat(KeyRecord.disagreements(claimed, mirror()))
        .as("a key granted without a passphrase")
        .containsExactly("passphraseFingerprint");
  }

  @Test
  void lastUsedAtIsNoFieldOfAuthority() {
    ApiKeyStatus used = mirror();
    used.phase = "Active";
    used.lastUsedAt = "2026-12-01T09:59:00Z";

    ApiKeyStatus trusted = KeyRecord.trusted(used, grant(), "alice", "spot", NOW);

    assertThat(KeyRecord.disagreements(used, trusted)).isEmpty();
    assertThat(trusted.lastUsedAt).as("kept, never repaired").isEqualTo("2026-12-01T09:59:00Z");
    assertThat(KeyRecord.grantOf(trusted)).isEqualTo(grant());
  }

  @Test
  void aKeyTheLedgerDoesNotRecordIsNoKey() {
    ApiKeyStatus forged = mirror();
    forged.phase = "Active";

    ApiKeyStatus trusted = KeyRecord.trusted(forged, null, null, null, NOW);

    assertThat(trusted.accessKey).isNull();
    assertThat(trusted.effective).isNull();
    assertThat(trusted.expiresAt).isNull();
    assertThat(trusted.secretName).isNull();
    assertThat(trusted.phase).isEqualTo("Pending");
    assertThat(KeyRecord.disagreements(forged, trusted))
        .contains("accessKey", "secretFingerprint", "expiresAt", "effective.permissions");
    assertThat(KeyRecord.grantOf(trusted)).isNull();
  }

  @Test
  void anExpiredKeyKeepsItsAccessKeyAsHistoryAndHoldsNothing() {
    ApiKeyStatus expired = mirror();
    expired.phase = "Expired";

    ApiKeyStatus trusted = KeyRecord.trusted(expired, null, null, null, NOW);

    assertThat(trusted.phase).isEqualTo("Expired");
    assertThat(trusted.accessKey).isEqualTo("KWGRANTED");
    assertThat(trusted.effective).isNull();
    assertThat(KeyRecord.disagreements(expired, trusted)).isEmpty();
    assertThat(KeyRecord.grantOf(trusted)).isNull();
  }

  @Test
  void aForgedExpiryBeforeTheGrantsDeadlineIsNotBelieved() {
    ApiKeyStatus forged = mirror();
    forged.phase = "Expired";

    ApiKeyStatus trusted = KeyRecord.trusted(forged, grant(), "alice", "spot", NOW);

    assertThat(trusted.phase).isNull();
    assertThat(KeyRecord.disagreements(forged, trusted)).containsExactly("phase");
    // At the grant's deadline an Expired status is the operator's own: the slot goes next.
    Instant deadline = Instant.parse(grant().expiresAt);
    assertThat(KeyRecord.trusted(forged, grant(), "alice", "spot", deadline).phase)
        .isEqualTo("Expired");
  }

  @Test
  void aStatusShowingTheKeyBeingWrittenIsAWriterInFlightNotAForgery() {
    KeyGrant g = grant();
    g.pending = new ApiKeyStatus.PendingKey();
    g.pending.accessKey = "KWNEXT";
    g.pending.secretFingerprint = "sha256:next";
    g.pending.algorithm = "HmacSHA256";
    g.pending.issuedAt = NOW.toString();
    g.pending.expiresAt = "2027-03-01T10:00:00Z";
    g.pending.reason = "Rotate";
    g.pending.previousValidUntil = "2026-12-02T10:00:00Z";
    ApiKeyStatus written = KeyRecord.trusted(new ApiKeyStatus(), g, "alice", "spot", NOW);
    KeyStatus.finish(written);

    ApiKeyStatus trusted = KeyRecord.trusted(written, g, "alice", "spot", NOW);

    assertThat(KeyRecord.disagreements(written, trusted)).isEmpty();
    assertThat(trusted.accessKey).isEqualTo("KWGRANTED");
    assertThat(trusted.pending.accessKey).isEqualTo("KWNEXT");
  }

  @Test
  void theUserAndTypeOfTheGrantComeFromTheLedgerEntry() {
    ApiKeyStatus forged = mirror();
    forged.effective.user = "mallory";
    ApiKeyStatus trusted = KeyRecord.trusted(forged, grant(), "alice", "spot", NOW);
    assertThat(trusted.effective.user).isEqualTo("alice");
    assertThat(KeyRecord.disagreements(forged, trusted)).containsExactly("effective.user");
  }
}
