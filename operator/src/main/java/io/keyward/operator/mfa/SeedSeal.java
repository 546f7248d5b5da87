package io.keyward.operator.mfa;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals a user's TOTP secret for {@code status.mfa.sealedSeed}: AES-256-GCM with the operator's
 * sealing key, a random 96-bit nonce, and the ApiUser's name and uid as associated data, so a
 * sealed seed opens only for the account it was sealed for (copied into another user's status, or
 * kept across a delete and re-create of the same name, it is refused). The form is {@code v1.} and
 * the base64url of nonce, ciphertext and tag. Neither the key nor a seed is ever in a message:
 * {@link #toString()} names the algorithm only, and a refusal says no more than that it was
 * refused.
 */
public final class SeedSeal {
  /** The length of the sealing key: 256 bits. */
  public static final int KEY_BYTES = 32;

  private static final String PREFIX = "v1.";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final byte[] CONTEXT =
      "keyward.io/totp-seed/v1".getBytes(StandardCharsets.US_ASCII);

  private final SecretKeySpec key;
  private final SecureRandom random;

  private SeedSeal(byte[] key, SecureRandom random) {
    if (key == null || key.length != KEY_BYTES) {
      throw new IllegalArgumentException("a sealing key is " + KEY_BYTES + " bytes (AES-256)");
    }
    this.key = new SecretKeySpec(key.clone(), "AES");
    this.random = random;
  }

  /** A seal with this key (a copy is kept; the caller may clear its array). */
  public static SeedSeal withKey(byte[] key) {
    return new SeedSeal(key, new SecureRandom());
  }

  /** A new random sealing key. */
  public static byte[] newKey() {
    byte[] key = new byte[KEY_BYTES];
    new SecureRandom().nextBytes(key);
    return key;
  }

  /** A sealed seed could not be opened: wrong key, wrong account, or changed. */
  public static final class Refused extends RuntimeException {
    Refused() {
      super(
          "sealed TOTP secret refused: it does not open for this account with this key",
          null,
          false,
          false);
    }
  }

  /** Seals {@code seed} for the ApiUser {@code user} with uid {@code uid}. */
  public String seal(String seed, String user, String uid) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    byte[] plain = seed.getBytes(StandardCharsets.US_ASCII);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(aad(user, uid));
      byte[] sealed = cipher.doFinal(plain);
      byte[] out = new byte[NONCE_BYTES + sealed.length];
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
      return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    } catch (GeneralSecurityException e) {
      // AES-GCM is in every JDK; nothing of the seed is in this message.
      throw new IllegalStateException("AES-256-GCM is not available", null);
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /**
   * The seed sealed in {@code sealed} for this user.
   *
   * @throws Refused when it was not sealed with this key for this user's name and uid, or was
   *     changed
   */
  public String open(String sealed, String user, String uid) {
    if (sealed == null || !sealed.startsWith(PREFIX)) {
      throw new Refused();
    }
    byte[] in;
    try {
      in = Base64.getUrlDecoder().decode(sealed.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new Refused();
    }
    if (in.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new Refused();
    }
    byte[] plain = null;
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, 0, NONCE_BYTES));
      cipher.updateAAD(aad(user, uid));
      plain = cipher.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES);
      return new String(plain, StandardCharsets.US_ASCII);
    } catch (GeneralSecurityException e) {
      throw new Refused();
    } finally {
      if (plain != null) {
        Arrays.fill(plain, (byte) 0);
      }
    }
  }

  /** As {@link #open}, empty instead of a refusal (and for no sealed seed at all). */
  public Optional<String> tryOpen(String sealed, String user, String uid) {
    if (sealed == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(open(sealed, user, uid));
    } catch (Refused e) {
      return Optional.empty();
    }
  }

  /** Whether {@code sealed} opens for this user. */
  public boolean opens(String sealed, String user, String uid) {
    return tryOpen(sealed, user, uid).isPresent();
  }

  // The context, then each value after a NUL: a name or uid holds no NUL, so no two pairs of them
  // give the same bytes.
  private static byte[] aad(String user, String uid) {
    byte[] u = user.getBytes(StandardCharsets.UTF_8);
    byte[] i = uid.getBytes(StandardCharsets.UTF_8);
    byte[] aad = new byte[CONTEXT.length + 1 + u.length + 1 + i.length];
    System.arraycopy(CONTEXT, 0, aad, 0, CONTEXT.length);
    System.arraycopy(u, 0, aad, CONTEXT.length + 1, u.length);
    System.arraycopy(i, 0, aad, CONTEXT.length + 2 + u.length, i.length);
    return aad;
  }

  @Override
  public String toString() {
    return "SeedSeal[AES-256-GCM]";
  }
}
