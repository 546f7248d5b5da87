package io.keyward.operator.admission;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.keyward.operator.validation.Excerpt;
import io.netty.handler.ssl.util.SimpleKeyManagerFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Function;
import javax.net.ssl.KeyManager;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The validating webhook's HTTPS endpoint: {@code POST /validate} takes an AdmissionReview and
 * answers one, {@code GET /healthz} says the endpoint serves. Every replica serves it; it holds no
 * state.
 *
 * <p>It is reachable by any pod that can reach the Service, and the API server presents no client
 * certificate, so what one client can take is bounded: the server is non-blocking (Armeria on
 * Netty), so a client that stalls in its TLS handshake or its request holds a connection, never a
 * thread; a connection idle for {@value #IDLE_SECONDS} s (a stalled handshake among them) is
 * closed, a request must finish within {@value #REQUEST_SECONDS} s (the API server gives up after
 * the configuration's 10 s anyway), and at most {@value #MAX_CONNECTIONS} connections are open at
 * once. Bodies are bounded ({@value #MAX_BODY} bytes: a stored object is at most about 1.5 MiB of
 * JSON, and a review carries it twice). The rules run on Armeria's blocking executor (their lookups
 * are API requests).
 */
public final class WebhookServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookServer.class);

  /** Largest AdmissionReview read. */
  static final int MAX_BODY = 8 * 1024 * 1024;

  static final int REQUEST_SECONDS = 15;

  /**
   * A connection with no complete request for this long is closed, a stalled TLS handshake among
   * them (the API server reconnects at its next call; keeping connections costs memory only).
   */
  static final int IDLE_SECONDS = 10;

  static final int MAX_CONNECTIONS = 1024;

  private final Server server;

  private WebhookServer(Server server) {
    this.server = server;
  }

  /**
   * Starts serving on {@code bindAddress:port} (port 0: a free one) with the key manager's
   * certificate, which may change while serving (each handshake asks it).
   */
  public static WebhookServer start(
      String bindAddress, int port, X509ExtendedKeyManager keys, Function<Review, Decision> rules)
      throws IOException {
    ObjectMapper mapper =
        new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    Answerer answerer = new Answerer(mapper, rules);
    Server server =
        Server.builder()
            .https(new InetSocketAddress(bindAddress, port))
            .tls(new OneKeyManager(keys))
            .tlsCustomizer(
                b ->
                    b.protocols("TLSv1.3", "TLSv1.2")
                        .sslProvider(io.netty.handler.ssl.SslProvider.JDK))
            .maxNumConnections(MAX_CONNECTIONS)
            .idleTimeout(Duration.ofSeconds(IDLE_SECONDS))
            .requestTimeout(Duration.ofSeconds(REQUEST_SECONDS))
            .maxRequestLength(MAX_BODY)
            .service(
                "/validate",
                (ctx, req) -> {
                  if (req.method() != HttpMethod.POST) {
                    return HttpResponse.of(HttpStatus.METHOD_NOT_ALLOWED);
                  }
                  return HttpResponse.of(
                      req.aggregate()
                          .thenApplyAsync(agg -> respond(mapper, answerer, agg), executor(ctx)));
                })
            .service("/healthz", (ctx, req) -> HttpResponse.of("ok\n"))
            .build();
    try {
      server.start().join();
    } catch (RuntimeException e) {
      throw new IOException("cannot listen on " + bindAddress + ":" + port, e);
    }
    WebhookServer webhook = new WebhookServer(server);
    LOG.atInfo()
        .setMessage("admission webhook serving")
        .addKeyValue("address", bindAddress)
        .addKeyValue("port", webhook.port())
        .log();
    return webhook;
  }

  private static java.util.concurrent.Executor executor(ServiceRequestContext ctx) {
    return ctx.blockingTaskExecutor();
  }

  private static HttpResponse respond(
      ObjectMapper mapper, Answerer answerer, AggregatedHttpRequest agg) {
    JsonNode review;
    try {
      review = mapper.readTree(agg.content().array());
    } catch (IOException e) {
      return HttpResponse.of(HttpStatus.BAD_REQUEST);
    }
    try {
      return HttpResponse.of(
          HttpStatus.OK, MediaType.JSON, mapper.writeValueAsBytes(answerer.answer(review)));
    } catch (IOException e) {
      return HttpResponse.of(HttpStatus.INTERNAL_SERVER_ERROR);
    }
  }

  /** The port served (the chosen one when started with 0). */
  public int port() {
    return server.activeLocalPort();
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

  /** Hands Netty the one key manager, whose certificate may change between handshakes. */
  private static final class OneKeyManager extends SimpleKeyManagerFactory {
    private final KeyManager[] keys;

    OneKeyManager(X509ExtendedKeyManager keys) {
      this.keys = new KeyManager[] {keys};
    }

    @Override
    protected void engineInit(java.security.KeyStore keyStore, char[] password) {}

    @Override
    protected void engineInit(ManagerFactoryParameters params) {}

    @Override
    protected KeyManager[] engineGetKeyManagers() {
      return keys;
    }
  }

  @Override
  public void close() {
    server.stop().join();
  }
}
