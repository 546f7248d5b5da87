package io.keyward.verifier;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.keyward.verifier.core.KeyDirectory;
import io.keyward.verifier.core.ReplayGuard;
import io.keyward.verifier.core.VerificationListener;
import io.keyward.verifier.scheme.Scheme;
import io.keyward.verifier.server.RefusalAudit;
import io.keyward.verifier.server.SelfCheck;
import io.keyward.verifier.server.VerifierConfig;
import io.keyward.verifier.server.VerifierMetrics;
import io.keyward.verifier.server.VerifierServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The verifier's runnable jar: reads the configuration ({@link VerifierConfig}), watches the
 * cluster's keys, and starts the configured listeners until the process is stopped. A bad
 * configuration ends it with status 2 and a message naming the setting on stderr. {@code
 * --self-check} checks the jar holds everything ext_authz loads, and exits.
 */
public final class VerifierMain {
  /**
   * What the verifier is wired from that lives in other packages: the signing schemes and route
   * presets, and the cluster's key directory with the last-use record. The jar runs with {@link
   * io.keyward.verifier.kube.ClusterComponents}; tests may give others.
   */
  public interface Components {
    /** The schemes and route presets the configuration names. */
    KeywardVerifier.Catalog catalog();

    /**
     * Starts watching the cluster's keys (not waiting until synced: until then the verifier is not
     * ready and answers Unavailable).
     */
    Directory directory(
        KubernetesClient client, VerifierConfig config, MeterRegistry registry, Clock clock);
  }

  /**
   * A started key directory.
   *
   * @param keys where keys are looked up
   * @param size how many access keys it knows (the {@code keyward_verifier_keys} gauge)
   * @param usage told of every verdict, to record accepted keys' last use (or nothing, when {@code
   *     usage.recordLastUse} is false)
   * @param closing stops the watches and the last-use writer
   */
  public record Directory(
      KeyDirectory keys, LongSupplier size, VerificationListener usage, AutoCloseable closing) {}

  private static final Logger LOG = LoggerFactory.getLogger(VerifierMain.class);

  private VerifierMain() {}

  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals("--self-check")) {
      // The build runs this on the packaged jar: everything ext_authz loads is in it.
      SelfCheck.run();
      System.out.println("keyward-verifier: self-check passed");
      System.exit(0);
      return;
    }
    // A signed query may hold ".." in a value (a client order id, say); Armeria refuses such a
    // query by default, before any verification and not in the scheme's shape. Dot segments in
    // the path stay refused (by Armeria and by the route table).
    System.setProperty("com.linecorp.armeria.allowDoubleDotsInQueryString", "true");
    VerifierConfig config;
    try {
      config = VerifierConfig.load(System.getenv());
    } catch (IllegalArgumentException | UncheckedIOException e) {
      System.err.println("keyward-verifier: " + e.getMessage());
      System.exit(2);
      return;
    }
    Components components = new io.keyward.verifier.kube.ClusterComponents();
    Running running;
    try {
      running = start(config, components, Clock.systemUTC());
    } catch (IllegalArgumentException e) {
      System.err.println("keyward-verifier: " + e.getMessage());
      System.exit(2);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(running::close, "keyward-verifier-stop"));
  }

  /** The running verifier: its listeners, the directory and the cluster client. */
  public static final class Running implements AutoCloseable {
    private final KubernetesClient client;
    private final Directory directory;
    private final KeywardVerifier verifier;
    private final VerifierServer server;

    private Running(
        KubernetesClient client,
        Directory directory,
        KeywardVerifier verifier,
        VerifierServer server) {
      this.client = client;
      this.directory = directory;
      this.verifier = verifier;
      this.server = server;
    }

    public KeywardVerifier verifier() {
      return verifier;
    }

    public VerifierServer server() {
      return server;
    }

    /** Stops the listeners first (in-flight requests end), then the watches and the client. */
    @Override
    public void close() {
      try {
        server.close();
      } finally {
        try {
          directory.closing().close();
        } catch (Exception e) {
          LOG.atWarn()
              .setMessage("stopping the key directory failed")
              .addKeyValue("error", e.getClass().getName())
              .log();
        }
        client.close();
        LOG.info("keyward verifier stopped");
      }
    }
  }

  /**
   * Starts the verifier of a configuration.
   *
   * @throws IllegalArgumentException when the configuration names a scheme or preset there is not
   */
  public static Running start(VerifierConfig config, Components components, Clock clock) {
    return start(config, components, clock, new KubernetesClientBuilder().build());
  }

  /**
   * Starts the verifier as the jar does, on a client of the caller's (closed when the verifier is):
   * the standard schemes and presets, and the keys of that client's cluster.
   */
  public static Running start(VerifierConfig config, KubernetesClient client, Clock clock) {
    return start(config, new io.keyward.verifier.kube.ClusterComponents(), clock, client);
  }

  /** Starts the verifier of a configuration on {@code client} (closed when the verifier is). */
  public static Running start(
      VerifierConfig config, Components components, Clock clock, KubernetesClient client) {
    Directory directory = null;
    // The replay memory starts empty now: nothing signed before is accepted (see Verifier).
    long startedAt = clock.millis();
    try {
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      for (var binder :
          List.of(
              new JvmMemoryMetrics(),
              new JvmGcMetrics(),
              new JvmThreadMetrics(),
              new ClassLoaderMetrics(),
              new ProcessorMetrics())) {
        binder.bindTo(registry);
      }
      KeywardVerifier.Catalog catalog = components.catalog();
      List<Scheme> schemes = catalog.schemes(config, clock);
      directory = components.directory(client, config, registry, clock);
      ReplayGuard replay = new ReplayGuard(config.replayMaxEntries());
      KeyDirectory keys = directory.keys();
      VerifierMetrics metrics =
          new VerifierMetrics(
              registry,
              schemes.stream().map(Scheme::name).toList(),
              directory.size(),
              keys::ready,
              replay::size);
      KeywardVerifier verifier =
          new KeywardVerifier(
              config,
              keys,
              clock,
              schemes,
              KeywardVerifier.routes(config, catalog),
              replay,
              VerificationListener.all(metrics, new RefusalAudit(), directory.usage()),
              startedAt);
      VerifierServer server = VerifierServer.start(verifier, registry);
      LOG.atInfo()
          .setMessage("keyward verifier started")
          .addKeyValue("proxyPort", server.proxyPort())
          .addKeyValue("extAuthzPort", server.extAuthzPort())
          .addKeyValue("adminPort", server.adminPort())
          .addKeyValue("schemes", schemes.stream().map(Scheme::name).toList())
          .log();
      return new Running(client, directory, verifier, server);
    } catch (RuntimeException e) {
      if (directory != null) {
        try {
          directory.closing().close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      client.close();
      throw e;
    }
  }
}
