package io.keyward.operator.admission.certs;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.mfa.EnrolmentSecret;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admission webhook's serving certificate, kept current while the operator runs.
 *
 * <p>With {@code admission.certificates=Operator} every replica keeps the CA and serving
 * certificate in the Secret {@code admission.secretName} of the operator's namespace (made by the
 * first, renewed by whichever sees it due first, see {@link RenewalRule}) and the caBundle of every
 * webhook in {@code admission.webhookConfigurationName} equal to the Secret's CA bundle. With
 * {@code CertManager} it only reads the Secret cert-manager writes. Either way {@link
 * #sslContext()} presents the newest certificate without a restart. {@code DESIGN.md} says why it
 * is so shaped.
 */
public final class ServingCertificates implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServingCertificates.class);

  /** The Secret's type (cert-manager's is the same). */
  static final String SECRET_TYPE = "kubernetes.io/tls";

  /** The value of {@link EnrolmentSecret#LABEL_PURPOSE} on the Secret the operator makes. */
  static final String PURPOSE = "webhook-certificate";

  /** How long {@link #start} waits for a usable certificate. */
  static final Duration START_BOUND = Duration.ofSeconds(60);

  /**
   * How often the certificates are judged against the clock (and the caBundle against the cached
   * configuration) besides every change the watches report: in memory, no request unless a change
   * is due.
   */
  static final Duration RECHECK = Duration.ofSeconds(30);

  /** Decisions in a row that may meet a conflict before this round gives up. */
  private static final int ATTEMPTS = 5;

  private final KubernetesClient client;
  private final KeywardConfig.Certificates mode;
  private final String namespace;
  private final String secretName;
  private final String configurationName;
  private final Clock clock;
  private final RenewalRule rule;
  private final ReloadingKeyManager keys = new ReloadingKeyManager();
  private final SSLContext sslContext = ServerTls.context(keys);
  private final ScheduledExecutorService executor;
  private final CompletableFuture<Void> loaded = new CompletableFuture<>();

  /**
   * Set once both watches have listed: until then their events wait for the first round, which sees
   * everything they listed (else the caBundle round would find a configuration cache still empty
   * and report it missing).
   */
  private volatile boolean watching;

  private SharedIndexInformer<Secret> secretInformer;
  private SharedIndexInformer<ValidatingWebhookConfiguration> configurationInformer;

  // Written on the executor's one thread only.
  private volatile CertificateSet current;
  private volatile String problem = "nothing read yet";
  private String reportedProblem;
  private String parsedVersion;
  private CertificateSet parsed;
  private CertificateSet.Unusable parseFailure;
  private boolean reportedMissingConfiguration;

  private ServingCertificates(KubernetesClient client, KeywardConfig config, Clock clock) {
    KeywardConfig.Admission a = config.admission();
    this.client = client;
    this.mode = a.certificates();
    this.namespace = config.operatorNamespace();
    this.secretName = a.secretName();
    this.configurationName = a.webhookConfigurationName();
    this.clock = clock;
    this.rule =
        new RenewalRule(
            RenewalRule.subjectNames(a.serviceName(), namespace, a.extraSubjectNames()),
            a.caValidity(),
            a.certificateValidity());
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keyward-webhook-certificates");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Loads (in Operator mode first makes or renews) the serving certificate and keeps it current
   * until {@link #close()}.
   *
   * @throws IllegalStateException naming the Secret when no usable certificate is had within a
   *     minute
   * @throws IllegalArgumentException when {@code admission.extraSubjectNames} holds a name that is
   *     neither a DNS name nor an IP address
   */
  public static ServingCertificates start(
      KubernetesClient client, KeywardConfig config, Clock clock) {
    return start(client, config, clock, RECHECK, START_BOUND);
  }

  /** {@link #start(KubernetesClient, KeywardConfig, Clock)} with its timings chosen (tests). */
  static ServingCertificates start(
      KubernetesClient client,
      KeywardConfig config,
      Clock clock,
      Duration recheck,
      Duration startBound) {
    ServingCertificates s = new ServingCertificates(client, config, clock);
    try {
      s.begin(recheck, startBound);
      return s;
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /** A server TLS context (TLS 1.3 and 1.2) presenting the newest serving certificate. */
  /**
   * The key manager behind {@link #sslContext()}: it presents the newest serving certificate at
   * every handshake (for servers that take a key manager rather than a context).
   */
  public javax.net.ssl.X509ExtendedKeyManager keyManager() {
    return keys;
  }

  public SSLContext sslContext() {
    return sslContext;
  }

  /**
   * The CA certificates a client must trust, as PEM: in Operator mode the Secret's bundle (the
   * current CA and any older one not yet expired), in CertManager mode its {@code ca.crt} (empty
   * when cert-manager wrote none).
   */
  public String caBundlePem() {
    CertificateSet set = current;
    return set == null ? "" : set.bundlePem();
  }

  /** The serving certificate new handshakes get. */
  X509Certificate serving() {
    return keys.serving();
  }

  /** The last problem met, or "none" once a certificate is loaded (tests). */
  String problem() {
    return problem;
  }

  /** Stops the watches and the timer; the context keeps presenting the last certificate. */
  @Override
  public void close() {
    executor.shutdownNow();
    if (secretInformer != null) {
      secretInformer.close();
    }
    if (configurationInformer != null) {
      configurationInformer.close();
    }
  }

  private void begin(Duration recheck, Duration startBound) {
    Instant deadline = Instant.now().plus(startBound);
    secretInformer =
        client.secrets().inNamespace(namespace).withName(secretName).runnableInformer(0);
    secretInformer.addEventHandler(wake(this::refresh));
    awaitStarted(secretInformer, deadline, "the Secret " + secretId());
    if (mode == KeywardConfig.Certificates.Operator) {
      configurationInformer =
          client
              .admissionRegistration()
              .v1()
              .validatingWebhookConfigurations()
              .withName(configurationName)
              .runnableInformer(0);
      configurationInformer.addEventHandler(wake(this::keepCaBundle));
      awaitStarted(
          configurationInformer,
          deadline,
          "the ValidatingWebhookConfiguration " + configurationName);
    }
    watching = true;
    executor.scheduleWithFixedDelay(this::refresh, 0, recheck.toMillis(), TimeUnit.MILLISECONDS);
    try {
      loaded.get(remaining(deadline), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "the webhook certificate Secret "
              + secretId()
              + " gave no usable serving certificate within "
              + startBound.toSeconds()
              + " s: "
              + problem);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading " + secretId());
    } catch (ExecutionException e) {
      throw new IllegalStateException("loading " + secretId() + " failed", e.getCause());
    }
  }

  private void awaitStarted(SharedIndexInformer<?> informer, Instant deadline, String what) {
    try {
      informer.start().toCompletableFuture().get(remaining(deadline), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("the watch of " + what + " did not start in time");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while watching " + what);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "the watch of " + what + " cannot start: " + httpStatus(e.getCause()));
    }
  }

  private static long remaining(Instant deadline) {
    return Math.max(1, Duration.between(Instant.now(), deadline).toMillis());
  }

  /** An informer handler that runs {@code task} on the executor for any change. */
  private <T> ResourceEventHandler<T> wake(Runnable task) {
    Runnable safe = () -> guarded(task);
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        submit(safe);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        submit(safe);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        submit(safe);
      }
    };
  }

  private void submit(Runnable task) {
    if (!watching) {
      return;
    }
    try {
      executor.execute(task);
    } catch (RejectedExecutionException closed) {
      // Closed: nothing to keep any more.
    }
  }

  private void guarded(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      report("a round failed: " + httpStatus(e));
    }
  }

  // --- the Secret ---------------------------------------------------------------------------

  private void refresh() {
    guarded(mode == KeywardConfig.Certificates.Operator ? this::refreshOwn : this::refreshIssued);
  }

  /** Operator mode: make, renew or replace the set as the rule says, then serve it. */
  private void refreshOwn() {
    Secret secret = cachedSecret();
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      Instant now = clock.instant();
      CertificateSet set = null;
      RenewalRule.Decision decision;
      if (secret == null) {
        decision = new RenewalRule.Decision(RenewalRule.Action.CREATE, "there is none");
      } else {
        try {
          set = readOwn(secret);
          decision = rule.decide(set, now);
        } catch (CertificateSet.Unusable u) {
          decision = new RenewalRule.Decision(RenewalRule.Action.REPLACE, u.getMessage());
        }
      }
      if (decision.action() == RenewalRule.Action.KEEP) {
        use(set);
        return;
      }
      CertificateSet next = rule.next(set, decision, now);
      try {
        write(secret, next, decision);
        use(next);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 && e.getCode() != 404) {
          report("the Secret " + secretId() + " cannot be written: " + httpStatus(e));
          return;
        }
        // Another replica wrote first (or the Secret went away): read it and decide again.
        secret = client.secrets().inNamespace(namespace).withName(secretName).get();
      }
    }
    report("the Secret " + secretId() + " kept changing while it was renewed");
  }

  private CertificateSet readOwn(Secret secret) throws CertificateSet.Unusable {
    String version = secret.getMetadata().getResourceVersion();
    if (version == null || !version.equals(parsedVersion)) {
      parsedVersion = version;
      parsed = null;
      parseFailure = null;
      try {
        parsed = CertificateSet.readOwn(secret.getData());
      } catch (CertificateSet.Unusable u) {
        parseFailure = u;
      }
    }
    if (parseFailure != null) {
      throw parseFailure;
    }
    return parsed;
  }

  private void write(Secret existing, CertificateSet next, RenewalRule.Decision decision) {
    var secrets = client.secrets().inNamespace(namespace);
    Secret written;
    if (existing == null) {
      written = secrets.resource(build(next, null)).create();
    } else if (SECRET_TYPE.equals(existing.getType())
        && !Boolean.TRUE.equals(existing.getImmutable())) {
      written = secrets.resource(build(next, existing)).update();
    } else {
      // Its type and immutability cannot change in place: delete exactly the version judged,
      // then create (a 409 or 404 on either sends the caller back to read and decide again).
      secrets
          .withName(secretName)
          .lockResourceVersion(existing.getMetadata().getResourceVersion())
          .delete();
      written = secrets.resource(build(next, null)).create();
    }
    var log = decision.action() == RenewalRule.Action.REPLACE ? LOG.atWarn() : LOG.atInfo();
    log.setMessage("Webhook certificate Secret written")
        .addKeyValue("secret", secretId())
        .addKeyValue("change", decision.action().name())
        .addKeyValue("reason", decision.reason())
        .addKeyValue("resourceVersion", written.getMetadata().getResourceVersion())
        .addKeyValue("caSerial", next.authority().getSerialNumber().toString(16))
        .addKeyValue("caNotAfter", next.authority().getNotAfter().toInstant().toString())
        .addKeyValue("servingSerial", next.serving().getSerialNumber().toString(16))
        .addKeyValue("servingNotAfter", next.serving().getNotAfter().toInstant().toString())
        .addKeyValue("authorities", next.authorities().size())
        .log();
  }

  private Secret build(CertificateSet set, Secret existing) {
    SecretBuilder b =
        existing == null
            ? new SecretBuilder()
                .withNewMetadata()
                .withName(secretName)
                .withNamespace(namespace)
                .endMetadata()
            : new SecretBuilder(existing);
    return b.editMetadata()
        .addToLabels(CredentialSecret.MANAGED_BY, CredentialSecret.MANAGED_BY_VALUE)
        .addToLabels(EnrolmentSecret.LABEL_PURPOSE, PURPOSE)
        .endMetadata()
        .withType(SECRET_TYPE)
        .withData(set.data())
        .withStringData(null)
        .build();
  }

  /** CertManager mode: serve what cert-manager wrote, once it is usable; never write. */
  private void refreshIssued() {
    Secret secret = cachedSecret();
    if (secret == null) {
      report("the Secret " + secretId() + " does not exist (yet): cert-manager writes it");
      return;
    }
    CertificateSet set;
    try {
      set = CertificateSet.readIssued(secret.getData());
    } catch (CertificateSet.Unusable u) {
      report("the Secret " + secretId() + ": " + u.getMessage());
      return;
    }
    Instant now = clock.instant();
    X509Certificate leaf = set.serving();
    if (now.isBefore(leaf.getNotBefore().toInstant())
        || !now.isBefore(leaf.getNotAfter().toInstant())) {
      report(
          "the Secret "
              + secretId()
              + ": data.tls.crt is valid from "
              + leaf.getNotBefore().toInstant()
              + " to "
              + leaf.getNotAfter().toInstant()
              + ", not now");
      return;
    }
    use(set);
  }

  private Secret cachedSecret() {
    return secretInformer.getStore().getByKey(namespace + "/" + secretName);
  }

  /**
   * Serves {@code set} from now on, when it differs from the one served: in Operator mode after the
   * caBundle holds its CA, so the API server trusts a new CA before it meets a certificate signed
   * by it.
   */
  private void use(CertificateSet set) {
    CertificateSet was = current;
    if (was != null
        && was.serving().equals(set.serving())
        && was.authorities().equals(set.authorities())) {
      if (mode == KeywardConfig.Certificates.Operator) {
        keepCaBundle();
      }
      return;
    }
    current = set;
    if (mode == KeywardConfig.Certificates.Operator) {
      guarded(this::keepCaBundle);
    }
    keys.install(set.servingKey(), set.servingChain());
    problem = "none";
    reportedProblem = null;
    LOG.atInfo()
        .setMessage("Webhook serving certificate loaded")
        .addKeyValue("secret", secretId())
        .addKeyValue("mode", mode.name())
        .addKeyValue("servingSerial", set.serving().getSerialNumber().toString(16))
        .addKeyValue("servingNotAfter", set.serving().getNotAfter().toInstant().toString())
        .addKeyValue("authorities", set.authorities().size())
        .log();
    loaded.complete(null);
  }

  // --- the webhook configuration's caBundle ----------------------------------------------------

  /** Operator mode: every webhook's caBundle equal to the served bundle, by JSON patch. */
  private void keepCaBundle() {
    CertificateSet set = current;
    if (set == null || configurationInformer == null) {
      return;
    }
    String want = CaBundlePatch.encode(set.bundlePem());
    ValidatingWebhookConfiguration config =
        configurationInformer.getStore().getByKey(configurationName);
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (config == null) {
        if (!reportedMissingConfiguration) {
          reportedMissingConfiguration = true;
          LOG.atInfo()
              .setMessage(
                  "ValidatingWebhookConfiguration not found: its caBundle is set when it appears")
              .addKeyValue("webhookConfiguration", configurationName)
              .log();
        }
        return;
      }
      reportedMissingConfiguration = false;
      Optional<String> patch = CaBundlePatch.of(config, want);
      if (patch.isEmpty()) {
        return;
      }
      long stale = CaBundlePatch.stale(config, want);
      try {
        client
            .admissionRegistration()
            .v1()
            .validatingWebhookConfigurations()
            .withName(configurationName)
            .patch(PatchContext.of(PatchType.JSON), patch.get());
        LOG.atInfo()
            .setMessage("Webhook caBundle set")
            .addKeyValue("webhookConfiguration", configurationName)
            .addKeyValue("webhooks", stale)
            .addKeyValue("authorities", set.authorities().size())
            .log();
        return;
      } catch (KubernetesClientException e) {
        // 422: the resourceVersion test failed (changed since read); 404: deleted since.
        if (e.getCode() != 422 && e.getCode() != 409 && e.getCode() != 404) {
          report(
              "the caBundle of ValidatingWebhookConfiguration "
                  + configurationName
                  + " cannot be set: "
                  + httpStatus(e));
          return;
        }
        config =
            client
                .admissionRegistration()
                .v1()
                .validatingWebhookConfigurations()
                .withName(configurationName)
                .get();
      }
    }
    report(
        "the ValidatingWebhookConfiguration "
            + configurationName
            + " kept changing: caBundle not"
            + " set this round");
  }

  // --- reporting ----------------------------------------------------------------------------

  /** Logs a problem once (until it changes or a certificate is loaded), and keeps it for start. */
  private void report(String what) {
    problem = what;
    if (!what.equals(reportedProblem)) {
      reportedProblem = what;
      LOG.atWarn()
          .setMessage("Webhook certificate not current")
          .addKeyValue("secret", secretId())
          .addKeyValue("problem", what)
          .log();
    }
  }

  private String secretId() {
    return namespace + "/" + secretName;
  }

  /** An exception as its HTTP status and type, never its message (which may quote a body). */
  private static String httpStatus(Throwable e) {
    if (e instanceof KubernetesClientException k && k.getCode() > 0) {
      return "HTTP " + k.getCode() + (k.getStatus() == null ? "" : " " + k.getStatus().getReason());
    }
    return Objects.toString(e == null ? null : e.getClass().getSimpleName());
  }
}
