package io.keyward.bench.verifier;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs requests as a bot's client library does, with plain javax.crypto and java.security: the
 * verifier's own code never signs, so what it accepts here it accepts from a real client. One order
 * placement per scheme, each with its exchange's path, body and headers.
 */
final class BotSigner {
  /** The six ways a bot signs that the benchmarks measure. */
  enum Kind {
    KEYWARD_HMAC("keyward", "/api/v1/orders"),
    KEYWARD_ED25519("keyward", "/api/v1/orders"),
    BINANCE_HMAC("binance", "/api/v3/order"),
    OKX("okx", "/api/v5/trade/order"),
    BYBIT("bybit", "/v5/order/create"),
    HTX("htx", "/v1/order/orders/place");

    /** The route preset of the exchange whose paths the request uses. */
    final String preset;

    /** The order endpoint the request goes to. */
    final String path;

    Kind(String preset, String path) {
      this.preset = preset;
      this.path = path;
    }

    /** Whether keys of this kind are Ed25519. */
    boolean ed25519() {
      return this == KEYWARD_ED25519;
    }

    /** The name in tables and JSON: keyward-hmac, keyward-ed25519, binance-hmac, okx, ... */
    String label() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    static Kind ofLabel(String label) {
      for (Kind k : values()) {
        if (k.label().equals(label)) {
          return k;
        }
      }
      throw new IllegalArgumentException("no such scheme in the bench: " + label);
    }
  }

  /**
   * What a bot holds of its key.
   *
   * @param secret HMAC: the secret key as the Secret holds it; else null
   * @param privateKey Ed25519: the signing key; else null
   * @param passphrase OKX: the key's passphrase; else null
   */
  record BotKey(String accessKey, String secret, PrivateKey privateKey, String passphrase) {}

  /** A request with its string to sign, so a baseline can MAC the very same bytes. */
  record Signed(SignedRequest request, byte[] payload) {}

  static final String RECV_WINDOW = "5000";
  private static final DateTimeFormatter OKX_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter HTX_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

  private BotSigner() {}

  /**
   * One signed order placement.
   *
   * @param timestampMillis when the bot signs (HTX: to the second)
   * @param nonce makes the request (its client order id) and so its signature unique
   * @param host the host the bot addresses; HTX signs it (lower case, no port)
   */
  static Signed sign(Kind kind, BotKey key, long timestampMillis, long nonce, String host) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("User-Agent", "keyward-bench/1");
    headers.put("Accept", "application/json");
    String ts = Long.toString(timestampMillis);
    String id = "bench" + nonce;
    return switch (kind) {
      case KEYWARD_HMAC, KEYWARD_ED25519 -> {
        byte[] body =
            utf8(
                "{\"symbol\":\"BTC-USDT\",\"side\":\"buy\",\"type\":\"limit\",\"price\":"
                    + "\"64000.5\",\"quantity\":\"0.01\",\"clientOrderId\":\""
                    + id
                    + "\"}");
        byte[] payload =
            utf8(ts + "\nPOST\n" + kind.path + "\n\n" + HexFormat.of().formatHex(sha256(body)));
        byte[] signature =
            kind.ed25519() ? ed25519(key.privateKey(), payload) : hmac(key.secret(), payload);
        headers.put("Content-Type", "application/json");
        headers.put("KW-ACCESS-KEY", key.accessKey());
        headers.put("KW-TIMESTAMP", ts);
        headers.put("KW-RECV-WINDOW", RECV_WINDOW);
        headers.put("KW-SIGNATURE", Base64.getEncoder().encodeToString(signature));
        yield new Signed(new SignedRequest("POST", host, kind.path, null, headers, body), payload);
      }
      case BINANCE_HMAC -> {
        String params =
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=64000.5"
                + "&newClientOrderId="
                + id
                + "&recvWindow="
                + RECV_WINDOW
                + "&timestamp="
                + ts;
        byte[] payload = utf8(params);
        String signature = HexFormat.of().formatHex(hmac(key.secret(), payload));
        headers.put("Content-Type", "application/x-www-form-urlencoded");
        headers.put("X-MBX-APIKEY", key.accessKey());
        byte[] body = utf8(params + "&signature=" + signature);
        yield new Signed(new SignedRequest("POST", host, kind.path, null, headers, body), payload);
      }
      case OKX -> {
        String time = OKX_TIME.format(Instant.ofEpochMilli(timestampMillis));
        String body =
            "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"clOrdId\":\""
                + id
                + "\",\"side\":\"buy\",\"ordType\":\"limit\",\"px\":\"64000.5\",\"sz\":\"0.01\"}";
        byte[] payload = utf8(time + "POST" + kind.path + body);
        headers.put("Content-Type", "application/json");
        headers.put("OK-ACCESS-KEY", key.accessKey());
        headers.put(
            "OK-ACCESS-SIGN", Base64.getEncoder().encodeToString(hmac(key.secret(), payload)));
        headers.put("OK-ACCESS-TIMESTAMP", time);
        headers.put("OK-ACCESS-PASSPHRASE", key.passphrase());
        yield new Signed(
            new SignedRequest("POST", host, kind.path, null, headers, utf8(body)), payload);
      }
      case BYBIT -> {
        String body =
            "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\",\"orderType\":"
                + "\"Limit\",\"qty\":\"0.01\",\"price\":\"64000.5\",\"orderLinkId\":\""
                + id
                + "\"}";
        byte[] payload = utf8(ts + key.accessKey() + RECV_WINDOW + body);
        headers.put("Content-Type", "application/json");
        headers.put("X-BAPI-API-KEY", key.accessKey());
        headers.put("X-BAPI-TIMESTAMP", ts);
        headers.put("X-BAPI-RECV-WINDOW", RECV_WINDOW);
        headers.put("X-BAPI-SIGN", HexFormat.of().formatHex(hmac(key.secret(), payload)));
        headers.put("X-BAPI-SIGN-TYPE", "2");
        yield new Signed(
            new SignedRequest("POST", host, kind.path, null, headers, utf8(body)), payload);
      }
      case HTX -> {
        // HTX's clients sort the parameters by name and encode each value (colons as %3A).
        String sorted =
            "AccessKeyId="
                + encode(key.accessKey())
                + "&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp="
                + encode(HTX_TIME.format(Instant.ofEpochMilli(timestampMillis)));
        String signingHost = host.contains(":") ? host.substring(0, host.lastIndexOf(':')) : host;
        byte[] payload =
            utf8(
                "POST\n"
                    + signingHost.toLowerCase(java.util.Locale.ROOT)
                    + "\n"
                    + kind.path
                    + "\n"
                    + sorted);
        String query =
            sorted
                + "&Signature="
                + encode(Base64.getEncoder().encodeToString(hmac(key.secret(), payload)));
        String body =
            "{\"account-id\":\"100009\",\"symbol\":\"btcusdt\",\"type\":\"buy-limit\",\"amount\":"
                + "\"0.01\",\"price\":\"64000.5\",\"client-order-id\":\""
                + id
                + "\"}";
        headers.put("Content-Type", "application/json");
        yield new Signed(
            new SignedRequest("POST", host, kind.path, query, headers, utf8(body)), payload);
      }
    };
  }

  static byte[] hmac(String secret, byte[] payload) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(utf8(secret), "HmacSHA256"));
      return mac.doFinal(payload);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256", e);
    }
  }

  static byte[] ed25519(PrivateKey key, byte[] payload) {
    try {
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(key);
      signer.update(payload);
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519", e);
    }
  }

  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256", e);
    }
  }

  /** {@code sha256:<hex>} of a text's UTF-8 bytes: how grants fingerprint secrets. */
  static String fingerprint(String text) {
    return "sha256:" + HexFormat.of().formatHex(sha256(utf8(text)));
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
