package io.keyward.operator.it;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.keyward.operator.KeywardOperator;
import io.keyward.operator.MutableClock;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.metrics.KeywardMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** A Keyward operator running in the test JVM against the suite's real API server. */
public final class RunningOperator implements AutoCloseable {
  private final KeywardConfig config;
  private final MutableClock clock;
  private final ClientFactory clients;
  private final String identity = "it-" + INSTANCES.incrementAndGet();
  private KubernetesClient client;
  private Operator operator;
  private KeywardMetrics metrics;
  private io.keyward.operator.admission.Admission admission;

  private static final java.util.concurrent.atomic.AtomicInteger INSTANCES =
      new java.util.concurrent.atomic.AtomicInteger();

  /** This instance's leader-election identity. */
  public String identity() {
    return identity;
  }

  /** Makes the client the operator runs with (the suite's admin client by default). */
  public interface ClientFactory {
    KubernetesClient create() throws IOException;
  }

  private RunningOperator(KeywardConfig config, MutableClock clock, ClientFactory clients) {
    this.config = config;
    this.clock = clock;
    this.clients = clients;
  }

  /**
   * Starts an operator with the default configuration changed by {@code overrides}. Unless they set
   * it, {@code limits.minRotationInterval} is 0s: the suite rotates keys seconds after issuing them
   * (and lowers {@code limits.minValidity} below the default interval); RotationIntervalIT tests
   * the interval.
   */
  public static RunningOperator start(Map<String, String> overrides) {
    return start(overrides, RealCluster::newClient);
  }

  /** As {@link #start(Map)}, with the operator's client made by {@code clients}. */
  public static RunningOperator start(Map<String, String> overrides, ClientFactory clients) {
    Map<String, String> settings = new java.util.HashMap<>(overrides);
    settings.putIfAbsent(KeywardConfig.MIN_ROTATION_INTERVAL.path(), "0s");
    RunningOperator op =
        new RunningOperator(
            KeywardConfig.defaults().with(settings), MutableClock.ticking(), clients);
    op.startInstance();
    return op;
  }

  private void startInstance() {
    // The operator's namespace exists wherever it runs (it keeps its sealing key there).
    RealCluster.namespace(config.operatorNamespace());
    try {
      client = clients.create();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    metrics = new KeywardMetrics();
    if (config.admission().enabled()) {
      admission = io.keyward.operator.admission.Admission.start(client, config, clock);
    }
    operator = KeywardOperator.start(client, config, clock, metrics, false, identity);
  }

  /**
   * Stops the operator without handing over its leader Lease, as a killed process would: a follower
   * must wait for the Lease to expire.
   */
  public void crash() {
    closeAdmission();
    if (operator != null) {
      operator.stop();
      client.close();
      operator = null;
    }
  }

  /** Stops the operator, as if it were down, until {@link #resume}. */
  public void pause() {
    stopInstance();
  }

  /** Starts a paused operator again. */
  public void resume() {
    startInstance();
  }

  /** The probes /healthz and /readyz answer from, for this instance. */
  public io.keyward.operator.metrics.MetricsServer.Health health() {
    return KeywardOperator.health(() -> operator);
  }

  /** The running instance's metrics. */
  public KeywardMetrics metrics() {
    return metrics;
  }

  /** Stops and starts again, as a crashed or redeployed operator would. */
  public void restart() {
    stopInstance();
    startInstance();
  }

  /**
   * What the informer {@code source} of the controller {@code controller} holds in {@code
   * namespace}: the objects of its item store, as the reconciler reads them.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public <R extends io.fabric8.kubernetes.api.model.HasMetadata> java.util.List<R> cached(
      String controller, String source, Class<R> type, String namespace) {
    io.javaoperatorsdk.operator.processing.Controller c =
        (io.javaoperatorsdk.operator.processing.Controller)
            operator.getRegisteredController(controller).orElseThrow();
    var informer =
        (io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource<R, ?>)
            c.getEventSourceManager().getEventSourceFor(type, source);
    return informer.list(namespace).toList();
  }

  /** The operator's clock. */
  public MutableClock clock() {
    return clock;
  }

  /** The port this instance's admission webhook serves on (admission.enabled). */
  public int admissionPort() {
    return admission.port();
  }

  private void closeAdmission() {
    if (admission != null) {
      admission.close();
      admission = null;
    }
  }

  private void stopInstance() {
    closeAdmission();
    if (operator != null) {
      KeywardOperator.stop(operator, client, config, identity);
      client.close();
      operator = null;
    }
  }

  @Override
  public void close() {
    stopInstance();
  }
}
