package io.keyward.verifier.scheme;

import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.RequestView;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * Binance-compatible signing: the {@code X-MBX-APIKEY} header, and {@code timestamp}, {@code
 * recvWindow} and {@code signature} as parameters of the query and/or a form body. What is signed
 * is Binance's "totalParams": the raw query followed directly by the raw body, less the {@code
 * signature} pair.
 */
public final class BinanceScheme implements Scheme {
  static final String API_KEY = "X-MBX-APIKEY";
  static final String TIMESTAMP = "timestamp";
  static final String RECV_WINDOW = "recvWindow";
  static final String SIGNATURE = "signature";

  private static final long WINDOW_AFTER_MILLIS = 1_000;
  private static final String FORM = "application/x-www-form-urlencoded";

  /** Below this a timestamp is in milliseconds, from it on in microseconds (Binance SPOT). */
  private static final long MICROS_FROM = 100_000_000_000_000L;

  private final SchemeSettings settings;

  public BinanceScheme(SchemeSettings settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return "binance";
  }

  @Override
  public boolean claims(RequestView request) {
    return request.headers().first(API_KEY) != null;
  }

  @Override
  public SignedParts read(RequestView request) throws Malformed {
    String accessKey = FieldSyntax.accessKeyHeader(request, API_KEY);

    String query = request.rawQuery() == null ? "" : request.rawQuery();
    byte[] body = request.body();
    // The body is read as parameters only when it is a form; any other body is still signed as
    // it is (totalParams is query + body whatever the body holds), it just carries no parameter.
    // ISO-8859-1 maps each byte to one char, so indices into the text are indices into the bytes.
    String form = isForm(request) ? new String(body, StandardCharsets.ISO_8859_1) : "";
    List<RawQuery.Pair> queryPairs = RawQuery.split(query, "query");
    List<RawQuery.Pair> formPairs = RawQuery.split(form, "body");
    if (queryPairs.size() + formPairs.size() > RawQuery.MAX_PAIRS) {
      throw new Malformed("query and body: at most " + RawQuery.MAX_PAIRS + " parameters");
    }

    Found found = new Found();
    collect(queryPairs, true, found);
    collect(formPairs, false, found);
    if (found.timestamp == null) {
      throw new Malformed(TIMESTAMP + ": required");
    }
    if (found.signature == null) {
      throw new Malformed(SIGNATURE + ": required");
    }

    long timestampMillis = timestampMillis(decodedValue(found.timestamp, TIMESTAMP));
    long windowMillis =
        found.recvWindow == null
            ? settings.defaultRecvWindowMillis()
            : recvWindowMillis(decodedValue(found.recvWindow, RECV_WINDOW));
    byte[] signature = signature(decodedValue(found.signature, SIGNATURE));

    byte[] queryBytes;
    byte[] bodyBytes;
    if (found.signatureInQuery) {
      queryBytes = without(query, found.signature).getBytes(StandardCharsets.UTF_8);
      bodyBytes = body;
    } else {
      queryBytes = query.getBytes(StandardCharsets.UTF_8);
      bodyBytes = without(form, found.signature).getBytes(StandardCharsets.ISO_8859_1);
    }
    byte[] payload = new byte[queryBytes.length + bodyBytes.length];
    System.arraycopy(queryBytes, 0, payload, 0, queryBytes.length);
    System.arraycopy(bodyBytes, 0, payload, queryBytes.length, bodyBytes.length);
    return new SignedParts(
        accessKey, timestampMillis, windowMillis, WINDOW_AFTER_MILLIS, signature, payload, null);
  }

  private static boolean isForm(RequestView request) {
    if (request.body().length == 0) {
      return false;
    }
    String type = request.headers().first("Content-Type");
    if (type == null) {
      return false;
    }
    int semicolon = type.indexOf(';');
    String media = (semicolon < 0 ? type : type.substring(0, semicolon)).trim();
    return media.toLowerCase(Locale.ROOT).equals(FORM);
  }

  /** The three parameters this scheme reads, each at most once in query and body together. */
  private static final class Found {
    RawQuery.Pair timestamp;
    RawQuery.Pair recvWindow;
    RawQuery.Pair signature;
    boolean signatureInQuery;
  }

  private static void collect(List<RawQuery.Pair> pairs, boolean inQuery, Found found)
      throws Malformed {
    for (RawQuery.Pair pair : pairs) {
      // Compared decoded, as the upstream will read them: "%74imestamp" is a second timestamp.
      String name = RawQuery.decodeOrNull(pair.rawName());
      if (name == null) {
        continue;
      }
      switch (name) {
        case TIMESTAMP -> found.timestamp = once(found.timestamp, pair, TIMESTAMP);
        case RECV_WINDOW -> found.recvWindow = once(found.recvWindow, pair, RECV_WINDOW);
        case SIGNATURE -> {
          found.signature = once(found.signature, pair, SIGNATURE);
          found.signatureInQuery = inQuery;
        }
        default -> {}
      }
    }
  }

  private static RawQuery.Pair once(RawQuery.Pair seen, RawQuery.Pair pair, String field)
      throws Malformed {
    if (seen != null) {
      throw new Malformed(field + ": sent more than once (query and body count together)");
    }
    return pair;
  }

  private static String decodedValue(RawQuery.Pair pair, String field) throws Malformed {
    String value = RawQuery.decode(pair.rawValue(), field);
    if (value.isEmpty()) {
      throw new Malformed(field + ": must not be empty");
    }
    return value;
  }

  private static long timestampMillis(String text) throws Malformed {
    long value = FieldSyntax.digits(text, 16, TIMESTAMP);
    return value < MICROS_FROM ? value : value / 1_000;
  }

  /** Milliseconds, with up to three decimals (microseconds) as Binance SPOT accepts; floored. */
  private long recvWindowMillis(String text) throws Malformed {
    int dot = text.indexOf('.');
    String whole = dot < 0 ? text : text.substring(0, dot);
    long millis = FieldSyntax.digits(whole, 12, RECV_WINDOW);
    if (dot >= 0) {
      String fraction = text.substring(dot + 1);
      long micros = FieldSyntax.digits(fraction, 3, RECV_WINDOW);
      if (millis == settings.maxRecvWindowMillis() && micros > 0) {
        millis++; // beyond the maximum, refused below
      }
    }
    return FieldSyntax.checkWindow(millis, settings.maxRecvWindowMillis(), RECV_WINDOW);
  }

  /** HMAC as 64 hex digits in either case (Binance: not case-sensitive); Ed25519 as base64. */
  private static byte[] signature(String text) throws Malformed {
    if (FieldSyntax.isHexSha256(text)) {
      return FieldSyntax.hex(text, SIGNATURE);
    }
    return FieldSyntax.base64(text, SIGNATURE);
  }

  /** The text without one pair and the {@code &} that joined it to its neighbour. */
  private static String without(String text, RawQuery.Pair pair) {
    int start = pair.start();
    int end = pair.end();
    if (start > 0 && text.charAt(start - 1) == '&') {
      start--;
    } else if (end < text.length() && text.charAt(end) == '&') {
      end++;
    }
    return text.substring(0, start) + text.substring(end);
  }

  @Override
  public boolean supports(Algorithm algorithm) {
    return true;
  }

  @Override
  public Reply refusal(Reason reason) {
    ExchangeError error =
        switch (reason) {
          case UNAVAILABLE ->
              new ExchangeError(
                  -1001, 503, "Internal error; unable to process your request. Please try again.");
          case MALFORMED ->
              new ExchangeError(
                  -1102, 400, "Mandatory parameter was not sent, was empty/null, or malformed.");
          case ROUTE_NOT_FOUND -> new ExchangeError(-1020, 404, "This operation is not supported.");
          case BODY_TOO_LARGE ->
              new ExchangeError(-1101, 413, "Too many parameters sent for this endpoint.");
          case TIMESTAMP_OUTSIDE_WINDOW ->
              new ExchangeError(
                  -1021, 400, "Timestamp for this request is outside of the recvWindow.");
          case BAD_SIGNATURE, ALGORITHM_NOT_SUPPORTED ->
              new ExchangeError(-1022, 400, "Signature for this request is not valid.");
          case REPLAYED ->
              new ExchangeError(-1022, 400, "Signature for this request was already used.");
          case UNKNOWN_KEY,
                  KEY_EXPIRED,
                  KEY_REVOKED,
                  KEY_INVALID,
                  USER_SUSPENDED,
                  IP_NOT_ALLOWED,
                  PERMISSION_DENIED,
                  BAD_PASSPHRASE ->
              new ExchangeError(-2015, 401, "Invalid API-key, IP, or permissions for action.");
        };
    return new Reply(
        error.status,
        "application/json",
        "{\"code\":" + error.code + ",\"msg\":" + FieldSyntax.json(error.msg) + "}");
  }

  private record ExchangeError(int code, int status, String msg) {}
}
