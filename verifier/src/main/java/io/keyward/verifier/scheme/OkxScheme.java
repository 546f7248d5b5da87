package io.keyward.verifier.scheme;

import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.RequestView;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * OKX-compatible signing (API v5): four {@code OK-ACCESS-} headers; the string to sign is the
 * timestamp header as sent, the method, the request path with its query, and the body, directly
 * concatenated. The passphrase is read here and compared by the core.
 */
public final class OkxScheme implements Scheme {
  static final String ACCESS_KEY = "OK-ACCESS-KEY";
  static final String SIGN = "OK-ACCESS-SIGN";
  static final String TIMESTAMP = "OK-ACCESS-TIMESTAMP";
  static final String PASSPHRASE = "OK-ACCESS-PASSPHRASE";
  static final String EXP_TIME = "expTime";

  private static final long WINDOW_AFTER_MILLIS = 1_000;
  private static final int MAX_PASSPHRASE = 256;

  private final SchemeSettings settings;

  public OkxScheme(SchemeSettings settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return "okx";
  }

  @Override
  public boolean claims(RequestView request) {
    return request.headers().first(ACCESS_KEY) != null;
  }

  @Override
  public SignedParts read(RequestView request) throws Malformed {
    String accessKey = FieldSyntax.accessKeyHeader(request, ACCESS_KEY);
    byte[] signature =
        FieldSyntax.base64(
            FieldSyntax.requiredHeader(request, SIGN, FieldSyntax.MAX_SIGNATURE), SIGN);
    String timestamp = FieldSyntax.requiredHeader(request, TIMESTAMP, 40);
    long timestampMillis = isoMillis(timestamp);
    String passphrase = FieldSyntax.requiredHeader(request, PASSPHRASE, MAX_PASSPHRASE);

    long windowBefore = settings.defaultRecvWindowMillis();
    String expTime = FieldSyntax.optionalHeader(request, EXP_TIME, 16);
    if (expTime != null) {
      long deadline = FieldSyntax.digits(expTime, 16, EXP_TIME);
      if (deadline < timestampMillis) {
        throw new Malformed(
            Reason.TIMESTAMP_OUTSIDE_WINDOW, EXP_TIME + ": the deadline is before the timestamp");
      }
      // expTime is not signed, so it may only narrow the window: accepted while now <= expTime.
      windowBefore = Math.min(windowBefore, deadline - timestampMillis);
    }

    StringBuilder text =
        new StringBuilder(timestamp.length() + request.rawPath().length() + 64)
            .append(timestamp)
            .append(request.method().toUpperCase(Locale.ROOT))
            .append(request.rawPath());
    if (request.rawQuery() != null) {
      text.append('?').append(request.rawQuery());
    }
    byte[] head = text.toString().getBytes(StandardCharsets.UTF_8);
    byte[] body = request.body();
    byte[] payload = new byte[head.length + body.length];
    System.arraycopy(head, 0, payload, 0, head.length);
    System.arraycopy(body, 0, payload, head.length, body.length);
    return new SignedParts(
        accessKey,
        timestampMillis,
        windowBefore,
        WINDOW_AFTER_MILLIS,
        signature,
        payload,
        passphrase);
  }

  /**
   * {@code yyyy-MM-ddTHH:mm:ss[.fraction]Z}: UTC only (the {@code Z}), one to nine fraction digits
   * (OKX sends three), no leap second. Parsed by hand because {@code Instant.parse} also takes
   * offsets and second 60.
   */
  static long isoMillis(String text) throws Malformed {
    String rule = TIMESTAMP + ": must be ISO 8601 UTC, like 2020-12-08T09:08:57.715Z";
    int length = text.length();
    if (length < 20
        || text.charAt(4) != '-'
        || text.charAt(7) != '-'
        || text.charAt(10) != 'T'
        || text.charAt(13) != ':'
        || text.charAt(16) != ':'
        || text.charAt(length - 1) != 'Z') {
      throw new Malformed(rule);
    }
    int millis = 0;
    if (length > 20) {
      if (text.charAt(19) != '.' || length < 22 || length > 30) {
        throw new Malformed(rule);
      }
      String fraction = text.substring(20, length - 1);
      long digits = FieldSyntax.digits(fraction, 9, TIMESTAMP);
      int places = fraction.length();
      millis = (int) (places >= 3 ? digits / pow10(places - 3) : digits * pow10(3 - places));
    }
    try {
      LocalDateTime time =
          LocalDateTime.of(
              (int) FieldSyntax.digits(text.substring(0, 4), 4, TIMESTAMP),
              (int) FieldSyntax.digits(text.substring(5, 7), 2, TIMESTAMP),
              (int) FieldSyntax.digits(text.substring(8, 10), 2, TIMESTAMP),
              (int) FieldSyntax.digits(text.substring(11, 13), 2, TIMESTAMP),
              (int) FieldSyntax.digits(text.substring(14, 16), 2, TIMESTAMP),
              (int) FieldSyntax.digits(text.substring(17, 19), 2, TIMESTAMP));
      return time.toEpochSecond(ZoneOffset.UTC) * 1_000 + millis;
    } catch (DateTimeException e) {
      throw new Malformed(rule);
    }
  }

  private static long pow10(int exponent) {
    long value = 1;
    for (int i = 0; i < exponent; i++) {
      value *= 10;
    }
    return value;
  }

  @Override
  public boolean supports(Algorithm algorithm) {
    return algorithm == Algorithm.HMAC_SHA256;
  }

  @Override
  public Reply refusal(Reason reason) {
    ExchangeError error =
        switch (reason) {
          case UNAVAILABLE -> new ExchangeError("50001", 503, "Service temporarily unavailable.");
          case MALFORMED, ALGORITHM_NOT_SUPPORTED, KEY_INVALID ->
              new ExchangeError("50114", 401, "Invalid authorization.");
          case ROUTE_NOT_FOUND -> new ExchangeError("50005", 404, "API is offline or unavailable.");
          case BODY_TOO_LARGE -> new ExchangeError("51000", 413, "Parameter body error");
          case UNKNOWN_KEY, KEY_EXPIRED, KEY_REVOKED ->
              new ExchangeError("50111", 401, "Invalid OK-ACCESS-KEY.");
          case USER_SUSPENDED ->
              new ExchangeError("50100", 400, "API frozen, please contact customer service.");
          case IP_NOT_ALLOWED ->
              new ExchangeError(
                  "50110", 401, "Your IP is not included in your API key's IP whitelist.");
          case TIMESTAMP_OUTSIDE_WINDOW ->
              new ExchangeError("50102", 401, "Timestamp request expired.");
          case PERMISSION_DENIED ->
              new ExchangeError(
                  "50120", 403, "This API key doesn't have permission to use this function.");
          case BAD_PASSPHRASE ->
              new ExchangeError("50105", 401, "Request header \"OK-ACCESS-PASSPHRASE\" incorrect.");
          case BAD_SIGNATURE -> new ExchangeError("50113", 401, "Invalid signature.");
          case REPLAYED ->
              new ExchangeError(
                  "50113", 401, "Invalid signature: this signature was already used.");
        };
    return new Reply(
        error.status,
        "application/json",
        "{\"code\":"
            + FieldSyntax.json(error.code)
            + ",\"msg\":"
            + FieldSyntax.json(error.msg)
            + ",\"data\":[]}");
  }

  private record ExchangeError(String code, int status, String msg) {}
}
