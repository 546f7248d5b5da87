package io.keyward.operator.admission.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The CA and serving certificates as made: names, validity from the given time, the chain. */
class CertificateIssuerTest {
  static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  static final List<String> NAMES =
      RenewalRule.subjectNames("keyward-webhook", "keyward-system", List.of("127.0.0.1", "::1"));

  @Test
  void theServingCertificateNamesTheServiceAndTheExtraNames() throws Exception {
    CertificateIssuer.Issued ca = CertificateIssuer.newAuthority(NOW, Duration.ofDays(365));
    CertificateIssuer.Issued tls =
        CertificateIssuer.newServing(ca, NAMES, NOW, Duration.ofDays(90));

    assertThat(RenewalRule.names(tls.certificate()))
        .containsExactly(
            "keyward-webhook",
            "keyward-webhook.keyward-system",
            "keyward-webhook.keyward-system.svc",
            "keyward-webhook.keyward-system.svc.cluster.local",
            "127.0.0.1",
            "0:0:0:0:0:0:0:1");
    // DNS names are type 2, IP addresses type 7 (an IP as a DNS name would not match).
    assertThat(tls.certificate().getSubjectAlternativeNames())
        .contains(List.of(7, "127.0.0.1"), List.of(2, "keyward-webhook.keyward-system.svc"));
    assertThat(tls.certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
    assertThat(tls.certificate().getBasicConstraints()).isEqualTo(-1);
    assertThat(ca.certificate().getBasicConstraints()).isEqualTo(0);
    assertThat(tls.certificate().getPublicKey().getAlgorithm()).isEqualTo("EC");
  }

  @Test
  void validityComesFromTheGivenTimeAndNeverOutlivesTheCa() {
    CertificateIssuer.Issued ca = CertificateIssuer.newAuthority(NOW, Duration.ofDays(30));
    assertThat(ca.certificate().getNotBefore().toInstant())
        .isEqualTo(NOW.minus(CertificateIssuer.BACKDATE));
    assertThat(ca.certificate().getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(30)));

    Instant later = NOW.plus(Duration.ofDays(10));
    CertificateIssuer.Issued tls =
        CertificateIssuer.newServing(ca, NAMES, later, Duration.ofDays(10));
    assertThat(tls.certificate().getNotBefore().toInstant())
        .isEqualTo(later.minus(CertificateIssuer.BACKDATE));
    assertThat(tls.certificate().getNotAfter().toInstant())
        .isEqualTo(later.plus(Duration.ofDays(10)));

    CertificateIssuer.Issued clamped =
        CertificateIssuer.newServing(ca, NAMES, later, Duration.ofDays(30));
    assertThat(clamped.certificate().getNotAfter()).isEqualTo(ca.certificate().getNotAfter());
  }

  @Test
  void theChainVerifiesWithTheJdksPathValidatorAndOnlyUnderItsCa() throws Exception {
    CertificateIssuer.Issued ca = CertificateIssuer.newAuthority(NOW, Duration.ofDays(365));
    CertificateIssuer.Issued tls =
        CertificateIssuer.newServing(ca, NAMES, NOW, Duration.ofDays(90));
    validate(tls.certificate(), ca.certificate(), NOW.plus(Duration.ofDays(1)));
    tls.certificate().verify(ca.certificate().getPublicKey());
    ca.certificate().verify(ca.certificate().getPublicKey());

    CertificateIssuer.Issued other = CertificateIssuer.newAuthority(NOW, Duration.ofDays(365));
    assertThatThrownBy(
            () -> validate(tls.certificate(), other.certificate(), NOW.plus(Duration.ofDays(1))))
        .isInstanceOf(CertPathValidatorException.class);
    assertThatThrownBy(
            () -> validate(tls.certificate(), ca.certificate(), NOW.plus(Duration.ofDays(91))))
        .as("expired")
        .isInstanceOf(CertPathValidatorException.class);
  }

  @Test
  void aNameThatIsNeitherDnsNorIpIsRefusedNamingTheOption() {
    assertThatThrownBy(
            () -> RenewalRule.subjectNames("svc", "ns", List.of("127.0.0.1", "bad name")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("admission.extraSubjectNames")
        .hasMessageContaining("'bad name'")
        .hasMessageContaining("neither an IP address nor a DNS name");
    assertThat(RenewalRule.subjectNames("svc", "ns", List.of("svc", "Webhook.example.com")))
        .as("repeats dropped")
        .containsExactly(
            "svc", "svc.ns", "svc.ns.svc", "svc.ns.svc.cluster.local", "webhook.example.com");
  }

  static void validate(X509Certificate leaf, X509Certificate ca, Instant at) throws Exception {
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
    params.setRevocationEnabled(false);
    params.setDate(Date.from(at));
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
  }
}
