package io.keyward.operator.issuance;

import static io.keyward.operator.issuance.SecretCheck.Verdict.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.issuance.SecretCheck.KeyRecord;
import io.keyward.operator.issuance.SecretCheck.Observed;
import org.junit.jupiter.api.Test;

/** Every step at which an issuance can be interrupted, and what the next run does. */
class SecretCheckTest {
  private static final KeyRecord K1 = new KeyRecord("KW1", "sha256:1");
  private static final KeyRecord K2 = new KeyRecord("KW2", "sha256:2");

  private static Observed holding(KeyRecord k) {
    return new Observed(true, true, k.accessKey(), k.fingerprint(), k.accessKey(), k.fingerprint());
  }

  @Test
  void nothingYetIssues() {
    assertThat(SecretCheck.decide(null, null, Observed.ABSENT)).isEqualTo(ISSUE);
  }

  @Test
  void crashAfterPendingBeforeSecretIssuesAgainWithoutALoss() {
    assertThat(SecretCheck.decide(null, K1, Observed.ABSENT)).isEqualTo(ISSUE);
  }

  @Test
  void crashAfterSecretBeforeStatusFinishes() {
    assertThat(SecretCheck.decide(null, K1, holding(K1))).isEqualTo(FINISH_PENDING);
  }

  @Test
  void steadyStateDoesNothing() {
    assertThat(SecretCheck.decide(K1, null, holding(K1))).isEqualTo(STEADY);
  }

  @Test
  void pendingThatNeverReachedTheSecretIsDropped() {
    assertThat(SecretCheck.decide(K1, K2, holding(K1))).isEqualTo(DROP_STALE_PENDING);
  }

  @Test
  void lostSecretReissues() {
    assertThat(SecretCheck.decide(K1, null, Observed.ABSENT)).isEqualTo(REISSUE_LOST);
    assertThat(SecretCheck.decide(K1, K2, Observed.ABSENT)).isEqualTo(REISSUE_LOST);
  }

  @Test
  void reissueInterruptedAfterTheNewSecretFinishes() {
    assertThat(SecretCheck.decide(K1, K2, holding(K2))).isEqualTo(FINISH_PENDING);
  }

  @Test
  void tamperedSecretIsReplaced() {
    Observed planted = new Observed(true, true, "KW1", "sha256:evil", "KW1", "sha256:1");
    assertThat(SecretCheck.decide(K1, null, planted)).isEqualTo(REPLACE_TAMPERED);
    Observed missingKey = new Observed(true, true, "KW1", null, "KW1", "sha256:1");
    assertThat(SecretCheck.decide(K1, null, missingKey)).isEqualTo(REPLACE_TAMPERED);
  }

  @Test
  void aSecretTheRecordDoesNotNameIsNeverAdopted() {
    // Its ownerReference and a consistent fingerprint annotation are as easy to copy as to plant.
    assertThat(SecretCheck.decide(null, null, holding(K1))).isEqualTo(REPLACE_TAMPERED);
    Observed inconsistent = new Observed(true, true, "KW1", "sha256:1", "KW1", "sha256:other");
    assertThat(SecretCheck.decide(null, null, inconsistent)).isEqualTo(REPLACE_TAMPERED);
    // Issuance recorded K2 as pending, then found a Secret there holding K1.
    assertThat(SecretCheck.decide(null, K2, holding(K1))).isEqualTo(REPLACE_TAMPERED);
  }

  @Test
  void aKeyWithAPassphraseIsHeldOnlyWithThatPassphrase() {
    KeyRecord withPassphrase = new KeyRecord("KW1", "sha256:1", "sha256:p1");
    Observed written = new Observed(true, true, "KW1", "sha256:1", "KW1", "sha256:1", "sha256:p1");
    assertThat(SecretCheck.decide(withPassphrase, null, written)).isEqualTo(STEADY);
    assertThat(SecretCheck.decide(null, withPassphrase, written)).isEqualTo(FINISH_PENDING);
    Observed edited = new Observed(true, true, "KW1", "sha256:1", "KW1", "sha256:1", "sha256:p2");
    assertThat(SecretCheck.decide(withPassphrase, null, edited)).isEqualTo(REPLACE_TAMPERED);
    assertThat(SecretCheck.decide(withPassphrase, null, holding(K1)))
        .as("its passphrase removed")
        .isEqualTo(REPLACE_TAMPERED);
    // A passphrase the record does not name changes nothing: the key has none.
    assertThat(SecretCheck.decide(K1, null, written)).isEqualTo(STEADY);
  }

  @Test
  void aSecretOfSomethingElseIsNeverTouched() {
    Observed foreign = new Observed(true, false, "KW1", "sha256:1", "KW1", "sha256:1");
    assertThat(SecretCheck.decide(null, null, foreign)).isEqualTo(CONFLICT);
    assertThat(SecretCheck.decide(K1, null, foreign)).isEqualTo(CONFLICT);
  }
}
