package io.keyward.verifier.scheme;

import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.RequestView;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

/**
 * Bybit-compatible signing (API v5): {@code X-BAPI-} headers; the string to sign is timestamp,
 * access key, receive window and then the raw query (GET) or the raw body (any other method),
 * directly concatenated, signed with HMAC-SHA256 in hex.
 */
public final class BybitScheme implements Scheme {
  static final String API_KEY = "X-BAPI-API-KEY";
  static final String TIMESTAMP = "X-BAPI-TIMESTAMP";
  static final String RECV_WINDOW = "X-BAPI-RECV-WINDOW";
  static final String SIGN = "X-BAPI-SIGN";
  static final String SIGN_TYPE = "X-BAPI-SIGN-TYPE";

  private static final long WINDOW_AFTER_MILLIS = 1_000;

  private final SchemeSettings settings;
  private final Clock clock;

  /**
   * @param clock only for the {@code time} field of error replies, which every Bybit response
   *     carries; no check reads it
   */
  public BybitScheme(SchemeSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "bybit";
  }

  @Override
  public boolean claims(RequestView request) {
    return request.headers().first(API_KEY) != null;
  }

  @Override
  public SignedParts read(RequestView request) throws Malformed {
    String accessKey = FieldSyntax.accessKeyHeader(request, API_KEY);
    String timestamp = FieldSyntax.requiredHeader(request, TIMESTAMP, 15);
    long timestampMillis = FieldSyntax.digits(timestamp, 15, TIMESTAMP);
    String sign = FieldSyntax.requiredHeader(request, SIGN, FieldSyntax.MAX_SIGNATURE);
    if (!FieldSyntax.isHexSha256(sign)) {
      throw new Malformed(SIGN + ": must be 64 hex digits (HMAC-SHA256)");
    }
    String signType = FieldSyntax.optionalHeader(request, SIGN_TYPE, 8);
    if (signType != null && !signType.equals("2")) {
      throw new Malformed(
          Reason.ALGORITHM_NOT_SUPPORTED, SIGN_TYPE + ": only 2 (HMAC-SHA256) is supported");
    }
    // Sent: its text is signed as sent. Absent: Bybit's rule names it optional and clients sign
    // nothing in its place; the default window applies.
    String window = FieldSyntax.optionalHeader(request, RECV_WINDOW, 12);
    long windowMillis =
        window == null
            ? settings.defaultRecvWindowMillis()
            : FieldSyntax.recvWindow(window, settings.maxRecvWindowMillis(), RECV_WINDOW);

    String query = request.rawQuery() == null ? "" : request.rawQuery();
    boolean get = request.method().equalsIgnoreCase("GET");
    // What this scheme does not sign must not reach the upstream: a query on a POST, a body on a
    // GET.
    if (!get && !query.isEmpty()) {
      throw new Malformed("query: not signed by this scheme for non-GET requests; send none");
    }
    if (get && request.body().length > 0) {
      throw new Malformed("body: not signed by this scheme for GET requests; send none");
    }
    byte[] head =
        (timestamp + accessKey + (window == null ? "" : window) + (get ? query : ""))
            .getBytes(StandardCharsets.UTF_8);
    byte[] body = get ? new byte[0] : request.body();
    byte[] payload = new byte[head.length + body.length];
    System.arraycopy(head, 0, payload, 0, head.length);
    System.arraycopy(body, 0, payload, head.length, body.length);
    return new SignedParts(
        accessKey,
        timestampMillis,
        windowMillis,
        WINDOW_AFTER_MILLIS,
        FieldSyntax.hex(sign, SIGN),
        payload,
        null);
  }

  @Override
  public boolean supports(Algorithm algorithm) {
    return algorithm == Algorithm.HMAC_SHA256;
  }

  @Override
  public Reply refusal(Reason reason) {
    ExchangeError error =
        switch (reason) {
          case UNAVAILABLE -> new ExchangeError(10016, 503, "Server error.");
          case MALFORMED -> new ExchangeError(10001, 400, "Request parameter error.");
          case ROUTE_NOT_FOUND -> new ExchangeError(10017, 404, "Route not found.");
          case BODY_TOO_LARGE -> new ExchangeError(10001, 413, "Request parameter error.");
          case UNKNOWN_KEY, KEY_REVOKED, KEY_INVALID ->
              new ExchangeError(10003, 401, "API key is invalid.");
          case KEY_EXPIRED -> new ExchangeError(33004, 401, "Your api key has expired.");
          case USER_SUSPENDED -> new ExchangeError(10008, 401, "Common banned.");
          case IP_NOT_ALLOWED ->
              new ExchangeError(
                  10010, 401, "Unmatched IP, please check your API key's bound IP addresses.");
          case TIMESTAMP_OUTSIDE_WINDOW ->
              new ExchangeError(10002, 400, "The request time exceeds the time window range.");
          case PERMISSION_DENIED ->
              new ExchangeError(
                  10005, 403, "Permission denied, please check your API key permissions.");
          case ALGORITHM_NOT_SUPPORTED, BAD_PASSPHRASE, BAD_SIGNATURE ->
              new ExchangeError(
                  10004, 401, "Error sign, please check your signature generation algorithm.");
          case REPLAYED -> new ExchangeError(10014, 401, "Invalid duplicate request.");
        };
    return new Reply(
        error.status,
        "application/json",
        "{\"retCode\":"
            + error.code
            + ",\"retMsg\":"
            + FieldSyntax.json(error.msg)
            + ",\"result\":{},\"retExtInfo\":{},\"time\":"
            + clock.millis()
            + "}");
  }

  private record ExchangeError(int code, int status, String msg) {}
}
