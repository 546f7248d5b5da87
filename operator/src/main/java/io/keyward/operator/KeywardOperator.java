package io.keyward.operator;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.keyward.operator.apikey.ApiKeyReconciler;
import io.keyward.operator.apiuser.ApiUserReconciler;
import io.keyward.operator.audit.AuditLog;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.kube.EventRecorder;
import io.keyward.operator.kube.StatusWriter;
import io.keyward.operator.kube.UserStatusUpdater;
import io.keyward.operator.metrics.KeywardMetrics;
import io.keyward.operator.metrics.MetricsServer;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.SealingKey;
import io.keyward.operator.mfa.SeedSeal;
import io.keyward.operator.mfa.Totp;
import io.keyward.operator.quota.KeyLedger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The operator's entry point: wires configuration, clock and client into the controllers. */
public final class KeywardOperator {
  private static final Logger LOG = LoggerFactory.getLogger(KeywardOperator.class);

  private KeywardOperator() {}

  /** How many requests the client runs at once: one per reconcile thread, and the watches. */
  static final int REQUESTS_IN_FLIGHT = 128;

  /**
   * The client configuration with room for the operator's concurrency. The OkHttp client queues
   * requests beyond fabric8's defaults (64 in all, 5 per host): with 50 reconcile threads that
   * queue, not the API server, would set the pace. Higher values set by the user are kept.
   */
  public static Config requestsInFlight(Config config) {
    config.setMaxConcurrentRequests(
        Math.max(config.getMaxConcurrentRequests(), REQUESTS_IN_FLIGHT));
    config.setMaxConcurrentRequestsPerHost(
        Math.max(config.getMaxConcurrentRequestsPerHost(), REQUESTS_IN_FLIGHT));
    return config;
  }

  /** {@code java -jar keyward-operator.jar}: finds the cluster the standard way and runs. */
  public static void main(String[] args) {
    KeywardConfig config;
    try {
      config = KeywardConfig.load(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("keyward: " + e.getMessage());
      System.exit(2);
      return;
    }
    // In-cluster service account, else KUBECONFIG, else ~/.kube/config.
    KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(requestsInFlight(Config.autoConfigure(null)))
            .build();
    KeywardMetrics metrics = new KeywardMetrics();
    // Probes answer from the start: live while starting, ready once the watches have synced.
    java.util.concurrent.atomic.AtomicReference<Operator> running =
        new java.util.concurrent.atomic.AtomicReference<>();
    if (config.metricsPort() > 0) {
      MetricsServer server =
          MetricsServer.start(config.metricsPort(), metrics, health(running::get));
      LOG.info(
          "Metrics on http://0.0.0.0:{}/metrics, probes on /healthz and /readyz", server.port());
    }
    // The webhook serves on every replica, leader or not, before the controllers start: the
    // chart's configuration sends creates to it from the moment the Deployment exists.
    io.keyward.operator.admission.Admission admission = null;
    Operator operator;
    try {
      if (config.admission().enabled()) {
        admission =
            io.keyward.operator.admission.Admission.start(client, config, Clock.systemUTC());
      }
      operator = start(client, config, Clock.systemUTC(), metrics);
    } catch (RuntimeException e) {
      // The watches could not start (JOSDK waits at most its cache sync timeout, 2 minutes):
      // end the process rather than leave one whose liveness says it is still starting.
      LOG.error("Keyward operator could not start", e);
      System.exit(1);
      return;
    }
    running.set(operator);
    String instance = instanceName();
    io.keyward.operator.admission.Admission webhook = admission;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop(operator, client, config, instance);
                  if (webhook != null) {
                    webhook.close();
                  }
                },
                "keyward-shutdown"));
    LOG.info("Keyward operator running against {}", client.getMasterUrl());
  }

  /**
   * Stops the operator and, with leader election, hands the Lease over at once: JOSDK keeps it
   * until it expires, so a follower would wait out the lease duration. Like client-go's
   * ReleaseOnCancel, the Lease is cleared only if this instance still holds it, with the read
   * resourceVersion.
   */
  public static void stop(
      Operator operator, KubernetesClient client, KeywardConfig config, String instance) {
    operator.stop();
    if (!config.leaderElection()) {
      return;
    }
    try {
      Lease lease =
          client
              .leases()
              .inNamespace(config.operatorNamespace())
              .withName(config.leaseName())
              .get();
      if (lease == null
          || lease.getSpec() == null
          || !instance.equals(lease.getSpec().getHolderIdentity())) {
        return;
      }
      lease.getSpec().setHolderIdentity("");
      lease.getSpec().setLeaseDurationSeconds(1);
      client.resource(lease).update();
      LOG.info("Released the leader Lease {}", config.leaseName());
    } catch (KubernetesClientException e) {
      // The Lease then expires on its own; a follower takes over after the lease duration.
      LOG.warn("Could not release the leader Lease {}: HTTP {}", config.leaseName(), e.getCode());
    }
  }

  /**
   * Liveness and readiness from JOSDK's runtime information, for {@code /healthz} and {@code
   * /readyz}.
   *
   * <p><b>Liveness</b> says whether this process works, which a restart could mend: it is true
   * while the operator starts ({@code operator} gives null until {@link Operator#start()} has
   * returned; a start that fails ends the process, see {@link #main}) and then as long as JOSDK
   * counts the operator as started ({@link io.javaoperatorsdk.operator.RuntimeInfo#isStarted()})
   * and its reconcile executor takes work. It does not look at the watches: when the API server is
   * unreachable every informer turns unhealthy, and a liveness tied to them would make the kubelet
   * restart every replica of the operator after the probe's failure threshold (about 30 s with the
   * chart's), throwing away the caches and starting again against the API server that does not
   * answer, all replicas at once. The informers reconnect by themselves when it answers again.
   *
   * <p><b>Readiness</b> says whether the operator is doing its work now: started, and every event
   * source healthy ({@link io.javaoperatorsdk.operator.RuntimeInfo#allEventSourcesAreHealthy()}:
   * each informer running, synced and watching). It is false during an API server outage and true
   * again once the watches are back; not ready only takes the pod out of the metrics Service.
   */
  public static MetricsServer.Health health(java.util.function.Supplier<Operator> operator) {
    return new MetricsServer.Health() {
      @Override
      public boolean live() {
        Operator o = operator.get();
        if (o == null) {
          return true; // still starting
        }
        java.util.concurrent.ExecutorService reconcile =
            o.getConfigurationService().getExecutorServiceManager().reconcileExecutorService();
        return o.getRuntimeInfo().isStarted() && reconcile != null && !reconcile.isShutdown();
      }

      @Override
      public boolean ready() {
        Operator o = operator.get();
        return o != null
            && o.getRuntimeInfo().isStarted()
            && o.getRuntimeInfo().allEventSourcesAreHealthy();
      }
    };
  }

  /** Builds, registers and starts the operator; the caller stops it. */
  public static Operator start(KubernetesClient client, KeywardConfig config, Clock clock) {
    return start(client, config, clock, new KeywardMetrics());
  }

  /** As {@link #start(KubernetesClient, KeywardConfig, Clock)}, recording into {@code metrics}. */
  public static Operator start(
      KubernetesClient client, KeywardConfig config, Clock clock, KeywardMetrics metrics) {
    return start(client, config, clock, metrics, true, instanceName());
  }

  /**
   * As {@link #start(KubernetesClient, KeywardConfig, Clock, KeywardMetrics)}.
   *
   * @param exitOnLostLeadership with leader election, end the process when leadership is lost (in a
   *     pod: Kubernetes restarts it as a follower); tests that run several instances in one JVM
   *     turn it off
   * @param instance this replica's name: its leader-election identity and event source
   */
  public static Operator start(
      KubernetesClient client,
      KeywardConfig config,
      Clock clock,
      KeywardMetrics metrics,
      boolean exitOnLostLeadership,
      String instance) {
    return start(client, config, clock, metrics, exitOnLostLeadership, instance, false);
  }

  /**
   * As above; {@code serverSideApply} true adds the finalizer with JOSDK's default server-side
   * apply instead of a JSON patch. It is off, for a measured reason (kube/DESIGN.md): an apply
   * patch creates what does not exist, so a finalizer applied just after a key was deleted made a
   * new ApiKey of that name with no spec and a finalizer (TenantIT saw it on a fresh clone); a JSON
   * patch of a deleted key fails with 404 instead.
   */
  public static Operator start(
      KubernetesClient client,
      KeywardConfig config,
      Clock clock,
      KeywardMetrics metrics,
      boolean exitOnLostLeadership,
      String instance,
      boolean serverSideApply) {
    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withUseSSAToPatchPrimaryResource(serverSideApply)
                  // JOSDK's reconciliation metrics, in the registry /metrics serves.
                  .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(metrics.registry()))
                  .withCloseClientOnStop(false);
              if (config.leaderElection()) {
                o.withLeaderElectionConfiguration(
                    LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(
                            config.leaseName())
                        .withLeaseNamespace(config.operatorNamespace())
                        .withIdentity(instance)
                        .withExitOnStopLeading(exitOnLostLeadership)
                        .build());
              }
            });
    StatusWriter statusWriter = new StatusWriter(client);
    EventRecorder events = new EventRecorder(client, clock, instance);
    AuditLog audit = new AuditLog();
    UserStatusUpdater updater = new UserStatusUpdater(client, statusWriter);
    KeyLedger ledger = new KeyLedger(updater, config);
    Totp totp = new Totp();
    // Before any controller: every replica seals and opens with the one key.
    SeedSeal seal = SealingKey.load(client, config.operatorNamespace());
    CodeVerifier verifier = new CodeVerifier(updater, totp, clock, seal, metrics);
    operator.register(
        new ApiKeyReconciler(client, config, clock, events, audit, ledger, verifier, metrics),
        c -> {
          if (!config.watchNamespaces().isEmpty()) {
            c.settingNamespaces(config.watchNamespaces());
          }
        });
    operator.register(
        new ApiUserReconciler(
            client, config, clock, events, audit, ledger, updater, verifier, totp, seal));
    operator.start();
    return operator;
  }

  private static String instanceName() {
    String pod = System.getenv("POD_NAME");
    if (pod != null && !pod.isBlank()) {
      return pod;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "keyward-operator";
    }
  }
}
