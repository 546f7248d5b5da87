package io.keyward.operator.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keyward.operator.metrics.MetricsServer.Health;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
  /** How fast a probe must answer, from connecting to the end of the answer. */
  private static final Duration BOUND = Duration.ofSeconds(1);

  /** Short deadlines, so that the tests see the server close what it must. */
  private static final MetricsServer.Limits FAST =
      new MetricsServer.Limits(
          16,
          8 * 1024,
          Duration.ofSeconds(1),
          Duration.ofSeconds(2),
          Duration.ofSeconds(1),
          2,
          32,
          4);

  /** Larger than what the kernel buffers between the server and a client that does not read. */
  private static final String LARGE_SCRAPE = "x".repeat(16 * 1024 * 1024);

  private final List<Socket> hostile = new ArrayList<>();
  private final ScheduledExecutorService dribblers = Executors.newScheduledThreadPool(1);

  @AfterEach
  void closeHostileClients() throws IOException {
    dribblers.shutdownNow();
    for (Socket s : hostile) {
      s.close();
    }
  }

  @Test
  void servesKeywardMetricsInThePrometheusFormat() throws Exception {
    KeywardMetrics metrics = new KeywardMetrics();
    metrics.waitingForSlot(() -> 3);
    metrics.totpFailure("alice", "CodeReplayed");
    metrics.totpFailure("alice", "CodeReplayed");
    HttpClient http = HttpClient.newHttpClient();
    try (MetricsServer server = MetricsServer.start(0, metrics)) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type"))
          .hasValue("text/plain; version=0.0.4; charset=utf-8");
      assertThat(response.body())
          .contains("keyward_apikeys_waiting_for_slot 3.0")
          .contains("keyward_totp_failures_total{reason=\"CodeReplayed\",user=\"alice\"} 2.0");
      HttpResponse<String> health =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/healthz"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(health.body()).isEqualTo("ok\n");
    }
  }

  @Test
  void probesAnswer503WhileTheOperatorIsNotReady() throws Exception {
    AtomicBoolean ready = new AtomicBoolean();
    HttpClient http = HttpClient.newHttpClient();
    try (MetricsServer server = MetricsServer.start(0, new KeywardMetrics(), readiness(ready))) {
      URI readyz = URI.create("http://127.0.0.1:" + server.port() + "/readyz");
      URI healthz = URI.create("http://127.0.0.1:" + server.port() + "/healthz");
      assertThat(status(http, readyz)).isEqualTo(503);
      assertThat(status(http, healthz)).isEqualTo(200);
      ready.set(true);
      assertThat(status(http, readyz)).isEqualTo(200);
    }
  }

  @Test
  void headAnswersWithoutABodyOtherMethodsAre405OtherPaths404() throws Exception {
    try (MetricsServer server = MetricsServer.start(0, () -> "m 1\n", Health.ALWAYS, FAST)) {
      Answer head = request(server.port(), "HEAD /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
      assertThat(head.status()).isEqualTo(200);
      assertThat(head.headers()).containsEntry("content-length", "4");
      assertThat(head.body()).isEmpty();
      Answer post =
          request(
              server.port(), "POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
      assertThat(post.status()).isEqualTo(405);
      assertThat(post.headers()).containsEntry("allow", "GET, HEAD");
      assertThat(get(server.port(), "/nothing-here").status()).isEqualTo(404);
      assertThat(get(server.port(), "/healthz/more").status()).isEqualTo(404);
      assertThat(get(server.port(), "/healthz?verbose").status()).isEqualTo(200);
      assertThat(request(server.port(), "NONSENSE\r\n\r\n").status()).isEqualTo(400);
      assertThat(get(server.port(), "/metrics").body()).isEqualTo("m 1\n");
    }
  }

  @Test
  void aFailingCheckAnswers500AndTheServerGoesOn() throws Exception {
    AtomicBoolean fail = new AtomicBoolean(true);
    MetricsServer.Health health =
        new MetricsServer.Health() {
          @Override
          public boolean live() {
            if (fail.get()) {
              throw new IllegalStateException("broken check");
            }
            return true;
          }

          @Override
          public boolean ready() {
            return true;
          }
        };
    try (MetricsServer server = MetricsServer.start(0, () -> "", health, FAST)) {
      assertThat(get(server.port(), "/healthz").status()).isEqualTo(500);
      fail.set(false);
      assertThat(get(server.port(), "/healthz").status()).isEqualTo(200);
    }
  }

  @Test
  void aRequestHeadOverTheBoundIsRefusedWith431() throws Exception {
    try (MetricsServer server = MetricsServer.start(0, new KeywardMetrics(), Health.ALWAYS)) {
      Answer answer =
          request(
              server.port(),
              "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + "a".repeat(9 * 1024) + "\r\n\r\n");
      assertThat(answer.status()).isEqualTo(431);
      assertThat(get(server.port(), "/healthz").status()).isEqualTo(200);
    }
  }

  @Test
  void idleConnectionsNeitherDelayTheProbesNorStayOpen() throws Exception {
    try (MetricsServer server = MetricsServer.start(0, () -> "", Health.ALWAYS, FAST)) {
      List<Socket> idle = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        idle.add(idle(server.port()));
      }
      assertProbesAnswerQuickly(server.port());
      // Sending nothing, they are closed at the request deadline (1 s here).
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(idle).allMatch(MetricsServerTest::closedByServer));
      await().atMost(Duration.ofSeconds(2)).until(() -> server.openConnections() == 0);
    }
  }

  @Test
  void aClientDribblingItsHeadersDoesNotDelayTheProbesAndIsCutOffAtTheDeadline() throws Exception {
    try (MetricsServer server = MetricsServer.start(0, () -> "", Health.ALWAYS, FAST)) {
      AtomicInteger sent = new AtomicInteger();
      Socket slow = dribble(server.port(), sent);
      // Several probes while it dribbles, one byte every 50 ms.
      for (int i = 0; i < 3; i++) {
        assertProbesAnswerQuickly(server.port());
      }
      // A deadline, not an idle timer: the bytes keep coming, the connection is still closed.
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(closedByServer(slow)).isTrue());
      assertThat(sent.get()).as("header bytes sent before the cut").isGreaterThan(10);
    }
  }

  @Test
  void aClientThatNeverReadsALargeScrapeDoesNotHoldTheProbes() throws Exception {
    AtomicInteger scrapes = new AtomicInteger();
    Supplier<String> scrape =
        () -> {
          scrapes.incrementAndGet();
          return LARGE_SCRAPE;
        };
    try (MetricsServer server = MetricsServer.start(0, scrape, Health.ALWAYS, FAST)) {
      for (int i = 0; i < 3; i++) {
        neverReads(server.port());
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> scrapes.get() >= 1);
      assertProbesAnswerQuickly(server.port());
      // All three are answered at once, none waits for another to read.
      await().atMost(Duration.ofSeconds(5)).until(() -> scrapes.get() == 3);
      assertProbesAnswerQuickly(server.port());
      // The answers could not be written within the response deadline (2 s here): dropped.
      await().atMost(Duration.ofSeconds(6)).until(() -> server.openConnections() == 0);
      assertProbesAnswerQuickly(server.port());
    }
  }

  @Test
  void moreHostileConnectionsThanWorkersAndThanTheConnectionLimitDoNotFreezeTheProbes()
      throws Exception {
    AtomicInteger scrapes = new AtomicInteger();
    Supplier<String> scrape =
        () -> {
          scrapes.incrementAndGet();
          return LARGE_SCRAPE;
        };
    try (MetricsServer server = MetricsServer.start(0, scrape, Health.ALWAYS, FAST)) {
      // 30 hostile connections: 15 times the 2 probe workers, nearly twice the 16 connections.
      for (int i = 0; i < 6; i++) {
        neverReads(server.port()); // 4 scrapes at most at once, the others answered 503
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> scrapes.get() >= 1);
      for (int i = 0; i < 4; i++) {
        dribble(server.port(), new AtomicInteger());
      }
      for (int i = 0; i < 20; i++) {
        idle(server.port());
      }
      for (int i = 0; i < 10; i++) {
        assertProbesAnswerQuickly(server.port());
        assertThat(server.openConnections()).isLessThanOrEqualTo(FAST.maxConnections());
      }
    }
  }

  // ---- Clients -------------------------------------------------------------------------------

  private record Answer(int status, Map<String, String> headers, String body, Duration took) {}

  private void assertProbesAnswerQuickly(int port) throws IOException {
    for (String path : List.of("/healthz", "/readyz")) {
      Answer answer = get(port, path);
      assertThat(answer.status()).as(path).isEqualTo(200);
      assertThat(answer.body()).as(path).isEqualTo("ok\n");
      assertThat(answer.took()).as("%s answered in", path).isLessThan(BOUND);
    }
  }

  private static Answer get(int port, String path) throws IOException {
    return request(
        port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  }

  /**
   * Sends {@code request} on a new connection and reads the answer to its end, as the kubelet does;
   * a server that does not answer within 3 s fails the test rather than hanging it.
   */
  private static Answer request(int port, String request) throws IOException {
    long start = System.nanoTime();
    try (Socket s = new Socket()) {
      s.setSoTimeout(3_000);
      s.connect(new InetSocketAddress("127.0.0.1", port), 3_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      byte[] bytes = s.getInputStream().readAllBytes();
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      String text = new String(bytes, StandardCharsets.ISO_8859_1);
      int split = text.indexOf("\r\n\r\n");
      assertThat(split).as("an HTTP answer: %s", text).isPositive();
      String[] lines = text.substring(0, split).split("\r\n");
      Map<String, String> headers = new TreeMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers.put(
            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
      return new Answer(
          Integer.parseInt(lines[0].split(" ")[1]), headers, text.substring(split + 4), took);
    }
  }

  /** A connection that sends nothing. */
  private Socket idle(int port) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    hostile.add(s);
    return s;
  }

  /** A request line, then header bytes one every 50 ms, never the end of the head. */
  private Socket dribble(int port, AtomicInteger sent) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    hostile.add(s);
    OutputStream out = s.getOutputStream();
    out.write("GET /metrics HTTP/1.1\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    dribblers.scheduleWithFixedDelay(
        () -> {
          try {
            out.write('a');
            out.flush();
            sent.incrementAndGet();
          } catch (IOException e) {
            throw new IllegalStateException("closed", e); // ends this task
          }
        },
        50,
        50,
        TimeUnit.MILLISECONDS);
    return s;
  }

  /** A whole request for /metrics, then never reading (and a tiny receive buffer). */
  private Socket neverReads(int port) throws IOException {
    Socket s = new Socket();
    s.setReceiveBufferSize(1024);
    s.connect(new InetSocketAddress("127.0.0.1", port));
    hostile.add(s);
    s.getOutputStream()
        .write("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    return s;
  }

  /** Whether the server has closed {@code s}: reading finds the end (or a reset), not silence. */
  private static boolean closedByServer(Socket s) {
    try {
      s.setSoTimeout(50);
      InputStream in = s.getInputStream();
      ByteArrayOutputStream ignored = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        ignored.write(buf, 0, n);
      }
      return n < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true; // reset
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static MetricsServer.Health readiness(AtomicBoolean ready) {
    return new MetricsServer.Health() {
      @Override
      public boolean live() {
        return true;
      }

      @Override
      public boolean ready() {
        return ready.get();
      }
    };
  }

  private static int status(HttpClient http, URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }
}
