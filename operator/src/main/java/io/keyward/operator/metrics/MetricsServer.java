package io.keyward.operator.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's HTTP endpoint: {@code /metrics} in the Prometheus text format, {@code /healthz}
 * (liveness) and {@code /readyz} (readiness), answering 503 when the probe says no.
 *
 * <p>The kubelet restarts the operator when {@code /healthz} does not answer, so no client may be
 * able to stop the probes from answering: not idle connections, not a client that sends its request
 * one byte at a time, not one that never reads a large {@code /metrics}. The JDK's {@code
 * com.sun.net.httpserver} reads requests and writes responses blocking, on its executor's threads,
 * and takes its timeouts only as JVM-wide system properties; so this is a small HTTP/1.1 server of
 * its own, over one non-blocking selector, where each bound below is this class's code:
 *
 * <ul>
 *   <li><b>No client holds a thread.</b> One selector thread does all the network I/O and never
 *       blocks: an idle connection, a request arriving slowly or a response not being read costs a
 *       registered channel and a buffer, not a thread. Only a whole request reaches a worker.
 *   <li><b>Deadlines, not idle timers.</b> The request head must have arrived whole within {@link
 *       Limits#requestTimeout} of the connection being accepted (dribbling bytes does not extend
 *       it), the answer be computed and written within {@link Limits#responseTimeout}; then the
 *       connection is closed. After the answer the server half-closes and reads what the client
 *       still sends for at most {@link Limits#lingerTimeout}, so that closing does not reset a
 *       response the client has not read yet.
 *   <li><b>Bounded sizes.</b> A request head is at most {@link Limits#maxHeadBytes} (431 beyond);
 *       at most {@link Limits#maxConnections} connections are open: a new one closes the oldest
 *       that waits on its client.
 *   <li><b>Bounded workers, probes apart.</b> Probes are answered by {@link Limits#probeWorkers}
 *       threads with a bounded queue; scrapes by one thread of their own, at most {@link
 *       Limits#maxScrapes} at a time (each holds its rendered text until written). A slow or
 *       flooded {@code /metrics} therefore does not delay the probes; beyond the queues the answer
 *       is 503.
 * </ul>
 *
 * <p>One request per connection ({@code Connection: close}), {@code GET} and {@code HEAD}; 405 for
 * other methods on the three paths, 404 for any other path, 400 for what is not an HTTP/1.x
 * request.
 */
public final class MetricsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

  /** The Prometheus text format, version 0.0.4. */
  static final String METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** What the probes ask. */
  public interface Health {
    /**
     * The process works: it is starting, or it has started and its reconcile machinery runs. Not
     * whether the API server answers: a restart would not bring that back.
     */
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

  /**
   * The server's bounds.
   *
   * @param maxConnections open connections at most; a new one beyond closes the oldest that waits
   *     on its client (still sending its request, not reading its response, or lingering)
   * @param maxHeadBytes the largest request head (request line and headers); 431 beyond
   * @param requestTimeout from accepting a connection to having its whole request head
   * @param responseTimeout from having the request to having written the whole answer
   * @param lingerTimeout after the answer, how long the client's remaining bytes are read
   * @param probeWorkers threads answering {@code /healthz} and {@code /readyz}
   * @param probeQueue probe requests waiting for one of them at most; 503 beyond
   * @param maxScrapes {@code /metrics} answers being computed or written at once at most; 503
   *     beyond
   */
  record Limits(
      int maxConnections,
      int maxHeadBytes,
      Duration requestTimeout,
      Duration responseTimeout,
      Duration lingerTimeout,
      int probeWorkers,
      int probeQueue,
      int maxScrapes) {
    /**
     * The kubelet and Prometheus send their whole request at once and read the answer at once, so
     * seconds are generous; Prometheus gives up on a scrape after 10 s by default.
     */
    static final Limits DEFAULT =
        new Limits(
            64,
            8 * 1024,
            Duration.ofSeconds(5),
            Duration.ofSeconds(10),
            Duration.ofSeconds(1),
            2,
            32,
            4);
  }

  private final ServerSocketChannel channel;
  private final Selector selector;
  private final Limits limits;
  private final Supplier<String> scrape;
  private final Health health;
  private final int port;
  private final ThreadPoolExecutor probes;
  private final ThreadPoolExecutor scrapes;
  private final Thread loop;
  private final Queue<Answer> answered = new ConcurrentLinkedQueue<>();
  private volatile boolean closing;
  private volatile int open;

  // Owned by the selector thread.
  private final Set<Conn> conns = new LinkedHashSet<>();
  private final ByteBuffer discard = ByteBuffer.allocate(4096);
  private int scrapesInFlight;

  /** Starts serving on {@code port} (0: any free port), with probes that always say yes. */
  public static MetricsServer start(int port, KeywardMetrics metrics) {
    return start(port, metrics, Health.ALWAYS);
  }

  /** Starts serving on {@code port} (0: any free port) on all interfaces. */
  public static MetricsServer start(int port, KeywardMetrics metrics, Health health) {
    return start(port, metrics::scrape, health, Limits.DEFAULT);
  }

  /** As {@link #start(int, KeywardMetrics, Health)}, with other bounds (for tests). */
  static MetricsServer start(int port, Supplier<String> scrape, Health health, Limits limits) {
    try {
      return new MetricsServer(port, scrape, health, limits);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on port " + port, e);
    }
  }

  private MetricsServer(int port, Supplier<String> scrape, Health health, Limits limits)
      throws IOException {
    this.scrape = scrape;
    this.health = health;
    this.limits = limits;
    selector = Selector.open();
    channel = ServerSocketChannel.open();
    try {
      channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      channel.bind(new InetSocketAddress(port), 64);
      channel.configureBlocking(false);
      channel.register(selector, SelectionKey.OP_ACCEPT);
    } catch (IOException e) {
      channel.close();
      selector.close();
      throw e;
    }
    this.port = ((InetSocketAddress) channel.getLocalAddress()).getPort();
    probes =
        new ThreadPoolExecutor(
            limits.probeWorkers(),
            limits.probeWorkers(),
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(limits.probeQueue()),
            daemon("keyward-probe-"));
    scrapes =
        new ThreadPoolExecutor(
            1,
            1,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(limits.maxScrapes()),
            daemon("keyward-scrape-"));
    probes.allowCoreThreadTimeOut(true);
    scrapes.allowCoreThreadTimeOut(true);
    loop = new Thread(this::run, "keyward-metrics");
    loop.setDaemon(true);
    loop.start();
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** The port actually bound. */
  public int port() {
    return port;
  }

  /** Connections open now (accepted and not yet closed by either side). */
  int openConnections() {
    return open;
  }

  @Override
  public void close() {
    closing = true;
    selector.wakeup();
    try {
      loop.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    probes.shutdownNow();
    scrapes.shutdownNow();
  }

  // ---- The selector thread ----------------------------------------------------------------

  private enum State {
    /** Reading the request head. */
    READING,
    /** A worker computes the answer. */
    ANSWERING,
    /** Writing the answer. */
    WRITING,
    /** Answer written and output shut down; reading what the client still sends. */
    LINGERING,
    CLOSED
  }

  private static final class Conn {
    final SocketChannel channel;
    final ByteBuffer in;
    SelectionKey key;
    State state = State.READING;
    long deadline;
    int scanned;
    boolean head;
    boolean scrape;
    ByteBuffer[] out;

    Conn(SocketChannel channel, int maxHead, long deadline) {
      this.channel = channel;
      this.in = ByteBuffer.allocate(maxHead);
      this.deadline = deadline;
    }
  }

  /** An answer computed by a worker, for the selector thread to write. */
  private record Answer(Conn conn, Response response) {}

  private record Response(int status, String type, byte[] body, boolean allow) {
    static Response text(int status, String body) {
      return new Response(status, "text/plain", body.getBytes(StandardCharsets.UTF_8), false);
    }

    Response allowingGetAndHead() {
      return new Response(status, type, body, true);
    }
  }

  private void run() {
    try {
      while (!closing) {
        try {
          selector.select(selectTimeout());
          // Connections first, new ones after: a request already received is read before a new
          // connection beyond the limit may close its connection.
          boolean accept = false;
          for (Iterator<SelectionKey> keys = selector.selectedKeys().iterator(); keys.hasNext(); ) {
            SelectionKey key = keys.next();
            keys.remove();
            if (key.attachment() == null) {
              accept = true;
            } else {
              ready(key);
            }
          }
          if (accept) {
            accept();
          }
          Answer a;
          while ((a = answered.poll()) != null) {
            if (a.conn().state == State.ANSWERING) {
              respond(a.conn(), a.response());
            }
          }
          expire();
        } catch (IOException | RuntimeException e) {
          // Never let the loop end while the server is open: the probes depend on it.
          LOG.warn("Metrics server: {}", e.toString());
        }
      }
    } finally {
      for (Conn c : new ArrayList<>(conns)) {
        close(c);
      }
      closeQuietly(channel);
      closeQuietly(selector);
    }
  }

  private long selectTimeout() {
    if (conns.isEmpty()) {
      return 0; // until a connection or an answer wakes the selector
    }
    long now = System.nanoTime();
    long next = Long.MAX_VALUE;
    for (Conn c : conns) {
      next = Math.min(next, c.deadline - now);
    }
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(next) + 1);
  }

  private void expire() {
    long now = System.nanoTime();
    List<Conn> late = new ArrayList<>();
    for (Conn c : conns) {
      if (now - c.deadline >= 0) {
        late.add(c);
      }
    }
    late.forEach(this::close);
  }

  private void ready(SelectionKey key) {
    if (!key.isValid()) {
      return;
    }
    Conn c = (Conn) key.attachment();
    try {
      if (key.isReadable()) {
        read(c);
      } else if (key.isWritable()) {
        write(c);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Metrics connection: {}", e.toString());
      close(c);
    }
  }

  private void accept() {
    // A few at a time, so that the requests of the connections already accepted are read between.
    for (int i = 0; i < 16; i++) {
      SocketChannel client;
      try {
        client = channel.accept();
      } catch (IOException e) {
        LOG.debug("Metrics accept: {}", e.toString());
        return;
      }
      if (client == null) {
        return;
      }
      if (conns.size() >= limits.maxConnections() && !evictOne()) {
        closeQuietly(client);
        continue;
      }
      Conn c;
      try {
        client.configureBlocking(false);
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        c =
            new Conn(
                client,
                limits.maxHeadBytes(),
                System.nanoTime() + limits.requestTimeout().toNanos());
        c.key = client.register(selector, SelectionKey.OP_READ, c);
        conns.add(c);
        open = conns.size();
      } catch (IOException e) {
        closeQuietly(client);
        continue;
      }
      try {
        read(c); // the request has often arrived with the connection
      } catch (IOException | RuntimeException e) {
        close(c);
      }
    }
  }

  /**
   * Closes the oldest connection that waits on its client: one lingering after its answer, else one
   * still sending its request, else one not reading its answer; false if every one waits on a
   * worker (at most the workers and their queues, fewer than the connections).
   */
  private boolean evictOne() {
    for (State state : EVICTION_ORDER) {
      for (Conn c : conns) {
        if (c.state == state) {
          close(c);
          return true;
        }
      }
    }
    return false;
  }

  private static final List<State> EVICTION_ORDER =
      List.of(State.LINGERING, State.READING, State.WRITING);

  private void read(Conn c) throws IOException {
    if (c.state == State.LINGERING) {
      int n;
      do {
        discard.clear();
        n = c.channel.read(discard);
      } while (n > 0);
      if (n < 0) {
        close(c);
      }
      return;
    }
    if (c.state != State.READING) {
      return;
    }
    if (c.channel.read(c.in) < 0) {
      close(c); // the client gave up before sending a whole request
      return;
    }
    int end = headEnd(c);
    if (end >= 0) {
      handle(c, end);
    } else if (!c.in.hasRemaining()) {
      respond(c, Response.text(431, "request header too large\n"));
    }
  }

  /** The index just past the blank line that ends the head, or -1 while it is incomplete. */
  private static int headEnd(Conn c) {
    byte[] b = c.in.array();
    int limit = c.in.position();
    for (int i = Math.max(c.scanned, 1); i < limit; i++) {
      if (b[i] == '\n' && (b[i - 1] == '\n' || (i >= 2 && b[i - 1] == '\r' && b[i - 2] == '\n'))) {
        return i + 1;
      }
    }
    c.scanned = limit;
    return -1;
  }

  private void handle(Conn c, int end) {
    byte[] b = c.in.array();
    int eol = 0;
    while (eol < end && b[eol] != '\n') {
      eol++;
    }
    String line = new String(b, 0, eol, StandardCharsets.ISO_8859_1);
    if (line.endsWith("\r")) {
      line = line.substring(0, line.length() - 1);
    }
    String[] parts = line.split(" ", -1);
    if (parts.length != 3
        || parts[0].isEmpty()
        || !parts[1].startsWith("/")
        || !parts[2].startsWith("HTTP/1.")) {
      respond(c, Response.text(400, "bad request\n"));
      return;
    }
    String method = parts[0];
    c.head = method.equals("HEAD");
    int query = parts[1].indexOf('?');
    String path = query < 0 ? parts[1] : parts[1].substring(0, query);
    if (!path.equals("/metrics") && !path.equals("/healthz") && !path.equals("/readyz")) {
      respond(c, Response.text(404, "not found\n"));
      return;
    }
    if (!c.head && !method.equals("GET")) {
      respond(c, Response.text(405, "method not allowed\n").allowingGetAndHead());
      return;
    }
    c.state = State.ANSWERING;
    c.key.interestOps(0);
    c.deadline = System.nanoTime() + limits.responseTimeout().toNanos();
    try {
      if (path.equals("/metrics")) {
        if (scrapesInFlight >= limits.maxScrapes()) {
          respond(c, Response.text(503, "busy\n"));
          return;
        }
        c.scrape = true;
        scrapesInFlight++;
        scrapes.execute(() -> answer(c, this::metrics));
      } else if (path.equals("/healthz")) {
        probes.execute(() -> answer(c, () -> probe(health::live, "unhealthy\n")));
      } else {
        probes.execute(() -> answer(c, () -> probe(health::ready, "not ready\n")));
      }
    } catch (RejectedExecutionException e) {
      respond(c, Response.text(503, "busy\n"));
    }
  }

  private Response metrics() {
    return new Response(200, METRICS_TYPE, scrape.get().getBytes(StandardCharsets.UTF_8), false);
  }

  private static Response probe(java.util.function.BooleanSupplier check, String no) {
    return check.getAsBoolean() ? Response.text(200, "ok\n") : Response.text(503, no);
  }

  /** On a worker: computes the answer and hands it to the selector thread. */
  private void answer(Conn c, Supplier<Response> compute) {
    Response r;
    try {
      r = compute.get();
    } catch (RuntimeException e) {
      LOG.warn("Metrics server: answering failed: {}", e.toString());
      r = Response.text(500, "error\n");
    }
    answered.add(new Answer(c, r));
    selector.wakeup();
  }

  private void respond(Conn c, Response r) {
    String head =
        "HTTP/1.1 "
            + r.status()
            + " "
            + reason(r.status())
            + "\r\nContent-Type: "
            + r.type()
            + "\r\nContent-Length: "
            + r.body().length
            + (r.allow() ? "\r\nAllow: GET, HEAD" : "")
            + "\r\nConnection: close\r\n\r\n";
    ByteBuffer h = ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1));
    c.out = c.head ? new ByteBuffer[] {h} : new ByteBuffer[] {h, ByteBuffer.wrap(r.body())};
    if (c.state != State.ANSWERING) {
      c.deadline = System.nanoTime() + limits.responseTimeout().toNanos();
    }
    c.state = State.WRITING;
    try {
      write(c);
    } catch (IOException e) {
      close(c);
    }
  }

  private void write(Conn c) throws IOException {
    if (c.state != State.WRITING) {
      return;
    }
    c.channel.write(c.out);
    if (c.out[c.out.length - 1].hasRemaining()) {
      c.key.interestOps(SelectionKey.OP_WRITE);
      return;
    }
    // Written: free the answer, send FIN, and read until the client closes (or the linger ends).
    c.out = null;
    if (c.scrape) {
      c.scrape = false;
      scrapesInFlight--;
    }
    c.channel.shutdownOutput();
    c.state = State.LINGERING;
    c.deadline = System.nanoTime() + limits.lingerTimeout().toNanos();
    c.key.interestOps(SelectionKey.OP_READ);
  }

  private void close(Conn c) {
    if (c.state == State.CLOSED) {
      return;
    }
    c.state = State.CLOSED;
    c.out = null;
    if (c.scrape) {
      c.scrape = false;
      scrapesInFlight--;
    }
    if (c.key != null) {
      c.key.cancel();
    }
    closeQuietly(c.channel);
    conns.remove(c);
    open = conns.size();
  }

  private static void closeQuietly(java.io.Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 431 -> "Request Header Fields Too Large";
      case 503 -> "Service Unavailable";
      default -> "Internal Server Error";
    };
  }
}
