package io.keyward.verifier.scheme;

import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.RequestView;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * HTX-compatible signing (signature version 2): the authentication parameters travel in the query,
 * and the string to sign is {@code METHOD\nhost\npath\n} followed by the query's pairs except
 * {@code Signature}, sorted by name, exactly as the client encoded them.
 */
public final class HtxScheme implements Scheme {
  static final String ACCESS_KEY_ID = "AccessKeyId";
  static final String SIGNATURE_METHOD = "SignatureMethod";
  static final String SIGNATURE_VERSION = "SignatureVersion";
  static final String TIMESTAMP = "Timestamp";
  static final String SIGNATURE = "Signature";

  private final SchemeSettings settings;

  public HtxScheme(SchemeSettings settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return "htx";
  }

  @Override
  public boolean claims(RequestView request) {
    String query = request.rawQuery();
    return query != null
        && (query.startsWith(ACCESS_KEY_ID + "=") || query.contains("&" + ACCESS_KEY_ID + "="));
  }

  @Override
  public SignedParts read(RequestView request) throws Malformed {
    List<RawQuery.Pair> pairs = RawQuery.split(request.rawQuery(), "query");
    List<Named> signed = new ArrayList<>(pairs.size());
    Set<String> names = new HashSet<>();
    String accessKey = null;
    String method = null;
    String version = null;
    String timestamp = null;
    String signature = null;
    for (RawQuery.Pair pair : pairs) {
      String name = RawQuery.decode(pair.rawName(), "query parameter name");
      // HTX clients sign a map: a repeated name has no defined place in the sorted string, and
      // the upstream would pick one of the values unsigned.
      if (!names.add(name)) {
        throw new Malformed("query: parameter names must not repeat");
      }
      switch (name) {
        case ACCESS_KEY_ID -> accessKey = RawQuery.decode(pair.rawValue(), ACCESS_KEY_ID);
        case SIGNATURE_METHOD -> method = RawQuery.decode(pair.rawValue(), SIGNATURE_METHOD);
        case SIGNATURE_VERSION -> version = RawQuery.decode(pair.rawValue(), SIGNATURE_VERSION);
        case TIMESTAMP -> timestamp = RawQuery.decode(pair.rawValue(), TIMESTAMP);
        case SIGNATURE -> signature = pair.rawValue();
        default -> {}
      }
      if (!name.equals(SIGNATURE)) {
        signed.add(new Named(name, pair.raw()));
      }
    }
    accessKey = FieldSyntax.accessKey(required(accessKey, ACCESS_KEY_ID), ACCESS_KEY_ID);
    if ("Ed25519".equals(required(method, SIGNATURE_METHOD))) {
      throw new Malformed(
          Reason.ALGORITHM_NOT_SUPPORTED, SIGNATURE_METHOD + ": only HmacSHA256 is supported");
    }
    if (!method.equals("HmacSHA256")) {
      throw new Malformed(SIGNATURE_METHOD + ": must be HmacSHA256");
    }
    if (!required(version, SIGNATURE_VERSION).equals("2")) {
      throw new Malformed(SIGNATURE_VERSION + ": must be 2");
    }
    long timestampMillis = timestampMillis(required(timestamp, TIMESTAMP));
    String rawSignature = required(signature, SIGNATURE);
    if (rawSignature.length() > FieldSyntax.MAX_SIGNATURE) {
      throw new Malformed(SIGNATURE + ": at most " + FieldSyntax.MAX_SIGNATURE + " characters");
    }
    byte[] signatureBytes = FieldSyntax.base64(RawQuery.decode(rawSignature, SIGNATURE), SIGNATURE);

    signed.sort((a, b) -> a.name.compareTo(b.name));
    StringBuilder text =
        new StringBuilder(request.rawQuery().length() + 64)
            .append(request.method().toUpperCase(Locale.ROOT))
            .append('\n')
            .append(signingHost(request))
            .append('\n')
            .append(request.rawPath())
            .append('\n');
    for (int i = 0; i < signed.size(); i++) {
      if (i > 0) {
        text.append('&');
      }
      text.append(signed.get(i).raw);
    }
    return new SignedParts(
        accessKey,
        timestampMillis,
        settings.htxWindowMillis(),
        settings.htxWindowMillis(),
        signatureBytes,
        text.toString().getBytes(StandardCharsets.UTF_8),
        null);
  }

  private record Named(String name, String raw) {}

  private static String required(String value, String field) throws Malformed {
    if (value == null || value.isEmpty()) {
      throw new Malformed(field + ": required in the query");
    }
    return value;
  }

  /** {@code yyyy-MM-ddTHH:mm:ss} in UTC, to the second; the second's start in milliseconds. */
  static long timestampMillis(String text) throws Malformed {
    String rule = TIMESTAMP + ": must be yyyy-MM-ddTHH:mm:ss in UTC";
    if (text.length() != 19
        || text.charAt(4) != '-'
        || text.charAt(7) != '-'
        || text.charAt(10) != 'T'
        || text.charAt(13) != ':'
        || text.charAt(16) != ':') {
      throw new Malformed(rule);
    }
    try {
      return LocalDateTime.of(
                  (int) FieldSyntax.digits(text.substring(0, 4), 4, TIMESTAMP),
                  (int) FieldSyntax.digits(text.substring(5, 7), 2, TIMESTAMP),
                  (int) FieldSyntax.digits(text.substring(8, 10), 2, TIMESTAMP),
                  (int) FieldSyntax.digits(text.substring(11, 13), 2, TIMESTAMP),
                  (int) FieldSyntax.digits(text.substring(14, 16), 2, TIMESTAMP),
                  (int) FieldSyntax.digits(text.substring(17, 19), 2, TIMESTAMP))
              .toEpochSecond(ZoneOffset.UTC)
          * 1_000;
    } catch (DateTimeException e) {
      throw new Malformed(rule);
    }
  }

  /**
   * The host clients sign: the configured public host name, else the request's host as HTX's
   * clients take it from their URL (lower case, no port).
   */
  private String signingHost(RequestView request) throws Malformed {
    if (settings.htxSigningHost() != null) {
      return settings.htxSigningHost();
    }
    String host = request.host();
    if (host == null || host.isEmpty()) {
      throw new Malformed("Host: required to check an HTX signature");
    }
    int colon = host.lastIndexOf(':');
    if (colon >= 0 && host.indexOf(']') < colon) {
      host = host.substring(0, colon);
    }
    return host.toLowerCase(Locale.ROOT);
  }

  @Override
  public boolean supports(Algorithm algorithm) {
    return algorithm == Algorithm.HMAC_SHA256;
  }

  @Override
  public Reply refusal(Reason reason) {
    ExchangeError error =
        switch (reason) {
          case UNAVAILABLE -> new ExchangeError("gateway-internal-error", 503, "System is busy");
          case MALFORMED ->
              new ExchangeError("invalid-parameter", 400, "Request parameter is invalid");
          case ROUTE_NOT_FOUND -> new ExchangeError("bad-request", 404, "Bad request");
          case BODY_TOO_LARGE -> new ExchangeError("bad-request", 413, "Bad request");
          case UNKNOWN_KEY ->
              new ExchangeError(
                  "api-signature-not-valid", 401, "Signature not valid: Incorrect Access key");
          case KEY_EXPIRED ->
              new ExchangeError(
                  "api-signature-not-valid", 401, "Signature not valid: The key has expired");
          case KEY_REVOKED, KEY_INVALID ->
              new ExchangeError(
                  "api-signature-not-valid", 401, "Signature not valid: The key is not valid");
          case USER_SUSPENDED ->
              new ExchangeError(
                  "api-signature-not-valid", 401, "Signature not valid: The account is frozen");
          case IP_NOT_ALLOWED ->
              new ExchangeError(
                  "api-signature-not-valid",
                  401,
                  "Signature not valid: The IP address is not bound to this key");
          case TIMESTAMP_OUTSIDE_WINDOW ->
              new ExchangeError(
                  "api-signature-not-valid", 400, "Signature not valid: Timestamp expired");
          case PERMISSION_DENIED ->
              new ExchangeError(
                  "api-signature-not-valid",
                  403,
                  "Signature not valid: The key has no permission for this endpoint");
          case ALGORITHM_NOT_SUPPORTED, BAD_PASSPHRASE, BAD_SIGNATURE ->
              new ExchangeError(
                  "api-signature-not-valid", 401, "Signature not valid: Verification failure");
          case REPLAYED ->
              new ExchangeError(
                  "api-signature-not-valid",
                  401,
                  "Signature not valid: This signature was already used");
        };
    return new Reply(
        error.status,
        "application/json",
        "{\"status\":\"error\",\"err-code\":"
            + FieldSyntax.json(error.code)
            + ",\"err-msg\":"
            + FieldSyntax.json(error.msg)
            + ",\"data\":null}");
  }

  private record ExchangeError(String code, int status, String msg) {}
}
