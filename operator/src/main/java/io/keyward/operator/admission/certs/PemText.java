package io.keyward.operator.admission.certs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * PEM text of certificates and private keys, as a Secret of type {@code kubernetes.io/tls} holds
 * them. Keys are written as PKCS#8 ({@code PRIVATE KEY}); read are PKCS#8 and the SEC 1 / PKCS#1
 * forms ({@code EC PRIVATE KEY}, {@code RSA PRIVATE KEY}) cert-manager writes by default. No
 * message of an exception thrown here quotes the text it could not read.
 */
final class PemText {
  private PemText() {}

  /** One or more certificates as PEM blocks, in order. */
  static String certificates(List<X509Certificate> certificates) {
    StringWriter out = new StringWriter();
    try (PemWriter pem = new PemWriter(out)) {
      for (X509Certificate c : certificates) {
        pem.writeObject(new PemObject("CERTIFICATE", c.getEncoded()));
      }
    } catch (IOException | CertificateException e) {
      throw new IllegalStateException("a certificate cannot be encoded", e);
    }
    return out.toString();
  }

  /** A private key as a PKCS#8 PEM block. */
  static String privateKey(PrivateKey key) {
    StringWriter out = new StringWriter();
    try (PemWriter pem = new PemWriter(out)) {
      pem.writeObject(new PemObject("PRIVATE KEY", key.getEncoded()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * The certificates of PEM text, in order.
   *
   * @throws IllegalArgumentException when it holds none, or anything that is not one
   */
  static List<X509Certificate> readCertificates(byte[] pem) {
    try {
      Collection<? extends java.security.cert.Certificate> read =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem));
      List<X509Certificate> out = new ArrayList<>();
      for (java.security.cert.Certificate c : read) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException("holds no PEM certificate");
      }
      return List.copyOf(out);
    } catch (CertificateException e) {
      // The JDK's message may quote the text: not passed on.
      throw new IllegalArgumentException("holds no PEM certificate");
    }
  }

  /**
   * The one private key of PEM text.
   *
   * @throws IllegalArgumentException when it is not exactly one PEM private key
   */
  static PrivateKey readPrivateKey(byte[] pem) {
    Object first;
    Object second;
    try (PEMParser parser =
        new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
      first = parser.readObject();
      second = first == null ? null : parser.readObject();
    } catch (IOException | RuntimeException e) {
      // BouncyCastle's message may quote the text: not passed on.
      throw new IllegalArgumentException("is not a PEM private key");
    }
    if (first == null || second != null) {
      throw new IllegalArgumentException("is not exactly one PEM private key");
    }
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try {
      if (first instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (first instanceof PEMKeyPair pair) {
        return converter.getPrivateKey(pair.getPrivateKeyInfo());
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("is not a usable private key");
    }
    throw new IllegalArgumentException("is not an unencrypted PEM private key");
  }
}
