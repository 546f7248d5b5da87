package io.keyward.operator.admission.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyward.operator.MutableClock;
import io.keyward.operator.admission.certs.RenewalRule.Action;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * When the operator's own CA and serving certificate are renewed (a third left), what replaces them
 * (the old CA kept in the bundle until it expires), and which Secret contents are unusable.
 */
class RenewalRuleTest {
  static final Instant START = Instant.parse("2030-01-01T00:00:00Z");
  static final List<String> NAMES = RenewalRule.subjectNames("wh", "ops", List.of("127.0.0.1"));

  final MutableClock clock = new MutableClock(START);
  final RenewalRule rule = new RenewalRule(NAMES, Duration.ofDays(30), Duration.ofDays(9));

  CertificateSet created() {
    return rule.next(null, new RenewalRule.Decision(Action.CREATE, "none"), clock.instant());
  }

  /** Through the Secret's data and back, as every round reads it. */
  static CertificateSet stored(CertificateSet set) throws CertificateSet.Unusable {
    return CertificateSet.readOwn(set.data());
  }

  @Test
  void theServingCertificateIsRenewedFromTheSameCaWhenAThirdIsLeft() throws Exception {
    CertificateSet set = stored(created());
    assertThat(rule.decide(set, clock.instant()).action()).isEqualTo(Action.KEEP);
    // 9 days plus the backdating: a third of that is left 6 days and 1m40s after notBefore.
    Instant due = RenewalRule.renewAt(set.serving());
    assertThat(due)
        .isEqualTo(
            set.serving()
                .getNotAfter()
                .toInstant()
                .minus(Duration.ofDays(9).plus(CertificateIssuer.BACKDATE).dividedBy(3)));
    clock.advance(Duration.between(clock.instant(), due).minusSeconds(1));
    assertThat(rule.decide(set, clock.instant()).action()).isEqualTo(Action.KEEP);
    assertThat(rule.nextDecision(set)).isEqualTo(due);

    clock.advance(Duration.ofSeconds(1));
    RenewalRule.Decision d = rule.decide(set, clock.instant());
    assertThat(d.action()).isEqualTo(Action.RENEW_SERVING);
    assertThat(d.reason()).contains("a third");

    CertificateSet renewed = stored(rule.next(set, d, clock.instant()));
    assertThat(renewed.authority()).isEqualTo(set.authority());
    assertThat(renewed.authorities()).containsExactly(set.authority());
    assertThat(renewed.serving()).isNotEqualTo(set.serving());
    assertThat(renewed.serving().getNotAfter().toInstant())
        .isEqualTo(clock.instant().plus(Duration.ofDays(9)));
    renewed.serving().verify(set.authority().getPublicKey());
    assertThat(rule.decide(renewed, clock.instant()).action()).isEqualTo(Action.KEEP);
  }

  @Test
  void aNewCaKeepsTheOldOneInTheBundleUntilItExpires() throws Exception {
    CertificateSet first = stored(created());
    X509Certificate oldCa = first.authority();
    X509Certificate oldServing = first.serving();
    CertificateSet set = first;
    // Serving renewals come first (9 days); the CA is due when a third of 30 days is left.
    while (rule.decide(set, clock.instant()).action() != Action.RENEW_AUTHORITY) {
      RenewalRule.Decision d = rule.decide(set, clock.instant());
      if (d.action() == Action.RENEW_SERVING) {
        set = stored(rule.next(set, d, clock.instant()));
      }
      clock.advance(Duration.ofHours(6));
    }
    assertThat(clock.instant()).isAfterOrEqualTo(RenewalRule.renewAt(oldCa));
    assertThat(clock.instant()).isBefore(oldCa.getNotAfter().toInstant());
    X509Certificate servingBefore = set.serving();

    CertificateSet rolled =
        stored(rule.next(set, rule.decide(set, clock.instant()), clock.instant()));
    assertThat(rolled.authority()).isNotEqualTo(oldCa);
    assertThat(rolled.authorities()).containsExactly(rolled.authority(), oldCa);
    CertificateIssuerTest.validate(rolled.serving(), rolled.authority(), clock.instant());
    // The certificate another replica may still serve verifies under the bundle's old CA.
    CertificateIssuerTest.validate(servingBefore, oldCa, clock.instant());
    assertThat(CertificateSet.signedBy(oldServing, oldCa)).isTrue();
    assertThat(rule.decide(rolled, clock.instant()).action()).isEqualTo(Action.KEEP);

    // Once the old CA has expired, the next renewal leaves it out.
    CertificateSet later = rolled;
    while (clock.instant().isBefore(oldCa.getNotAfter().toInstant())
        || later.authorities().size() > 1) {
      clock.advance(Duration.ofHours(6));
      RenewalRule.Decision d = rule.decide(later, clock.instant());
      if (d.action() != Action.KEEP) {
        assertThat(d.action()).isEqualTo(Action.RENEW_SERVING);
        later = stored(rule.next(later, d, clock.instant()));
      }
    }
    assertThat(later.authorities()).containsExactly(rolled.authority());
  }

  @Test
  void anExpiredCaIsReplacedAndLeftOutOfTheBundle() throws Exception {
    CertificateSet set = stored(created());
    clock.advance(Duration.ofDays(31));
    RenewalRule.Decision d = rule.decide(set, clock.instant());
    assertThat(d.action()).isEqualTo(Action.RENEW_AUTHORITY);
    assertThat(d.reason()).contains("the CA expired");
    CertificateSet next = stored(rule.next(set, d, clock.instant()));
    assertThat(next.authorities()).containsExactly(next.authority());
    assertThat(next.authority()).isNotEqualTo(set.authority());
  }

  @Test
  void changedNamesRenewTheServingCertificate() throws Exception {
    CertificateSet set = stored(created());
    RenewalRule wider =
        new RenewalRule(
            RenewalRule.subjectNames("wh", "ops", List.of("127.0.0.1", "10.0.0.7")),
            Duration.ofDays(30),
            Duration.ofDays(9));
    RenewalRule.Decision d = wider.decide(set, clock.instant());
    assertThat(d.action()).isEqualTo(Action.RENEW_SERVING);
    assertThat(RenewalRule.names(wider.next(set, d, clock.instant()).serving()))
        .contains("10.0.0.7");
  }

  @Test
  void aServingCertificateOfAnotherCaIsRenewed() throws Exception {
    CertificateSet mine = stored(created());
    CertificateSet theirs = stored(created());
    Map<String, String> data = new LinkedHashMap<>(mine.data());
    data.put(CertificateSet.TLS_CRT, theirs.data().get(CertificateSet.TLS_CRT));
    data.put(CertificateSet.TLS_KEY, theirs.data().get(CertificateSet.TLS_KEY));
    CertificateSet mixed = CertificateSet.readOwn(data);
    assertThat(rule.decide(mixed, clock.instant()).action()).isEqualTo(Action.RENEW_SERVING);
  }

  @Test
  void unusableContentsAreNamedByDataKeyAndRuleWithoutQuotingThem() throws Exception {
    Map<String, String> good = created().data();
    CertificateSet other = created();

    assertUnusable(without(good, CertificateSet.CA_KEY), "data.ca.key is missing");
    assertUnusable(with(good, CertificateSet.TLS_CRT, "%%%"), "data.tls.crt is not base64");
    assertUnusable(
        with(good, CertificateSet.TLS_CRT, b64("garbage-not-a-cert")),
        "data.tls.crt holds no PEM certificate");
    assertUnusable(
        with(
            good,
            CertificateSet.TLS_KEY,
            b64("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END" + " PRIVATE KEY-----\n")),
        "data.tls.key is not");
    assertUnusable(
        with(good, CertificateSet.TLS_KEY, other.data().get(CertificateSet.TLS_KEY)),
        "data.tls.key does not belong to the certificate of data.tls.crt");
    assertUnusable(
        with(good, CertificateSet.CA_KEY, other.data().get(CertificateSet.CA_KEY)),
        "data.ca.key belongs to no certificate of data.ca.crt");
    // A serving certificate and key in the CA's place: not a CA.
    Map<String, String> leafAsCa =
        with(
            with(good, CertificateSet.CA_CRT, good.get(CertificateSet.TLS_CRT)),
            CertificateSet.CA_KEY,
            good.get(CertificateSet.TLS_KEY));
    assertUnusable(leafAsCa, "is no CA");
  }

  @Test
  void noKeyMaterialInItsTextForm() throws Exception {
    CertificateSet set = created();
    String keyPem = PemText.privateKey(set.servingKey());
    String body = keyPem.split("\n")[1];
    assertThat(set.toString()).doesNotContain(body).contains("serving serial");
  }

  static void assertUnusable(Map<String, String> data, String message) {
    assertThatThrownBy(() -> CertificateSet.readOwn(data))
        .isInstanceOf(CertificateSet.Unusable.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("AAAA", "garbage"));
  }

  static Map<String, String> with(Map<String, String> data, String key, String value) {
    Map<String, String> m = new LinkedHashMap<>(data);
    m.put(key, value);
    return m;
  }

  static Map<String, String> without(Map<String, String> data, String key) {
    Map<String, String> m = new LinkedHashMap<>(data);
    m.remove(key);
    return m;
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
  }
}
