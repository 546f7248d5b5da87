package io.keyward.verifier.core;

import java.net.InetAddress;

/**
 * One request as it arrived, for verification: the raw bytes of its target and body, never decoded
 * and re-encoded, because the client signed exactly these bytes.
 *
 * @param method the HTTP method, upper case
 * @param host the Host (HTTP/1.1) or :authority (HTTP/2) the request arrived with, without changes;
 *     schemes that sign a host may be configured to use a public host name instead
 * @param rawPath the path as sent, percent-escapes kept, without the query
 * @param rawQuery the query as sent, without the {@code ?}; null when the target has none
 * @param headers the request headers
 * @param body the whole body (empty when none); the front ends bound its size
 * @param clientAddress the client's address: the connection's peer, or the address a trusted proxy
 *     reported (see {@code ClientAddress})
 */
public record RequestView(
    String method,
    String host,
    String rawPath,
    String rawQuery,
    Headers headers,
    byte[] body,
    InetAddress clientAddress) {

  /** Request headers, looked up by name in any case. */
  @FunctionalInterface
  public interface Headers {
    /** The first value of a header, or null when absent. */
    String first(String name);
  }
}
