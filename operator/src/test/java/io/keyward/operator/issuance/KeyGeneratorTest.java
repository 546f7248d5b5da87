package io.keyward.operator.issuance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeyGeneratorTest {
  private final KeyGenerator generator = new KeyGenerator();

  @Test
  void hmacKeysCarry256BitsAndAccessKeys160() {
    KeyMaterial m = generator.generate(KeyAlgorithm.HMAC_SHA256);
    assertThat(m.accessKey()).matches("KW[A-Z2-7]{32}"); // 32 base32 chars = 160 bits
    assertThat(m.secretKey()).matches("[A-Za-z0-9_-]{43}");
    assertThat(Base64.getUrlDecoder().decode(m.secretKey())).hasSize(32);
    assertThat(m.publicKey()).isNull();
    assertThat(m.fingerprint()).isEqualTo(Fingerprint.of(m.secretKey()));
  }

  @Test
  void aPassphraseIsGeneratedOnlyWhenAskedWith192BitsOfUrlSafeText() {
    assertThat(generator.generate(KeyAlgorithm.HMAC_SHA256).passphrase()).isNull();
    assertThat(generator.generate(KeyAlgorithm.HMAC_SHA256).passphraseFingerprint()).isNull();

    KeyMaterial m = generator.generate(KeyAlgorithm.HMAC_SHA256, true);
    assertThat(m.passphrase()).matches("[A-Za-z0-9_-]{32}");
    assertThat(Base64.getUrlDecoder().decode(m.passphrase())).hasSize(24);
    assertThat(m.passphrase()).isNotEqualTo(m.secretKey());
    assertThat(m.passphraseFingerprint()).isEqualTo(Fingerprint.of(m.passphrase()));
    assertThat(m.toString()).doesNotContain(m.passphrase()).doesNotContain(m.secretKey());
    KeyMaterial ed = generator.generate(KeyAlgorithm.ED25519, true);
    assertThat(ed.passphrase()).matches("[A-Za-z0-9_-]{32}").isNotEqualTo(m.passphrase());
    assertThat(ed.publicKey()).startsWith("-----BEGIN PUBLIC KEY-----");
  }

  @Test
  void keysAreUnique() {
    Set<String> access = new HashSet<>();
    Set<String> secret = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      KeyMaterial m = generator.generate(KeyAlgorithm.HMAC_SHA256);
      access.add(m.accessKey());
      secret.add(m.secretKey());
    }
    assertThat(access).hasSize(1000);
    assertThat(secret).hasSize(1000);
  }

  @Test
  void ed25519PrivateKeyYieldsItsPublicKey() {
    KeyMaterial m = generator.generate(KeyAlgorithm.ED25519);
    assertThat(m.secretKey()).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(m.publicKey()).startsWith("-----BEGIN PUBLIC KEY-----");
    assertThat(KeyGenerator.publicKeyOf(m.secretKey())).isEqualTo(m.publicKey());
  }

  @Test
  void toStringAndErrorsNeverShowTheSecret() {
    KeyMaterial m = generator.generate(KeyAlgorithm.ED25519);
    assertThat(m.toString()).contains(m.accessKey()).doesNotContain(m.secretKey());
    String broken = m.secretKey().replace("PRIVATE KEY", "PUBLIC KEY");
    assertThatThrownBy(() -> KeyGenerator.publicKeyOf(broken))
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(m.secretKey().substring(28, 60)));
  }

  @Test
  void fingerprintIsSha256OfTheUtf8Text() {
    // sha256("abc")
    assertThat(Fingerprint.of("abc"))
        .isEqualTo("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(Fingerprint.matches("abc", Fingerprint.of("abc"))).isTrue();
    assertThat(Fingerprint.matches("abd", Fingerprint.of("abc"))).isFalse();
    assertThat(Fingerprint.matches(null, Fingerprint.of("abc"))).isFalse();
  }
}
