package io.keyward.operator.admission;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.keyward.operator.validation.Excerpt;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The validating webhook's HTTPS endpoint: {@code POST /validate} takes an AdmissionReview and
 * answers one, {@code GET /healthz} says the endpoint serves. Every replica serves it; it holds no
 * state. Bodies are bounded ({@value #MAX_BODY} bytes: the API server's own request limit is 3 MiB
 * per object, and a review carries the object twice), and so is the work in flight.
 */
public final class WebhookServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookServer.class);

  /** Largest AdmissionReview read. */
  static final int MAX_BODY = 8 * 1024 * 1024;

  /** Requests served at once; more wait in a bounded queue, past it they are refused (503). */
  private static final int THREADS = 4;

  private static final int QUEUE = 256;

  private final HttpsServer server;
  private final ExecutorService executor;
  private final ObjectMapper mapper;
  private final Answerer answerer;

  private WebhookServer(
      HttpsServer server, ExecutorService executor, Function<Review, Decision> rules) {
    this.server = server;
    this.executor = executor;
    this.mapper =
        new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    this.answerer = new Answerer(mapper, rules);
  }

  /**
   * Starts serving on {@code bindAddress:port} (port 0: a free one) with the TLS context's
   * certificate, which may change while serving.
   */
  public static WebhookServer start(
      String bindAddress, int port, SSLContext tls, Function<Review, Decision> rules)
      throws IOException {
    HttpsServer server = HttpsServer.create(new InetSocketAddress(bindAddress, port), 64);
    server.setHttpsConfigurator(
        new HttpsConfigurator(tls) {
          @Override
          public void configure(HttpsParameters params) {
            SSLParameters p = tls.getDefaultSSLParameters();
            p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
            p.setNeedClientAuth(false);
            params.setSSLParameters(p);
          }
        });
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(QUEUE),
            r -> {
              Thread t = new Thread(r, "keyward-webhook-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.AbortPolicy());
    WebhookServer webhook = new WebhookServer(server, executor, rules);
    server.createContext("/validate", webhook::validate);
    server.createContext("/healthz", webhook::healthz);
    server.setExecutor(executor);
    server.start();
    LOG.atInfo()
        .setMessage("admission webhook serving")
        .addKeyValue("address", bindAddress)
        .addKeyValue("port", webhook.port())
        .log();
    return webhook;
  }

  /** The port served (the chosen one when started with 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  private void healthz(HttpExchange exchange) throws IOException {
    try (exchange) {
      drain(exchange.getRequestBody());
      byte[] ok = "ok\n".getBytes(StandardCharsets.US_ASCII);
      exchange.sendResponseHeaders(200, ok.length);
      exchange.getResponseBody().write(ok);
    }
  }

  private void validate(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().add("Allow", "POST");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = readBounded(exchange.getRequestBody());
      if (body == null) {
        exchange.sendResponseHeaders(413, -1);
        return;
      }
      JsonNode review;
      try {
        review = mapper.readTree(body);
      } catch (IOException e) {
        exchange.sendResponseHeaders(400, -1);
        return;
      }
      byte[] answer = mapper.writeValueAsBytes(answerer.answer(review));
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, answer.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      }
    }
  }

  /** Turns an AdmissionReview into its answer; a request the rules cannot read is refused. */
  static final class Answerer {
    private final ObjectMapper mapper;
    private final Function<Review, Decision> rules;

    Answerer(ObjectMapper mapper, Function<Review, Decision> rules) {
      this.mapper = mapper;
      this.rules = rules;
    }

    /** The AdmissionReview answering {@code review}; a request the rules cannot read is refused. */
    ObjectNode answer(JsonNode review) {
      String uid = review.path("request").path("uid").asText("");
      Decision decision;
      Review r = null;
      try {
        r = Review.parse(mapper, review);
        decision = rules.apply(r);
      } catch (IllegalArgumentException e) {
        decision = Decision.badRequest(e.getMessage());
      } catch (RuntimeException e) {
        // A failed lookup (API server unreachable): refused, and the API server's failure policy
        // does not come into it. The message names no value.
        LOG.atWarn()
            .setMessage("admission review failed")
            .addKeyValue("error", e.getClass().getSimpleName())
            .log();
        decision =
            new Decision(
                false,
                500,
                "InternalError",
                "the Keyward webhook could not check this request now; try again");
      }
      if (!decision.allowed() && r != null) {
        // The endpoint does not authenticate its caller (the API server presents no client
        // certificate): what a review says of who and what is quoted bounded, never raw.
        LOG.atInfo()
            .setMessage("admission refused")
            .addKeyValue("operation", r.operation().name())
            .addKeyValue(
                "resource",
                r.subResource().isEmpty() ? r.resource() : r.resource() + "/" + r.subResource())
            .addKeyValue("namespace", excerpt(review.path("request").path("namespace")))
            .addKeyValue("name", excerpt(review.path("request").path("name")))
            .addKeyValue("requester", Excerpt.of(r.requester().username()))
            .addKeyValue("reason", decision.reason())
            .addKeyValue("refusal", decision.message())
            .log();
      }
      ObjectNode out = mapper.createObjectNode();
      out.put("apiVersion", "admission.k8s.io/v1");
      out.put("kind", "AdmissionReview");
      ObjectNode response = out.putObject("response");
      response.put("uid", uid);
      response.put("allowed", decision.allowed());
      if (!decision.allowed()) {
        ObjectNode status = response.putObject("status");
        status.put("code", decision.code());
        status.put("reason", decision.reason());
        status.put("message", decision.message());
      }
      return out;
    }
  }

  private static String excerpt(JsonNode text) {
    return Excerpt.of(text.asText(""));
  }

  private static byte[] readBounded(InputStream in) throws IOException {
    byte[] data = in.readNBytes(MAX_BODY + 1);
    if (data.length > MAX_BODY) {
      drain(in);
      return null;
    }
    return data;
  }

  private static void drain(InputStream in) throws IOException {
    byte[] skip = new byte[8192];
    long total = 0;
    int n;
    while ((n = in.read(skip)) >= 0 && total < MAX_BODY) {
      total += n;
    }
  }

  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
  }
}
