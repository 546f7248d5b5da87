package io.keyward.verifier.scheme;

import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.RequestView;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Keyward's own scheme (docs/api.md, "Request signing"): four {@code KW-} headers and a five-line
 * string to sign whose query is canonical, so a client may send its parameters in any order and
 * encoding.
 */
public final class KeywardScheme implements Scheme {
  static final String ACCESS_KEY = "KW-ACCESS-KEY";
  static final String TIMESTAMP = "KW-TIMESTAMP";
  static final String SIGNATURE = "KW-SIGNATURE";
  static final String RECV_WINDOW = "KW-RECV-WINDOW";

  private static final long WINDOW_AFTER_MILLIS = 1_000;
  private static final HexFormat HEX = HexFormat.of();

  private final SchemeSettings settings;

  public KeywardScheme(SchemeSettings settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return "keyward";
  }

  @Override
  public boolean claims(RequestView request) {
    return request.headers().first(ACCESS_KEY) != null;
  }

  @Override
  public SignedParts read(RequestView request) throws Malformed {
    String accessKey = FieldSyntax.accessKeyHeader(request, ACCESS_KEY);
    String timestamp = FieldSyntax.requiredHeader(request, TIMESTAMP, 15);
    long timestampMillis = FieldSyntax.digits(timestamp, 15, TIMESTAMP);
    byte[] signature =
        FieldSyntax.base64(
            FieldSyntax.requiredHeader(request, SIGNATURE, FieldSyntax.MAX_SIGNATURE), SIGNATURE);
    String window = FieldSyntax.optionalHeader(request, RECV_WINDOW, 12);
    long windowMillis =
        window == null
            ? settings.defaultRecvWindowMillis()
            : FieldSyntax.recvWindow(window, settings.maxRecvWindowMillis(), RECV_WINDOW);

    String stringToSign =
        timestamp
            + '\n'
            + request.method().toUpperCase(Locale.ROOT)
            + '\n'
            + request.rawPath()
            + '\n'
            + canonicalQuery(request.rawQuery())
            + '\n'
            + HEX.formatHex(sha256(request.body()));
    return new SignedParts(
        accessKey,
        timestampMillis,
        windowMillis,
        WINDOW_AFTER_MILLIS,
        signature,
        stringToSign.getBytes(StandardCharsets.UTF_8),
        null);
  }

  /**
   * The canonical query: each pair split at its first {@code =}, name and value percent-decoded
   * strictly and re-encoded by RFC 3986, sorted by encoded name then encoded value, joined with
   * {@code &}. A pair without {@code =} is a name with an empty value.
   */
  static String canonicalQuery(String rawQuery) throws Malformed {
    List<RawQuery.Pair> pairs = RawQuery.split(rawQuery, "query");
    if (pairs.isEmpty()) {
      return "";
    }
    List<String[]> encoded = new ArrayList<>(pairs.size());
    for (RawQuery.Pair pair : pairs) {
      encoded.add(
          new String[] {
            RawQuery.encode(RawQuery.decode(pair.rawName(), "query parameter name")),
            RawQuery.encode(RawQuery.decode(pair.rawValue(), "query parameter value"))
          });
    }
    encoded.sort(
        (a, b) -> {
          int byName = a[0].compareTo(b[0]);
          return byName != 0 ? byName : a[1].compareTo(b[1]);
        });
    StringBuilder out = new StringBuilder(rawQuery.length() + 16);
    for (String[] pair : encoded) {
      if (out.length() > 0) {
        out.append('&');
      }
      out.append(pair[0]).append('=').append(pair[1]);
    }
    return out.toString();
  }

  private static byte[] sha256(byte[] body) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(body);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  @Override
  public boolean supports(Algorithm algorithm) {
    return true;
  }

  @Override
  public Reply refusal(Reason reason) {
    String body =
        "{\"code\":"
            + FieldSyntax.json(reason.label())
            + ",\"message\":"
            + FieldSyntax.json(message(reason))
            + "}";
    return new Reply(reason.httpStatus(), "application/json", body);
  }

  private static String message(Reason reason) {
    return switch (reason) {
      case UNAVAILABLE -> "The verifier is starting and does not know the keys yet; retry.";
      case MALFORMED ->
          "A KW- header is missing or malformed, or the query does not decode (see docs/api.md,"
              + " Request signing).";
      case ROUTE_NOT_FOUND -> "No route matches this method and path.";
      case BODY_TOO_LARGE -> "The request body is larger than this gateway accepts.";
      case UNKNOWN_KEY -> "No key has this access key.";
      case KEY_EXPIRED -> "The key has expired.";
      case KEY_REVOKED -> "The key was revoked.";
      case KEY_INVALID -> "The key cannot be used now.";
      case USER_SUSPENDED -> "The key's user is suspended.";
      case IP_NOT_ALLOWED -> "The key is bound to addresses and this client's is not one of them.";
      case TIMESTAMP_OUTSIDE_WINDOW ->
          "KW-TIMESTAMP is outside the receive window; check the client's clock.";
      case PERMISSION_DENIED -> "The key lacks the permission this route needs.";
      case ALGORITHM_NOT_SUPPORTED -> "This key's algorithm cannot sign this way.";
      case BAD_PASSPHRASE -> "The passphrase is wrong.";
      case BAD_SIGNATURE -> "KW-SIGNATURE does not match the request.";
      case REPLAYED -> "This signature was already used; sign each request anew.";
    };
  }
}
