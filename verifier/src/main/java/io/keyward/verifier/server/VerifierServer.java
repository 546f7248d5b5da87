package io.keyward.verifier.server;

import com.linecorp.armeria.common.util.EventLoopGroups;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import io.keyward.verifier.KeywardVerifier;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The verifier's listeners, each an Armeria server of its own (its own limits) on one shared set of
 * event loops: the reverse proxy ({@code listen.proxyPort}), Envoy ext_authz ({@code
 * listen.extAuthzPort}) and the admin endpoints ({@code listen.adminPort}); a port of 0 starts
 * none. HTTP/1.1 and HTTP/2 (cleartext: TLS ends before the verifier, at the gateway or the Service
 * mesh).
 */
public final class VerifierServer implements AutoCloseable {
  /** Connections one listener holds open at once; more are refused until some close. */
  static final int MAX_CONNECTIONS = 10_000;

  /** Streams one HTTP/2 connection may run at once. */
  static final long MAX_STREAMS_PER_CONNECTION = 100;

  /** How long a Check may take: Envoy's own deadline (200 ms by default) is far shorter. */
  static final Duration EXT_AUTHZ_REQUEST_TIMEOUT = Duration.ofSeconds(5);

  /** An ext_authz connection is Envoy's, long-lived; an idle one is closed after this. */
  static final Duration EXT_AUTHZ_IDLE_TIMEOUT = Duration.ofMinutes(10);

  /** A stopping listener takes no new requests after this quiet time, and ends all by the next. */
  static final Duration QUIET_PERIOD = Duration.ofSeconds(1);

  static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

  private final EventLoopGroup workers;
  private final ReverseProxy proxy;
  private final Server proxyServer;
  private final Server extAuthzServer;
  private final Server adminServer;

  private VerifierServer(
      EventLoopGroup workers,
      ReverseProxy proxy,
      Server proxyServer,
      Server extAuthzServer,
      Server adminServer) {
    this.workers = workers;
    this.proxy = proxy;
    this.proxyServer = proxyServer;
    this.extAuthzServer = extAuthzServer;
    this.adminServer = adminServer;
  }

  /**
   * Starts the configured listeners.
   *
   * @param registry the metrics {@code /metrics} serves (the listeners' own are added to it)
   * @throws java.util.concurrent.CompletionException when a port cannot be bound (every listener
   *     started is stopped again)
   */
  public static VerifierServer start(KeywardVerifier verifier, PrometheusMeterRegistry registry) {
    VerifierConfig config = verifier.config();
    EventLoopGroup workers =
        EventLoopGroups.newEventLoopGroup(
            Math.max(2, Runtime.getRuntime().availableProcessors()), "keyward-verifier-worker");
    ReverseProxy proxy = null;
    List<Server> started = new ArrayList<>();
    try {
      Server proxyServer = null;
      if (config.proxyPort() != 0) {
        proxy = new ReverseProxy(verifier, workers);
        proxyServer =
            base(workers, registry, config.proxyPort())
                // The proxy bounds each body itself, to refuse in the scheme's shape.
                .maxRequestLength(0)
                // The proxy sets each request's deadline from proxy.*Timeout.
                .requestTimeout(Duration.ZERO)
                .idleTimeout(config.proxyIdleTimeout())
                .serviceUnder("/", proxy)
                .build();
        started.add(proxyServer);
        proxyServer.start().join();
      }
      Server extAuthzServer = null;
      if (config.extAuthzPort() != 0) {
        extAuthzServer =
            base(workers, registry, config.extAuthzPort())
                .maxRequestLength(ExtAuthzService.maxMessageBytes(config.proxyMaxBodyBytes()))
                .requestTimeout(EXT_AUTHZ_REQUEST_TIMEOUT)
                .idleTimeout(EXT_AUTHZ_IDLE_TIMEOUT)
                .service(new ExtAuthzService(verifier).grpcService())
                .build();
        started.add(extAuthzServer);
        extAuthzServer.start().join();
      }
      Server adminServer = null;
      if (config.adminPort() != 0) {
        ServerBuilder sb =
            base(workers, registry, config.adminPort())
                .maxNumConnections(64)
                .maxRequestLength(4096)
                .requestTimeout(Duration.ofSeconds(10))
                .idleTimeout(Duration.ofSeconds(60));
        AdminService.install(sb, verifier::ready, registry);
        adminServer = sb.build();
        started.add(adminServer);
        adminServer.start().join();
      }
      return new VerifierServer(workers, proxy, proxyServer, extAuthzServer, adminServer);
    } catch (RuntimeException e) {
      stopAll(started);
      if (proxy != null) {
        proxy.close();
      }
      workers.shutdownGracefully();
      throw e;
    }
  }

  private static ServerBuilder base(
      EventLoopGroup workers, PrometheusMeterRegistry registry, int port) {
    return Server.builder()
        .http(port)
        .workerGroup(workers, false)
        .meterRegistry(registry)
        .maxNumConnections(MAX_CONNECTIONS)
        .http2MaxStreamsPerConnection(MAX_STREAMS_PER_CONNECTION)
        .gracefulShutdownTimeout(QUIET_PERIOD, SHUTDOWN_TIMEOUT);
  }

  /** The reverse proxy's bound port; 0 when it is off. */
  public int proxyPort() {
    return proxyServer == null ? 0 : proxyServer.activeLocalPort();
  }

  /** The ext_authz service's bound port; 0 when it is off. */
  public int extAuthzPort() {
    return extAuthzServer == null ? 0 : extAuthzServer.activeLocalPort();
  }

  /** The admin endpoints' bound port; 0 when they are off. */
  public int adminPort() {
    return adminServer == null ? 0 : adminServer.activeLocalPort();
  }

  /** Stops every listener (at once: each waits out its quiet period), then the upstream client. */
  @Override
  public void close() {
    List<Server> servers = new ArrayList<>();
    for (Server s : new Server[] {proxyServer, extAuthzServer, adminServer}) {
      if (s != null) {
        servers.add(s);
      }
    }
    stopAll(servers);
    if (proxy != null) {
      proxy.close();
    }
    workers.shutdownGracefully().syncUninterruptibly();
  }

  private static void stopAll(List<Server> servers) {
    CompletableFuture.allOf(servers.stream().map(Server::stop).toArray(CompletableFuture[]::new))
        .join();
  }
}
