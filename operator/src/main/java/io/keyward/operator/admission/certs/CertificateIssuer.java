package io.keyward.operator.admission.certs;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * Makes the webhook's CA (a self-signed ECDSA P-256 certificate) and serving certificates it signs.
 * Pure: the time comes from the caller's clock, nothing here talks to Kubernetes.
 */
final class CertificateIssuer {
  /**
   * How far {@code notBefore} lies before the clock's now: an API server whose clock is a little
   * behind the operator's must not refuse a certificate made a moment ago as not yet valid.
   */
  static final Duration BACKDATE = Duration.ofMinutes(5);

  private static final String SIGNATURE = "SHA256withECDSA";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern DNS_NAME =
      Pattern.compile(
          "(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
          Pattern.CASE_INSENSITIVE);

  private CertificateIssuer() {}

  /** A certificate and its key pair. */
  record Issued(X509Certificate certificate, PrivateKey key) {}

  /** A new CA valid from now for {@code validity}. */
  static Issued newAuthority(Instant now, Duration validity) {
    KeyPair keys = newKeyPair();
    X500Name subject =
        name("Keyward webhook CA " + now.getEpochSecond() + "." + serial().toString(16));
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  subject,
                  serial(),
                  Date.from(now.minus(BACKDATE)),
                  Date.from(now.plus(validity)),
                  subject,
                  keys.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  ext.createSubjectKeyIdentifier(keys.getPublic()));
      return new Issued(sign(b, keys.getPrivate()), keys.getPrivate());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("the webhook CA cannot be made", e);
    }
  }

  /**
   * A serving certificate for {@code subjectNames} (the first is its common name), signed by {@code
   * ca}, valid from now for {@code validity} but never beyond the CA's own end.
   */
  static Issued newServing(Issued ca, List<String> subjectNames, Instant now, Duration validity) {
    if (subjectNames.isEmpty()) {
      throw new IllegalArgumentException("a serving certificate needs at least one name");
    }
    KeyPair keys = newKeyPair();
    Instant notAfter = now.plus(validity);
    Instant caEnd = ca.certificate().getNotAfter().toInstant();
    if (notAfter.isAfter(caEnd)) {
      notAfter = caEnd;
    }
    GeneralName[] names =
        subjectNames.stream().map(CertificateIssuer::generalName).toArray(GeneralName[]::new);
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  ca.certificate(),
                  serial(),
                  Date.from(now.minus(BACKDATE)),
                  Date.from(notAfter),
                  name(subjectNames.get(0)),
                  keys.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
              .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  ext.createSubjectKeyIdentifier(keys.getPublic()))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  ext.createAuthorityKeyIdentifier(ca.certificate()));
      return new Issued(sign(b, ca.key()), keys.getPrivate());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("the webhook serving certificate cannot be made", e);
    }
  }

  /**
   * Checks that {@code name} can be a subject alternative name: an IP literal or a DNS name.
   *
   * @throws IllegalArgumentException naming the rule otherwise
   */
  static String checkSubjectName(String name) {
    if (IPAddress.isValid(name)) {
      return name;
    }
    if (name.length() <= 253 && DNS_NAME.matcher(name).matches()) {
      return name.toLowerCase(Locale.ROOT);
    }
    throw new IllegalArgumentException(
        "is neither an IP address nor a DNS name (labels of letters, digits and hyphens,"
            + " separated by dots)");
  }

  private static GeneralName generalName(String name) {
    checkSubjectName(name);
    return IPAddress.isValid(name)
        ? new GeneralName(GeneralName.iPAddress, name)
        : new GeneralName(GeneralName.dNSName, name.toLowerCase(Locale.ROOT));
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder(SIGNATURE).build(signer)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("no " + SIGNATURE + " signer", e);
    }
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no ECDSA P-256 key pair generator", e);
    }
  }

  private static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
  }

  /** A positive 127-bit serial number, unique enough that no two certificates share one. */
  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).setBit(0);
  }
}
