package io.keyward.operator.issuance;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.Base64;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PrivateKeyInfoFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/** Generates access keys and secret keys from a {@link SecureRandom}. */
public final class KeyGenerator {
  /** Access keys start with this, so a leaked one is recognisable (and scannable). */
  public static final String ACCESS_KEY_PREFIX = "KW";

  private static final int ACCESS_KEY_BYTES = 20; // 160 bits
  private static final int HMAC_SECRET_BYTES = 32; // 256 bits
  // 192 bits in 32 base64url characters: OKX's own passphrases are at most 32 characters.
  private static final int PASSPHRASE_BYTES = 24;
  private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

  private final SecureRandom random;

  public KeyGenerator(SecureRandom random) {
    this.random = random;
  }

  /** A key generator on the platform's default non-blocking SecureRandom. */
  public KeyGenerator() {
    this(new SecureRandom());
  }

  /** A new access key and secret key for the algorithm, without a passphrase. */
  public KeyMaterial generate(KeyAlgorithm algorithm) {
    return generate(algorithm, false);
  }

  /**
   * A new access key and secret key for the algorithm, and with {@code withPassphrase} a passphrase
   * from the same random source (for OKX-compatible signing).
   */
  public KeyMaterial generate(KeyAlgorithm algorithm, boolean withPassphrase) {
    KeyMaterial key = generateKey(algorithm);
    if (!withPassphrase) {
      return key;
    }
    byte[] passphrase = new byte[PASSPHRASE_BYTES];
    random.nextBytes(passphrase);
    return new KeyMaterial(
        key.accessKey(),
        key.secretKey(),
        key.algorithm(),
        key.publicKey(),
        Base64.getUrlEncoder().withoutPadding().encodeToString(passphrase));
  }

  private KeyMaterial generateKey(KeyAlgorithm algorithm) {
    String accessKey = newAccessKey();
    return switch (algorithm) {
      case HMAC_SHA256 -> {
        byte[] secret = new byte[HMAC_SECRET_BYTES];
        random.nextBytes(secret);
        yield new KeyMaterial(
            accessKey,
            Base64.getUrlEncoder().withoutPadding().encodeToString(secret),
            algorithm,
            null);
      }
      case ED25519 -> {
        Ed25519KeyPairGenerator gen = new Ed25519KeyPairGenerator();
        gen.init(new Ed25519KeyGenerationParameters(random));
        AsymmetricCipherKeyPair pair = gen.generateKeyPair();
        yield new KeyMaterial(
            accessKey,
            privateKeyPem((Ed25519PrivateKeyParameters) pair.getPrivate()),
            algorithm,
            publicKeyPem((Ed25519PublicKeyParameters) pair.getPublic()));
      }
    };
  }

  /** {@code KW} and 160 random bits in RFC 4648 base32 (32 characters, no padding). */
  String newAccessKey() {
    byte[] bytes = new byte[ACCESS_KEY_BYTES];
    random.nextBytes(bytes);
    StringBuilder sb = new StringBuilder(ACCESS_KEY_PREFIX);
    int buffer = 0;
    int bits = 0;
    for (byte b : bytes) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        sb.append(BASE32[(buffer >> (bits - 5)) & 31]);
        bits -= 5;
      }
    }
    return sb.toString();
  }

  /** The verifying key (PEM) of an Ed25519 PKCS#8 PEM private key, for adopting a Secret. */
  public static String publicKeyOf(String privateKeyPem) {
    try (PemReader reader = new PemReader(new StringReader(privateKeyPem))) {
      PemObject pem = reader.readPemObject();
      if (pem == null || !"PRIVATE KEY".equals(pem.getType())) {
        throw new IllegalArgumentException("not a PKCS#8 PEM private key");
      }
      Ed25519PrivateKeyParameters key =
          (Ed25519PrivateKeyParameters)
              PrivateKeyFactory.createKey(PrivateKeyInfo.getInstance(pem.getContent()));
      return publicKeyPem(key.generatePublicKey());
    } catch (IOException | ClassCastException e) {
      // The message must not carry any part of the key.
      throw new IllegalArgumentException("not an Ed25519 PKCS#8 PEM private key");
    }
  }

  private static String privateKeyPem(Ed25519PrivateKeyParameters key) {
    try {
      return pem("PRIVATE KEY", PrivateKeyInfoFactory.createPrivateKeyInfo(key).getEncoded());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode an Ed25519 private key", e);
    }
  }

  private static String publicKeyPem(Ed25519PublicKeyParameters key) {
    try {
      return pem(
          "PUBLIC KEY", SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(key).getEncoded());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode an Ed25519 public key", e);
    }
  }

  private static String pem(String type, byte[] der) throws IOException {
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      writer.writeObject(new PemObject(type, der));
    }
    return out.toString();
  }
}
