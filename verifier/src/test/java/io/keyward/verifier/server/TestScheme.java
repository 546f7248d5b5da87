package io.keyward.verifier.server;

import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.RequestView;
import io.keyward.verifier.scheme.Reply;
import io.keyward.verifier.scheme.Scheme;
import io.keyward.verifier.scheme.SignedParts;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * A scheme for the front ends' tests (the real ones are tested on their own): headers {@code
 * <prefix>-KEY}, {@code <prefix>-TS} (epoch ms) and {@code <prefix>-SIGN} (lowercase hex
 * HMAC-SHA256 of ts + METHOD + raw path + ("?" + raw query) + body). Refusals are {@code
 * {"scheme":..,"error":<reason label>}} with the reason's status and a content type of its own.
 */
final class TestScheme implements Scheme {
  static final String CONTENT_TYPE = "application/vnd.test+json";

  private final String name;
  private final String prefix;

  TestScheme(String name, String prefix) {
    this.name = name;
    this.prefix = prefix;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean claims(RequestView request) {
    return request.headers().first(prefix + "-KEY") != null;
  }

  @Override
  public SignedParts read(RequestView request) throws Malformed {
    String key = request.headers().first(prefix + "-KEY");
    String ts = request.headers().first(prefix + "-TS");
    String sign = request.headers().first(prefix + "-SIGN");
    if (ts == null || sign == null || !ts.matches("\\d{1,15}")) {
      throw new Malformed(prefix + "-TS and " + prefix + "-SIGN are required");
    }
    byte[] signature;
    try {
      signature = HexFormat.of().parseHex(sign);
    } catch (IllegalArgumentException e) {
      throw new Malformed(prefix + "-SIGN: lowercase hex");
    }
    return new SignedParts(
        key, Long.parseLong(ts), 5000, 1000, signature, payload(request, ts), null);
  }

  static byte[] payload(RequestView request, String ts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String head =
        ts
            + request.method()
            + request.rawPath()
            + (request.rawQuery() == null ? "" : "?" + request.rawQuery());
    out.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(request.body());
    return out.toByteArray();
  }

  @Override
  public boolean supports(Algorithm algorithm) {
    return algorithm == Algorithm.HMAC_SHA256;
  }

  @Override
  public Reply refusal(Reason reason) {
    return new Reply(
        reason.httpStatus(),
        CONTENT_TYPE,
        "{\"scheme\":\"" + name + "\",\"error\":\"" + reason.label() + "\"}");
  }
}
