package io.keyward.verifier.scheme;

import io.keyward.verifier.core.RequestView;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/** Builds a {@link RequestView} the way a front end would hand it over: raw target, raw body. */
final class TestRequest {
  private String method = "GET";
  private String host = "gateway.example";
  private String path = "/";
  private String query;
  private byte[] body = new byte[0];
  private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);

  static TestRequest get(String path) {
    return new TestRequest().method("GET").path(path);
  }

  static TestRequest post(String path) {
    return new TestRequest().method("POST").path(path);
  }

  TestRequest method(String method) {
    this.method = method;
    return this;
  }

  TestRequest host(String host) {
    this.host = host;
    return this;
  }

  TestRequest path(String path) {
    this.path = path;
    return this;
  }

  TestRequest query(String query) {
    this.query = query;
    return this;
  }

  TestRequest body(String body) {
    this.body = body.getBytes(StandardCharsets.UTF_8);
    return this;
  }

  TestRequest header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  TestRequest without(String header) {
    headers.remove(header);
    return this;
  }

  RequestView build() {
    Map<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    copy.putAll(headers);
    return new RequestView(
        method, host, path, query, copy::get, body.clone(), InetAddress.getLoopbackAddress());
  }
}
