package io.keyward.verifier.scheme;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a bot's client library does, written here with plain javax.crypto and java.security only:
 * the schemes' own code never computes a signature, so the tests check it against this.
 */
final class ClientSigning {
  private ClientSigning() {}

  static byte[] hmac(String secret, String text) {
    return hmac(secret, text.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] hmac(String secret, byte[] bytes) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(bytes);
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  static String hmacHex(String secret, String text) {
    return HexFormat.of().formatHex(hmac(secret, text));
  }

  static String hmacBase64(String secret, String text) {
    return Base64.getEncoder().encodeToString(hmac(secret, text));
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  static KeyPair ed25519() {
    try {
      return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  static byte[] ed25519Sign(KeyPair keys, String text) {
    try {
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(keys.getPrivate());
      signer.update(text.getBytes(StandardCharsets.UTF_8));
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  static boolean ed25519Verifies(PublicKey key, byte[] payload, byte[] signature) {
    try {
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(key);
      verifier.update(payload);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** Whether an HMAC under {@code secret} over {@code payload} is {@code signature}. */
  static boolean hmacVerifies(String secret, byte[] payload, byte[] signature) {
    return MessageDigest.isEqual(hmac(secret, payload), signature);
  }
}
