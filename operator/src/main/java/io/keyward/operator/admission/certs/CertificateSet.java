package io.keyward.operator.admission.certs;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the webhook's certificate Secret holds: the CA bundle clients trust, the key of the CA that
 * signs (absent when cert-manager wrote the Secret), and the serving certificate chain (leaf first)
 * with its key. The {@code read} methods check the structure (each key belongs to its certificate,
 * the signing CA is a CA and in the bundle); whether the certificates are still good at a time is
 * {@link RenewalRule}'s to judge.
 */
record CertificateSet(
    List<X509Certificate> authorities,
    Optional<PrivateKey> authorityKey,
    List<X509Certificate> servingChain,
    PrivateKey servingKey) {

  /** Data key: the CA bundle (PEM, one or more certificates). */
  static final String CA_CRT = "ca.crt";

  /** Data key: the signing CA's private key (PEM, PKCS#8). */
  static final String CA_KEY = "ca.key";

  /** Data key: the serving certificate (PEM, leaf first). */
  static final String TLS_CRT = "tls.crt";

  /** Data key: the serving certificate's private key (PEM, PKCS#8). */
  static final String TLS_KEY = "tls.key";

  private static final SecureRandom RANDOM = new SecureRandom();

  CertificateSet {
    authorities = List.copyOf(authorities);
    servingChain = List.copyOf(servingChain);
    if (servingChain.isEmpty()) {
      throw new IllegalArgumentException("a serving chain needs its leaf");
    }
  }

  /** Something in the Secret that makes it unusable; the message names the data key and rule. */
  static final class Unusable extends Exception {
    Unusable(String message) {
      super(message, null, false, false);
    }
  }

  /** The set the operator made: CA bundle, signing CA key, serving certificate and key. */
  static CertificateSet ofOwn(
      List<X509Certificate> authorities,
      CertificateIssuer.Issued ca,
      CertificateIssuer.Issued tls) {
    return new CertificateSet(
        authorities, Optional.of(ca.key()), List.of(tls.certificate()), tls.key());
  }

  /**
   * Reads a Secret the operator keeps: all four keys, the CA key belongs to a CA certificate of the
   * bundle, the serving key to the serving certificate.
   */
  static CertificateSet readOwn(Map<String, String> data) throws Unusable {
    List<X509Certificate> bundle = certificates(data, CA_CRT);
    PrivateKey caKey = key(data, CA_KEY);
    List<X509Certificate> chain = certificates(data, TLS_CRT);
    PrivateKey tlsKey = key(data, TLS_KEY);
    CertificateSet set = new CertificateSet(bundle, Optional.of(caKey), chain, tlsKey);
    X509Certificate ca = set.authority();
    if (ca == null) {
      throw new Unusable("data." + CA_KEY + " belongs to no certificate of data." + CA_CRT);
    }
    if (ca.getBasicConstraints() < 0) {
      throw new Unusable("data." + CA_CRT + ": the certificate of data." + CA_KEY + " is no CA");
    }
    if (!signedBy(ca, ca)) {
      throw new Unusable(
          "data." + CA_CRT + ": the certificate of data." + CA_KEY + " is not" + " self-signed");
    }
    checkKey(set.serving(), tlsKey);
    return set;
  }

  /**
   * Reads a Secret cert-manager writes: {@code tls.crt} and {@code tls.key} (the key belonging to
   * the leaf), {@code ca.crt} when there is one.
   */
  static CertificateSet readIssued(Map<String, String> data) throws Unusable {
    List<X509Certificate> chain = certificates(data, TLS_CRT);
    PrivateKey tlsKey = key(data, TLS_KEY);
    List<X509Certificate> bundle =
        data.get(CA_CRT) == null || data.get(CA_CRT).isEmpty()
            ? List.of()
            : certificates(data, CA_CRT);
    checkKey(chain.get(0), tlsKey);
    return new CertificateSet(bundle, Optional.empty(), chain, tlsKey);
  }

  /** The serving leaf certificate. */
  X509Certificate serving() {
    return servingChain.get(0);
  }

  /** The bundle's certificate whose key is {@link #authorityKey()}, or null. */
  X509Certificate authority() {
    if (authorityKey.isEmpty()) {
      return null;
    }
    for (X509Certificate c : authorities) {
      if (belongs(c.getPublicKey(), authorityKey.get())) {
        return c;
      }
    }
    return null;
  }

  /** The CA bundle as PEM text (what a webhook configuration's caBundle decodes to). */
  String bundlePem() {
    return authorities.isEmpty() ? "" : PemText.certificates(authorities);
  }

  /** The Secret data (base64 values) the operator writes for this set. */
  Map<String, String> data() {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(CA_CRT, base64(bundlePem()));
    authorityKey.ifPresent(k -> data.put(CA_KEY, base64(PemText.privateKey(k))));
    data.put(TLS_CRT, base64(PemText.certificates(servingChain)));
    data.put(TLS_KEY, base64(PemText.privateKey(servingKey)));
    return data;
  }

  /** Whether {@code cert} verifies under {@code issuer}'s public key. */
  static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
    if (!cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
      return false;
    }
    try {
      cert.verify(issuer.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static void checkKey(X509Certificate cert, PrivateKey key) throws Unusable {
    if (!belongs(cert.getPublicKey(), key)) {
      throw new Unusable(
          "data." + TLS_KEY + " does not belong to the certificate of data." + TLS_CRT);
    }
  }

  /** Whether {@code key} is the private half of {@code pub}: a signature with it verifies. */
  static boolean belongs(PublicKey pub, PrivateKey key) {
    if (!pub.getAlgorithm().equals(key.getAlgorithm())) {
      return false;
    }
    String algorithm =
        switch (key.getAlgorithm()) {
          case "EC" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    if (algorithm == null) {
      return false;
    }
    byte[] probe = new byte[32];
    RANDOM.nextBytes(probe);
    try {
      Signature s = Signature.getInstance(algorithm);
      s.initSign(key);
      s.update(probe);
      byte[] signature = s.sign();
      Signature v = Signature.getInstance(algorithm);
      v.initVerify(pub);
      v.update(probe);
      return v.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static List<X509Certificate> certificates(Map<String, String> data, String key)
      throws Unusable {
    try {
      return new ArrayList<>(PemText.readCertificates(decoded(data, key)));
    } catch (IllegalArgumentException e) {
      throw new Unusable("data." + key + " " + e.getMessage());
    }
  }

  private static PrivateKey key(Map<String, String> data, String key) throws Unusable {
    try {
      return PemText.readPrivateKey(decoded(data, key));
    } catch (IllegalArgumentException e) {
      throw new Unusable("data." + key + " " + e.getMessage());
    }
  }

  private static byte[] decoded(Map<String, String> data, String key) throws Unusable {
    String v = data == null ? null : data.get(key);
    if (v == null || v.isEmpty()) {
      throw new Unusable("data." + key + " is missing");
    }
    try {
      return Base64.getDecoder().decode(v);
    } catch (IllegalArgumentException e) {
      throw new Unusable("data." + key + " is not base64");
    }
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }

  @Override
  public String toString() {
    // Never the keys.
    return "CertificateSet[serving serial " + serving().getSerialNumber().toString(16) + "]";
  }
}
