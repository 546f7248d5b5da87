package io.keyward.operator.mfa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * The seal of a TOTP secret: it opens for the account it was sealed for and nothing else, a changed
 * byte is refused, and neither the key nor the secret is ever in a message.
 */
class SeedSealTest {
  static final Totp TOTP = new Totp();
  static final String UID = "6b1f0c7e-0000-4000-8000-000000000001";

  final byte[] key = SeedSeal.newKey();
  final SeedSeal seal = SeedSeal.withKey(key);
  final String seed = TOTP.newSecret();

  @Test
  void aSealedSecretOpensForItsAccount() {
    String sealed = seal.seal(seed, "alice", UID);
    assertThat(sealed).startsWith("v1.").doesNotContain(seed);
    assertThat(seal.open(sealed, "alice", UID)).isEqualTo(seed);
    assertThat(SeedSeal.withKey(key).open(sealed, "alice", UID))
        .as("another instance with the same key, as another replica")
        .isEqualTo(seed);
  }

  @Test
  void eachSealHasItsOwnNonce() {
    assertThat(seal.seal(seed, "alice", UID)).isNotEqualTo(seal.seal(seed, "alice", UID));
  }

  @Test
  void anotherAccountsNameOrUidIsRefused() {
    String sealed = seal.seal(seed, "alice", UID);
    assertThatThrownBy(() -> seal.open(sealed, "bob", UID)).isInstanceOf(SeedSeal.Refused.class);
    assertThatThrownBy(() -> seal.open(sealed, "alice", "another-uid"))
        .isInstanceOf(SeedSeal.Refused.class);
    // The name and uid are kept apart: moving characters from one to the other changes the AAD.
    String split = seal.seal(seed, "ab", "c");
    assertThatThrownBy(() -> seal.open(split, "a", "bc")).isInstanceOf(SeedSeal.Refused.class);
    assertThat(seal.tryOpen(sealed, "bob", UID)).isEmpty();
    assertThat(seal.opens(sealed, "alice", UID)).isTrue();
    assertThat(seal.opens(sealed, "bob", UID)).isFalse();
  }

  @Test
  void anotherKeyIsRefused() {
    String sealed = seal.seal(seed, "alice", UID);
    assertThatThrownBy(() -> SeedSeal.withKey(SeedSeal.newKey()).open(sealed, "alice", UID))
        .isInstanceOf(SeedSeal.Refused.class);
  }

  @Test
  void aChangedByteIsRefused() {
    String sealed = seal.seal(seed, "alice", UID);
    byte[] raw = Base64.getUrlDecoder().decode(sealed.substring(3));
    for (int i = 0; i < raw.length; i++) {
      byte[] tampered = raw.clone();
      tampered[i] ^= 0x01;
      String t = "v1." + Base64.getUrlEncoder().withoutPadding().encodeToString(tampered);
      assertThat(seal.tryOpen(t, "alice", UID)).as("byte %d flipped", i).isEmpty();
    }
    byte[] cut = java.util.Arrays.copyOf(raw, raw.length - 1);
    assertThat(
            seal.tryOpen(
                "v1." + Base64.getUrlEncoder().withoutPadding().encodeToString(cut), "alice", UID))
        .isEmpty();
  }

  @Test
  void malformedValuesAreRefusedNotThrownAbout() {
    for (String bad : new String[] {"", "v1.", "v1.!!!", "v2.AAAA", seed, "v1.AAAA"}) {
      assertThatThrownBy(() -> seal.open(bad, "alice", UID))
          .as(bad)
          .isInstanceOf(SeedSeal.Refused.class);
    }
    assertThat(seal.tryOpen(null, "alice", UID)).isEmpty();
  }

  @Test
  void noSecretInAMessage() {
    String sealed = seal.seal(seed, "alice", UID);
    assertThat(seal.toString()).isEqualTo("SeedSeal[AES-256-GCM]");
    Throwable refused = catchRefusal(() -> seal.open(sealed, "bob", UID));
    String b64Key = Base64.getEncoder().encodeToString(key);
    assertThat(refused.getMessage())
        .doesNotContain(seed)
        .doesNotContain(b64Key)
        .doesNotContain(sealed.substring(3))
        .doesNotContain("bob");
    assertThat(refused.getCause()).isNull();
    assertThat(refused.getStackTrace()).as("no stack to carry anything").isEmpty();
  }

  @Test
  void aKeyOfAnotherLengthIsRefused() {
    assertThatThrownBy(() -> SeedSeal.withKey(new byte[16]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a sealing key is 32 bytes (AES-256)");
    assertThatThrownBy(() -> SeedSeal.withKey(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theKeyArrayGivenIsCopied() {
    String sealed = seal.seal(seed, "alice", UID);
    java.util.Arrays.fill(key, (byte) 0);
    assertThat(seal.open(sealed, "alice", UID)).isEqualTo(seed);
  }

  private static Throwable catchRefusal(Runnable r) {
    try {
      r.run();
    } catch (SeedSeal.Refused e) {
      return e;
    }
    throw new AssertionError("not refused");
  }
}
