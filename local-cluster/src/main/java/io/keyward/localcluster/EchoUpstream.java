package io.keyward.localcluster;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A small HTTP upstream on loopback that answers every request with what it received: method,
 * target, body length and the {@code x-keyward-*} headers a verifier added. It stands for the
 * trading API behind the verifier in the playground ({@code bin/run}), the tests and the bench.
 */
public final class EchoUpstream implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  private EchoUpstream(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Starts on a loopback port ({@code 0}: any free one). */
  public static EchoUpstream start(int port) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 512);
    ExecutorService executor = Executors.newFixedThreadPool(4);
    server.setExecutor(executor);
    server.createContext("/", EchoUpstream::answer);
    server.start();
    return new EchoUpstream(server, executor);
  }

  /** The base URL, e.g. {@code http://127.0.0.1:40123}. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The port it listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void answer(HttpExchange exchange) throws IOException {
    long length;
    try (InputStream in = exchange.getRequestBody()) {
      length = in.transferTo(OutputStream.nullOutputStream());
    }
    Map<String, String> keyward = new TreeMap<>();
    for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
      String name = h.getKey().toLowerCase(java.util.Locale.ROOT);
      if (name.startsWith("x-keyward-")) {
        keyward.put(name, String.join(",", h.getValue()));
      }
    }
    StringBuilder json = new StringBuilder("{\"method\":");
    quote(json, exchange.getRequestMethod());
    json.append(",\"target\":");
    quote(
        json,
        exchange.getRequestURI().getRawPath()
            + (exchange.getRequestURI().getRawQuery() == null
                ? ""
                : "?" + exchange.getRequestURI().getRawQuery()));
    json.append(",\"bodyBytes\":").append(length).append(",\"headers\":{");
    boolean first = true;
    for (Map.Entry<String, String> e : keyward.entrySet()) {
      if (!first) {
        json.append(',');
      }
      first = false;
      quote(json, e.getKey());
      json.append(':');
      quote(json, e.getValue());
    }
    json.append("}}\n");
    byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static void quote(StringBuilder out, String s) {
    out.append('"');
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
  }

  /**
   * Runs until killed: {@code java -cp local-cluster.jar io.keyward.localcluster.EchoUpstream
   * 8082}.
   */
  public static void main(String[] args) throws IOException {
    EchoUpstream echo = start(args.length > 0 ? Integer.parseInt(args[0]) : 0);
    System.out.println("echo upstream on " + echo.url());
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
