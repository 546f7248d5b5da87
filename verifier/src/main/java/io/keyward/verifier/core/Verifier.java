package io.keyward.verifier.core;

import io.keyward.verifier.routes.RouteTable;
import io.keyward.verifier.scheme.Reply;
import io.keyward.verifier.scheme.Scheme;
import io.keyward.verifier.scheme.SignedParts;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Signature;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The verification core that every front end (ext_authz, the reverse proxy, a library call) shares.
 * It reads a request with its scheme and checks, in this order, each refusal with its own {@link
 * Reason}: the route is in the table; the access key is known and current, or previous within its
 * grace; the key is in force (not revoked, invalid, expired, or of a suspended user) and the scheme
 * can carry its algorithm; the client address is one the key is bound to; the timestamp is inside
 * its window; the route's permission is the key's; the passphrase (OKX) and the signature match,
 * compared in constant time; and the signature was not accepted before.
 */
public final class Verifier {
  private static final ThreadLocal<Mac> HMAC = ThreadLocal.withInitial(Verifier::newMac);
  private static final ThreadLocal<Signature> ED25519 =
      ThreadLocal.withInitial(Verifier::newEd25519);
  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(Verifier::newSha256);

  /**
   * How long a signature is remembered at least: the longest receive window a client may ask for.
   * Not every scheme signs its window (Keyward's {@code KW-RECV-WINDOW} is outside the string to
   * sign), so a request captured with a window of 5 s could be sent again after 5 s with a window
   * of 60 s and pass the window check; it is still remembered then.
   */
  static final long LONGEST_RECEIVE_WINDOW_MILLIS = 60_000;

  private final KeyDirectory keys;
  private final RouteTable routes;
  private final List<Scheme> schemes;
  private final Scheme fallback;
  private final ReplayGuard replay;
  private final Clock clock;
  private final VerificationListener listener;
  private final long signedNotBeforeMillis;

  /**
   * @param schemes the schemes a request may use, tried in this order; the first is the one whose
   *     error shape answers a request no scheme recognises
   */
  public Verifier(
      KeyDirectory keys,
      RouteTable routes,
      List<Scheme> schemes,
      ReplayGuard replay,
      Clock clock,
      VerificationListener listener) {
    this(keys, routes, schemes, replay, clock, listener, Long.MIN_VALUE);
  }

  /**
   * A verifier whose replay memory starts empty at {@code signedNotBeforeMillis} (a process that
   * starts, or starts again): a request signed before then may have been accepted by the process
   * before it, which this one cannot know, so it is refused {@link Reason#UNAVAILABLE} (the client
   * signs anew and is accepted). A restart takes longer than the second a timestamp may lie ahead,
   * so no signature accepted before it can pass again after it.
   */
  public Verifier(
      KeyDirectory keys,
      RouteTable routes,
      List<Scheme> schemes,
      ReplayGuard replay,
      Clock clock,
      VerificationListener listener,
      long signedNotBeforeMillis) {
    this.signedNotBeforeMillis = signedNotBeforeMillis;
    if (schemes.isEmpty()) {
      throw new IllegalArgumentException("at least one scheme");
    }
    this.keys = keys;
    this.routes = routes;
    this.schemes = List.copyOf(schemes);
    this.fallback = schemes.get(0);
    this.replay = replay;
    this.clock = clock;
    this.listener = listener;
  }

  /** Verifies a request signed with whichever scheme it carries. */
  public Verdict verify(RequestView request) {
    return verify(request, null);
  }

  /**
   * Verifies a request.
   *
   * @param pinned the only scheme this listener takes, or null to pick it from the request
   */
  public Verdict verify(RequestView request, Scheme pinned) {
    long start = System.nanoTime();
    Verdict verdict = decide(request, pinned);
    listener.verdict(request, verdict, System.nanoTime() - start);
    return verdict;
  }

  /** The error response of a refusal, in its scheme's shape. */
  public Reply reply(Verdict.Refused refused) {
    return schemeNamed(refused.scheme()).refusal(refused.reason());
  }

  /** The schemes, in the order they are tried. */
  public List<Scheme> schemes() {
    return schemes;
  }

  private Scheme schemeNamed(String name) {
    for (Scheme s : schemes) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    return fallback;
  }

  private Verdict decide(RequestView request, Scheme pinned) {
    Scheme scheme = pinned != null ? (pinned.claims(request) ? pinned : null) : detect(request);
    String name = scheme != null ? scheme.name() : pinned != null ? pinned.name() : null;
    if (!keys.ready()) {
      return refuse(name, Reason.UNAVAILABLE, null, null);
    }
    if (scheme == null || !upperCaseToken(request.method())) {
      return refuse(name, Reason.MALFORMED, null, null);
    }
    RouteTable.Lookup route = routes.lookup(request.method(), request.rawPath());
    if (route instanceof RouteTable.Lookup.Ambiguous) {
      return refuse(name, Reason.MALFORMED, null, null);
    }
    if (!(route instanceof RouteTable.Lookup.Found found)) {
      return refuse(name, Reason.ROUTE_NOT_FOUND, null, null);
    }
    SignedParts parts;
    try {
      parts = scheme.read(request);
    } catch (Scheme.Malformed e) {
      return refuse(name, e.reason(), null, null);
    }
    long now = clock.millis();
    KeyEntry key = keys.find(parts.accessKey());
    if (key == null || (key.previous() && now >= key.validUntil().toEpochMilli())) {
      return refuse(name, Reason.UNKNOWN_KEY, parts.accessKey(), null);
    }
    Reason standing =
        switch (key.standing()) {
          case REVOKED -> Reason.KEY_REVOKED;
          case INVALID -> Reason.KEY_INVALID;
          case SUSPENDED -> Reason.USER_SUSPENDED;
          case IN_FORCE ->
              now >= key.expiresAt().toEpochMilli()
                  ? Reason.KEY_EXPIRED
                  : scheme.supports(key.algorithm()) ? null : Reason.ALGORITHM_NOT_SUPPORTED;
        };
    if (standing != null) {
      return refuse(name, standing, parts.accessKey(), key);
    }
    if (!AddressMatch.allowed(key.ipWhitelist(), request.clientAddress())) {
      return refuse(name, Reason.IP_NOT_ALLOWED, parts.accessKey(), key);
    }
    long ts = parts.timestampMillis();
    if (ts < now - parts.windowBeforeMillis() || ts >= now + parts.windowAfterMillis()) {
      return refuse(name, Reason.TIMESTAMP_OUTSIDE_WINDOW, parts.accessKey(), key);
    }
    if (!key.permissions().contains(found.permission())) {
      return refuse(name, Reason.PERMISSION_DENIED, parts.accessKey(), key);
    }
    // A key with a passphrase signs only where the passphrase is sent (OKX): it is a factor.
    if ((parts.passphrase() != null || key.passphraseFingerprint() != null)
        && (parts.passphrase() == null || !passphraseMatches(key, parts.passphrase()))) {
      return refuse(name, Reason.BAD_PASSPHRASE, parts.accessKey(), key);
    }
    if (!signatureMatches(key, parts)) {
      return refuse(name, Reason.BAD_SIGNATURE, parts.accessKey(), key);
    }
    if (ts < signedNotBeforeMillis) {
      return refuse(name, Reason.UNAVAILABLE, parts.accessKey(), key);
    }
    long staleAt = ts + Math.max(parts.windowBeforeMillis(), LONGEST_RECEIVE_WINDOW_MILLIS);
    switch (replay.offer(key.accessKey(), parts.signature(), staleAt, now)) {
      case REPLAYED:
        return refuse(name, Reason.REPLAYED, parts.accessKey(), key);
      case FULL:
        return refuse(name, Reason.UNAVAILABLE, parts.accessKey(), key);
      default:
        return new Verdict.Accepted(name, key, found.permission());
    }
  }

  /**
   * Whether a method is an upper-case token, as clients send it: an upstream receives the method as
   * sent, so {@code get} verified as {@code GET} could be acted on as something else.
   */
  private static boolean upperCaseToken(String method) {
    if (method == null || method.isEmpty() || method.length() > 16) {
      return false;
    }
    for (int i = 0; i < method.length(); i++) {
      char c = method.charAt(i);
      if (c < 'A' || c > 'Z') {
        return false;
      }
    }
    return true;
  }

  /**
   * The one scheme whose key header or parameter the request carries; null when none does, or when
   * two do (which one signed it is then a guess, so the request is refused as malformed).
   */
  private Scheme detect(RequestView request) {
    Scheme found = null;
    for (Scheme s : schemes) {
      if (s.claims(request)) {
        if (found != null) {
          return null;
        }
        found = s;
      }
    }
    return found;
  }

  private static Verdict refuse(String scheme, Reason reason, String accessKey, KeyEntry key) {
    return new Verdict.Refused(scheme, reason, accessKey, key);
  }

  /** Whether the signature is the key's over the signed bytes; HMAC compared in constant time. */
  static boolean signatureMatches(KeyEntry key, SignedParts parts) {
    try {
      if (key.algorithm() == Algorithm.HMAC_SHA256) {
        if (key.hmacKey() == null || key.hmacKey().length == 0) {
          return false;
        }
        Mac mac = HMAC.get();
        mac.init(new SecretKeySpec(key.hmacKey(), "HmacSHA256"));
        return MessageDigest.isEqual(mac.doFinal(parts.payload()), parts.signature());
      }
      return ed25519Matches(key, parts);
    } catch (InvalidKeyException e) {
      return false;
    } catch (GeneralSecurityException e) {
      // A signature of the wrong length or form: not this key's.
      return false;
    }
  }

  /**
   * Ed25519 (RFC 8032, strict: a non-canonical S or point is refused) with BouncyCastle's math,
   * about 8 times faster than the JDK 17's SunEC. The raw 32-byte key is the end of the key's X.509
   * encoding; a key not encoded so is checked by the JDK instead.
   */
  private static boolean ed25519Matches(KeyEntry key, SignedParts parts)
      throws GeneralSecurityException {
    if (key.publicKey() == null) {
      return false;
    }
    byte[] signature = parts.signature();
    if (signature.length != org.bouncycastle.math.ec.rfc8032.Ed25519.SIGNATURE_SIZE) {
      return false;
    }
    byte[] encoded = key.publicKey().getEncoded();
    if (encoded != null && encoded.length == ED25519_SPKI_PREFIX.length + 32) {
      boolean prefix = true;
      for (int i = 0; i < ED25519_SPKI_PREFIX.length; i++) {
        prefix &= encoded[i] == ED25519_SPKI_PREFIX[i];
      }
      if (prefix) {
        byte[] payload = parts.payload();
        return org.bouncycastle.math.ec.rfc8032.Ed25519.verify(
            signature, 0, encoded, ED25519_SPKI_PREFIX.length, payload, 0, payload.length);
      }
    }
    Signature ed = ED25519.get();
    ed.initVerify(key.publicKey());
    ed.update(parts.payload());
    return ed.verify(signature);
  }

  /** The DER before the raw key in an Ed25519 SubjectPublicKeyInfo (RFC 8410). */
  private static final byte[] ED25519_SPKI_PREFIX = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
  };

  /** Whether a sent passphrase is the key's: its fingerprint compared in constant time. */
  static boolean passphraseMatches(KeyEntry key, String passphrase) {
    if (key.passphraseFingerprint() == null) {
      return false;
    }
    MessageDigest sha = SHA256.get();
    String sent =
        "sha256:"
            + HexFormat.of().formatHex(sha.digest(passphrase.getBytes(StandardCharsets.UTF_8)));
    return MessageDigest.isEqual(
        sent.getBytes(StandardCharsets.US_ASCII),
        key.passphraseFingerprint().getBytes(StandardCharsets.US_ASCII));
  }

  private static Mac newMac() {
    try {
      return Mac.getInstance("HmacSHA256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  private static Signature newEd25519() {
    try {
      return Signature.getInstance("Ed25519");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("Ed25519 is missing from this JVM", e);
    }
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
