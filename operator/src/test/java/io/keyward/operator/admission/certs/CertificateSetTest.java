package io.keyward.operator.admission.certs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.junit.jupiter.api.Test;

/** A Secret as cert-manager writes it: PKCS#1 / SEC 1 keys, a chain in tls.crt, ca.crt or not. */
class CertificateSetTest {
  static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");

  @Test
  void cert_managersRsaDefaultIsRead() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair keys = g.generateKeyPair();
    X509Certificate cert = selfSigned(keys, "SHA256withRSA");
    String keyPem = traditional(keys);
    assertThat(keyPem).startsWith("-----BEGIN RSA PRIVATE KEY-----");

    CertificateSet set =
        CertificateSet.readIssued(
            Map.of(
                CertificateSet.TLS_CRT, RenewalRuleTest.b64(PemText.certificates(List.of(cert))),
                CertificateSet.TLS_KEY, RenewalRuleTest.b64(keyPem)));
    assertThat(set.serving()).isEqualTo(cert);
    assertThat(set.authorities()).isEmpty();
    assertThat(set.bundlePem()).isEmpty();
  }

  @Test
  void anEcKeyInSec1FormAndAChainWithItsCaAreRead() throws Exception {
    CertificateIssuer.Issued ca = CertificateIssuer.newAuthority(NOW, Duration.ofDays(10));
    CertificateIssuer.Issued tls =
        CertificateIssuer.newServing(ca, List.of("wh.ops.svc"), NOW, Duration.ofDays(5));
    // SEC 1 with the named curve, as Go's x509.MarshalECPrivateKey writes it.
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(tls.key().getEncoded());
    ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
    ECPrivateKey sec1 =
        new ECPrivateKey(256, inner.getKey(), info.getPrivateKeyAlgorithm().getParameters());
    StringWriter out = new StringWriter();
    try (PemWriter w = new PemWriter(out)) {
      w.writeObject(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
    }

    String chain = PemText.certificates(List.of(tls.certificate(), ca.certificate()));
    String caPem = PemText.certificates(List.of(ca.certificate()));
    CertificateSet set =
        CertificateSet.readIssued(
            Map.of(
                CertificateSet.TLS_CRT, RenewalRuleTest.b64(chain),
                CertificateSet.TLS_KEY, RenewalRuleTest.b64(out.toString()),
                CertificateSet.CA_CRT, RenewalRuleTest.b64(caPem)));
    assertThat(set.servingChain()).containsExactly(tls.certificate(), ca.certificate());
    assertThat(set.bundlePem()).isEqualTo(caPem);
    assertThat(set.authorityKey()).isEmpty();
  }

  static X509Certificate selfSigned(KeyPair keys, String algorithm) throws Exception {
    X500Name name = new X500Name("CN=wh.ops.svc");
    return new JcaX509CertificateConverter()
        .getCertificate(
            new JcaX509v3CertificateBuilder(
                    name,
                    BigInteger.ONE,
                    Date.from(NOW),
                    Date.from(NOW.plus(Duration.ofDays(1))),
                    name,
                    keys.getPublic())
                .build(new JcaContentSignerBuilder(algorithm).build(keys.getPrivate())));
  }

  static String traditional(KeyPair keys) throws Exception {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(keys);
    }
    return out.toString();
  }
}
