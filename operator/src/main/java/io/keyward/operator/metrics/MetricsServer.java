package io.keyward.operator.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * A small HTTP endpoint: {@code /metrics} in the Prometheus text format, {@code /healthz}
 * (liveness) and {@code /readyz} (readiness), answering 503 when the probe says no.
 */
public final class MetricsServer implements AutoCloseable {
  private final HttpServer server;

  private MetricsServer(HttpServer server) {
    this.server = server;
  }

  /** What the probes ask. */
  public interface Health {
    /** The process works (its watches are healthy, or it is still starting). */
    boolean live();

    /** The operator has started and its watches are healthy. */
    boolean ready();

    Health ALWAYS =
        new Health() {
          @Override
          public boolean live() {
            return true;
          }

          @Override
          public boolean ready() {
            return true;
          }
        };
  }

  /** Starts serving on {@code port} (0: any free port), with probes that always say yes. */
  public static MetricsServer start(int port, KeywardMetrics metrics) {
    return start(port, metrics, Health.ALWAYS);
  }

  /** Starts serving on {@code port} (0: any free port) on all interfaces. */
  public static MetricsServer start(int port, KeywardMetrics metrics, Health health) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(port), 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on port " + port, e);
    }
    server.createContext(
        "/metrics",
        exchange ->
            respond(exchange, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
    server.createContext(
        "/healthz", exchange -> probe(exchange, health.live(), "ok\n", "unhealthy\n"));
    server.createContext(
        "/readyz", exchange -> probe(exchange, health.ready(), "ok\n", "not ready\n"));
    server.setExecutor(
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "keyward-metrics");
              t.setDaemon(true);
              return t;
            }));
    server.start();
    return new MetricsServer(server);
  }

  /** The port actually bound. */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void probe(HttpExchange exchange, boolean ok, String yes, String no)
      throws IOException {
    respond(exchange, "text/plain", ok ? 200 : 503, ok ? yes : no);
  }

  private static void respond(HttpExchange exchange, String type, String body) throws IOException {
    respond(exchange, type, 200, body);
  }

  private static void respond(HttpExchange exchange, String type, int status, String body)
      throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())
          && !"HEAD".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
