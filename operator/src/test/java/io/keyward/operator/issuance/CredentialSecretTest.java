package io.keyward.operator.issuance;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.expiry.ExpiryPlan;
import io.keyward.operator.validation.ApiKeyRules;
import io.keyward.operator.validation.KeySettings;
import java.time.Instant;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The Secret's layout through a rotation and the end of its grace period. */
class CredentialSecretTest {
  private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
  private final KeyGenerator generator = new KeyGenerator();

  private static ApiKey key() {
    ApiKey k = new ApiKey();
    k.setMetadata(
        new ObjectMetaBuilder().withName("eth-bot").withNamespace("ns").withUid("u-1").build());
    return k;
  }

  private static KeySettings settings(Consumer<ApiKeySpec> edit) {
    ApiKeySpec spec = new ApiKeySpec();
    spec.user = "alice";
    spec.note = "bot";
    edit.accept(spec);
    return new ApiKeyRules(KeywardConfig.defaults())
        .validate("eth-bot", spec, ApiKeyRules.Prior.NONE)
        .settings();
  }

  @Test
  void aRotationMovesTheCurrentKeyToPreviousAsStoredAndWritesTheNewOne() {
    KeySettings settings = settings(s -> {});
    KeyMaterial first = generator.generate(KeyAlgorithm.HMAC_SHA256);
    Secret current =
        CredentialSecret.build(key(), settings, first, ExpiryPlan.forIssuance(T0, settings));
    current.getMetadata().setResourceVersion("41");

    KeyMaterial second = generator.generate(KeyAlgorithm.HMAC_SHA256);
    Instant later = T0.plusSeconds(3600);
    Instant until = later.plusSeconds(86400);
    Secret rotated =
        CredentialSecret.rotated(
            current, key(), settings, second, ExpiryPlan.forIssuance(later, settings), until);

    assertThat(CredentialSecret.data(rotated, "accessKey")).contains(second.accessKey());
    assertThat(CredentialSecret.data(rotated, "secretKey")).contains(second.secretKey());
    assertThat(rotated.getData().get("previousAccessKey"))
        .isEqualTo(current.getData().get("accessKey"));
    assertThat(rotated.getData().get("previousSecretKey"))
        .isEqualTo(current.getData().get("secretKey"));
    assertThat(rotated.getMetadata().getResourceVersion())
        .as("the update is a CAS")
        .isEqualTo("41");
    assertThat(rotated.getMetadata().getAnnotations())
        .containsEntry(CredentialSecret.ANN_ACCESS_KEY, second.accessKey())
        .containsEntry(CredentialSecret.ANN_FINGERPRINT, second.fingerprint())
        .containsEntry(CredentialSecret.ANN_PREVIOUS_ACCESS_KEY, first.accessKey())
        .containsEntry(CredentialSecret.ANN_PREVIOUS_VALID_UNTIL, until.toString());
    assertThat(CredentialSecret.hasPrevious(rotated)).isTrue();

    Secret ended = CredentialSecret.withoutPrevious(rotated);
    assertThat(CredentialSecret.hasPrevious(ended)).isFalse();
    assertThat(ended.getData()).doesNotContainKeys("previousAccessKey", "previousSecretKey");
    assertThat(ended.getMetadata().getAnnotations())
        .doesNotContainKeys(
            CredentialSecret.ANN_PREVIOUS_ACCESS_KEY, CredentialSecret.ANN_PREVIOUS_VALID_UNTIL)
        .containsEntry(CredentialSecret.ANN_ACCESS_KEY, second.accessKey());
    assertThat(CredentialSecret.data(ended, "secretKey")).contains(second.secretKey());
  }

  @Test
  void aPassphraseIsWrittenWithItsKeyAndMovesToPreviousDuringAGrace() {
    KeySettings settings = settings(s -> s.passphrase = true);
    assertThat(settings.passphrase()).isTrue();
    KeyMaterial first = generator.generate(KeyAlgorithm.HMAC_SHA256, true);
    Secret current =
        CredentialSecret.build(key(), settings, first, ExpiryPlan.forIssuance(T0, settings));
    assertThat(current.getData())
        .containsOnlyKeys("accessKey", "secretKey", "passphrase", "algorithm", "expiresAt");
    assertThat(CredentialSecret.data(current, "passphrase")).contains(first.passphrase());
    assertThat(CredentialSecret.observe(current, key(), settings).dataPassphraseFingerprint())
        .isEqualTo(first.passphraseFingerprint());

    KeyMaterial second = generator.generate(KeyAlgorithm.HMAC_SHA256, true);
    Secret rotated =
        CredentialSecret.rotated(
            current, key(), settings, second, ExpiryPlan.forIssuance(T0, settings), T0);
    assertThat(CredentialSecret.data(rotated, "passphrase")).contains(second.passphrase());
    assertThat(rotated.getData().get("previousPassphrase"))
        .isEqualTo(current.getData().get("passphrase"));

    Secret ended = CredentialSecret.withoutPrevious(rotated);
    assertThat(ended.getData())
        .doesNotContainKeys("previousAccessKey", "previousSecretKey", "previousPassphrase")
        .containsKey("passphrase");

    // Turned off: the next key has none, and without a grace nothing of the old one stays.
    KeySettings off = settings(s -> s.passphrase = false);
    KeyMaterial third = generator.generate(KeyAlgorithm.HMAC_SHA256, off.passphrase());
    Secret plain =
        CredentialSecret.rotated(rotated, key(), off, third, ExpiryPlan.forIssuance(T0, off), null);
    assertThat(plain.getData())
        .doesNotContainKeys("passphrase", "previousPassphrase", "previousSecretKey");
    assertThat(CredentialSecret.hasPrevious(plain)).isFalse();
  }

  @Test
  void aRotationAppliesNewKeyNamesAndReadsThePreviousKeyUnderTheNamesItWasWrittenWith() {
    KeySettings plain = settings(s -> {});
    KeyMaterial first = generator.generate(KeyAlgorithm.ED25519);
    Secret current = CredentialSecret.build(key(), plain, first, ExpiryPlan.forIssuance(T0, plain));

    KeySettings renamed =
        settings(
            s -> {
              s.algorithm = "Ed25519";
              s.secretTemplate = new ApiKeySpec.SecretTemplate();
              s.secretTemplate.keyNames = new ApiKeySpec.KeyNames();
              s.secretTemplate.keyNames.accessKey = "API_KEY";
              s.secretTemplate.keyNames.secretKey = "API_SECRET";
            });
    KeyMaterial second = generator.generate(KeyAlgorithm.ED25519);
    Secret rotated =
        CredentialSecret.rotated(
            current, key(), renamed, second, ExpiryPlan.forIssuance(T0, renamed), null);

    assertThat(rotated.getData()).containsKeys("API_KEY", "API_SECRET", "algorithm", "expiresAt");
    assertThat(rotated.getData()).doesNotContainKeys("accessKey", "secretKey");
    assertThat(CredentialSecret.data(rotated, "API_SECRET")).contains(second.secretKey());
    assertThat(CredentialSecret.hasPrevious(rotated)).as("no grace: nothing kept").isFalse();
    assertThat(CredentialSecret.dataKeys(rotated, "x", "y"))
        .containsExactly("API_KEY", "API_SECRET");

    KeyMaterial third = generator.generate(KeyAlgorithm.ED25519);
    Secret again =
        CredentialSecret.rotated(
            rotated, key(), renamed, third, ExpiryPlan.forIssuance(T0, renamed), T0);
    assertThat(CredentialSecret.data(again, "previousSecretKey")).contains(second.secretKey());
  }
}
