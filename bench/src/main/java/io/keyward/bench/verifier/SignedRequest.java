package io.keyward.bench.verifier;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import io.keyward.verifier.core.RequestView;
import java.net.InetAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One request as a bot's client library sends it: method, raw path and query, headers and body,
 * already signed. The same request can be handed to the verifier in process ({@link #view}) or
 * written on a connection ({@link #target}, {@link #headers}).
 *
 * @param method the HTTP method, upper case
 * @param host the host the client addresses (and, for HTX, signs)
 * @param rawPath the path as sent
 * @param rawQuery the query as sent, without {@code ?}; null when none
 * @param headers the headers the client sends, in order (no Host, no Content-Length)
 * @param body the body bytes; empty when none
 */
record SignedRequest(
    String method,
    String host,
    String rawPath,
    String rawQuery,
    Map<String, String> headers,
    byte[] body) {

  SignedRequest {
    headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
  }

  /** The request target as it goes on the wire: path and query. */
  String target() {
    return rawQuery == null ? rawPath : rawPath + "?" + rawQuery;
  }

  /**
   * The request as the reverse proxy hands it to the verifier: its headers are Armeria's {@code
   * RequestHeaders} (looked up in any case, by hash), the body whole, the client address of the
   * connection.
   */
  RequestView view(InetAddress client) {
    RequestHeadersBuilder b =
        RequestHeaders.builder(HttpMethod.valueOf(method), target()).authority(host);
    headers.forEach(b::add);
    if (body.length > 0) {
      b.contentLength(body.length);
    }
    RequestHeaders armeria = b.build();
    return new RequestView(method, host, rawPath, rawQuery, armeria::get, body, client);
  }
}
