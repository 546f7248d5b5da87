package io.keyward.operator.admission.certs;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.util.IPAddress;

/**
 * When the operator's own certificates are made anew, and what replaces them. A certificate is
 * renewed once a third of its validity is left; the CA the same way, and then the old CA stays in
 * the bundle until it expires, so a serving certificate it signed (another replica's, or one the
 * API server has cached a connection for) still verifies. Pure: the time is the caller's.
 */
final class RenewalRule {
  /** What to do with the Secret's set. */
  enum Action {
    /** Good as it is. */
    KEEP,
    /** There is no Secret: a new CA and serving certificate. */
    CREATE,
    /** The Secret holds no usable set: a new CA and serving certificate, the old bundle dropped. */
    REPLACE,
    /** A new CA (the old one kept in the bundle until it expires) and a serving certificate. */
    RENEW_AUTHORITY,
    /** A new serving certificate from the current CA. */
    RENEW_SERVING
  }

  /** An action and why, in words for the log. */
  record Decision(Action action, String reason) {}

  private final List<String> subjectNames;
  private final Duration caValidity;
  private final Duration servingValidity;

  RenewalRule(List<String> subjectNames, Duration caValidity, Duration servingValidity) {
    this.subjectNames = List.copyOf(subjectNames);
    this.caValidity = caValidity;
    this.servingValidity = servingValidity;
  }

  /**
   * The serving certificate's names: the Service's four DNS names in the operator's namespace, then
   * the extra ones, each checked.
   *
   * @throws IllegalArgumentException naming the option when an extra name is neither DNS nor IP
   */
  static List<String> subjectNames(String service, String namespace, List<String> extra) {
    Set<String> names = new LinkedHashSet<>();
    names.add(service);
    names.add(service + "." + namespace);
    names.add(service + "." + namespace + ".svc");
    names.add(service + "." + namespace + ".svc.cluster.local");
    for (String n : names) {
      try {
        CertificateIssuer.checkSubjectName(n);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "configuration admission.serviceName and operator.namespace: the name "
                + n
                + " "
                + e.getMessage());
      }
    }
    for (String n : extra) {
      try {
        names.add(CertificateIssuer.checkSubjectName(n));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "configuration admission.extraSubjectNames: '" + n + "' " + e.getMessage());
      }
    }
    return List.copyOf(names);
  }

  /** The instant a certificate is due: when a third of its validity is left. */
  static Instant renewAt(X509Certificate c) {
    Instant from = c.getNotBefore().toInstant();
    Instant to = c.getNotAfter().toInstant();
    return to.minus(Duration.between(from, to).dividedBy(3));
  }

  /** What to do with a set read by {@link CertificateSet#readOwn}, at {@code now}. */
  Decision decide(CertificateSet set, Instant now) {
    X509Certificate ca = set.authority();
    if (ca == null) {
      return new Decision(Action.REPLACE, "it holds no signing CA");
    }
    if (!now.isBefore(ca.getNotAfter().toInstant())) {
      return new Decision(
          Action.RENEW_AUTHORITY, "the CA expired at " + ca.getNotAfter().toInstant());
    }
    if (now.isBefore(ca.getNotBefore().toInstant())) {
      return new Decision(
          Action.RENEW_AUTHORITY, "the CA is valid only from " + ca.getNotBefore().toInstant());
    }
    if (!now.isBefore(renewAt(ca))) {
      return new Decision(Action.RENEW_AUTHORITY, "a third of the CA's validity is left");
    }
    X509Certificate tls = set.serving();
    if (!CertificateSet.signedBy(tls, ca)) {
      return new Decision(Action.RENEW_SERVING, "the serving certificate is not the CA's");
    }
    if (!now.isBefore(tls.getNotAfter().toInstant())) {
      return new Decision(
          Action.RENEW_SERVING,
          "the serving certificate expired at " + tls.getNotAfter().toInstant());
    }
    if (now.isBefore(tls.getNotBefore().toInstant())) {
      return new Decision(
          Action.RENEW_SERVING,
          "the serving certificate is valid only from " + tls.getNotBefore().toInstant());
    }
    if (!now.isBefore(renewAt(tls))) {
      return new Decision(
          Action.RENEW_SERVING, "a third of the serving certificate's validity is left");
    }
    if (!names(tls).equals(normalised(subjectNames))) {
      return new Decision(Action.RENEW_SERVING, "the serving certificate's names differ");
    }
    return new Decision(Action.KEEP, "good until " + nextDecision(set));
  }

  /** When {@link #decide} next returns something else than KEEP for an unchanged set. */
  Instant nextDecision(CertificateSet set) {
    Instant a = renewAt(set.authority());
    Instant s = renewAt(set.serving());
    return a.isBefore(s) ? a : s;
  }

  /** The set that carries out {@code decision} on {@code current} (null for CREATE and REPLACE). */
  CertificateSet next(CertificateSet current, Decision decision, Instant now) {
    switch (decision.action()) {
      case CREATE, REPLACE -> {
        CertificateIssuer.Issued ca = CertificateIssuer.newAuthority(now, caValidity);
        return CertificateSet.ofOwn(List.of(ca.certificate()), ca, serving(ca, now));
      }
      case RENEW_AUTHORITY -> {
        CertificateIssuer.Issued ca = CertificateIssuer.newAuthority(now, caValidity);
        List<X509Certificate> bundle = new ArrayList<>();
        bundle.add(ca.certificate());
        bundle.addAll(unexpired(current.authorities(), now));
        return CertificateSet.ofOwn(bundle, ca, serving(ca, now));
      }
      case RENEW_SERVING -> {
        CertificateIssuer.Issued ca =
            new CertificateIssuer.Issued(current.authority(), current.authorityKey().orElseThrow());
        return CertificateSet.ofOwn(unexpired(current.authorities(), now), ca, serving(ca, now));
      }
      default -> {
        return current;
      }
    }
  }

  private CertificateIssuer.Issued serving(CertificateIssuer.Issued ca, Instant now) {
    return CertificateIssuer.newServing(ca, subjectNames, now, servingValidity);
  }

  private static List<X509Certificate> unexpired(List<X509Certificate> certs, Instant now) {
    return certs.stream().filter(c -> now.isBefore(c.getNotAfter().toInstant())).toList();
  }

  /** The DNS and IP names of a certificate, normalised as {@link #normalised} does. */
  static Set<String> names(X509Certificate c) {
    Set<String> out = new LinkedHashSet<>();
    Collection<List<?>> sans;
    try {
      sans = c.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return out;
    }
    if (sans == null) {
      return out;
    }
    for (List<?> san : sans) {
      int type = (Integer) san.get(0);
      if (type == 2 || type == 7) {
        out.add(normalise(String.valueOf(san.get(1))));
      }
    }
    return out;
  }

  private static Set<String> normalised(List<String> names) {
    Set<String> out = new LinkedHashSet<>();
    names.forEach(n -> out.add(normalise(n)));
    return out;
  }

  private static String normalise(String name) {
    if (IPAddress.isValid(name)) {
      try {
        // A literal: no lookup; one spelling for each address.
        return InetAddress.getByName(name).getHostAddress();
      } catch (UnknownHostException e) {
        return name;
      }
    }
    return name.toLowerCase(Locale.ROOT);
  }
}
