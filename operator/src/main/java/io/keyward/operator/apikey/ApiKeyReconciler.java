package io.keyward.operator.apikey;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.audit.AuditLog;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.issuance.KeyGenerator;
import io.keyward.operator.issuance.KeyIssuer;
import io.keyward.operator.kube.Conditions;
import io.keyward.operator.kube.EventRecorder;
import io.keyward.operator.kube.LeanItemStore;
import io.keyward.operator.kube.MetadataChange;
import io.keyward.operator.kube.ReconcileFailure;
import io.keyward.operator.kube.Stale;
import io.keyward.operator.kube.StatusWriter;
import io.keyward.operator.metrics.KeywardMetrics;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.quota.KeyLedger;
import io.keyward.operator.quota.SlotLedger;
import io.keyward.operator.rollout.WorkloadRestarter;
import io.keyward.operator.validation.ApiKeyRules;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles ApiKeys: observe ({@link KeyObserver}), plan ({@link KeyPlanner}), act ({@link
 * KeyActions}), then write the status built once ({@link KeyStatus}) and announce what changed
 * ({@link KeyAnnouncer}). DESIGN.md in this package says why it is shaped so.
 */
// Not generation-aware: annotations (TOTP codes, manual triggers) change no generation.
// Status-only updates are the operator's own writes: they need no reconciliation of their own.
@ControllerConfiguration(
    name = ApiKeyReconciler.NAME,
    finalizerName = ApiKeyReconciler.FINALIZER,
    generationAwareEventProcessing = false,
    informer =
        @Informer(
            onUpdateFilter = ApiKeyReconciler.NotOnlyStatus.class,
            itemStore = LeanItemStore.class))
public class ApiKeyReconciler implements Reconciler<ApiKey>, Cleaner<ApiKey> {
  public static final String NAME = "apikey";
  public static final String FINALIZER = "keyward.io/revoke";
  static final String USER_INDEX = "keyward-user";

  /** A new value rotates the key now. */
  public static final String ROTATE_ANNOTATION = "keyward.io/rotate";

  /** A new value extends the key now, or issues a new one when it expired. */
  public static final String RENEW_ANNOTATION = "keyward.io/renew";

  private static final Logger LOG = LoggerFactory.getLogger(ApiKeyReconciler.class);

  /** Reconciliation passes that met a newer version before the error goes to JOSDK's retry. */
  private static final int ATTEMPTS = 5;

  private final KubernetesClient client;
  private final KeywardConfig config;
  private final ApiKeyRules rules;
  private final Clock clock;
  private final KeyLedger ledger;
  private final KeyPlanner planner;
  private final KeyAnnouncer announcer;
  private final CodeVerifier verifier;
  private final EventRecorder events;
  private final KeywardMetrics metrics;
  private final UserWakes wakes = new UserWakes();
  private KeyObserver observer;
  private KeyActions actions;
  private KeyIssuer issuer;
  private InformerEventSource<Secret, ApiKey> secrets;
  private InformerEventSource<ApiUser, ApiKey> users;

  public ApiKeyReconciler(
      KubernetesClient client,
      KeywardConfig config,
      Clock clock,
      EventRecorder events,
      AuditLog audit,
      KeyLedger ledger,
      CodeVerifier verifier,
      KeywardMetrics metrics) {
    this.client = client;
    this.config = config;
    this.rules = new ApiKeyRules(config);
    this.clock = clock;
    this.events = events;
    this.ledger = ledger;
    this.verifier = verifier;
    this.planner = new KeyPlanner(config.maxKeyLifetime());
    this.announcer = new KeyAnnouncer(events, audit, metrics);
    this.metrics = metrics;
  }

  @Override
  public List<EventSource<?, ApiKey>> prepareEventSources(EventSourceContext<ApiKey> context) {
    IndexerResourceCache<ApiKey> keys = context.getPrimaryCache();
    keys.addIndexers(
        Map.<String, java.util.function.Function<ApiKey, List<String>>>of(
            USER_INDEX,
            k -> List.of(k.getSpec() == null || k.getSpec().user == null ? "" : k.getSpec().user)));
    metrics.waitingForSlot(
        () ->
            keys.list()
                .filter(
                    k ->
                        k.getStatus() != null
                            && Conditions.find(k.getStatus().conditions, Conditions.QUOTA_AVAILABLE)
                                .filter(c -> "False".equals(c.status))
                                .isPresent())
                .count());
    metrics.apiKeys(keys::list, clock);
    secrets =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Secret.class, ApiKey.class)
                .withName("secrets")
                .withItemStore(new LeanItemStore<>())
                .withLabelSelector(
                    CredentialSecret.MANAGED_BY + "=" + CredentialSecret.MANAGED_BY_VALUE)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(ApiKey.class))
                // Without this mapper JOSDK keeps an index from each key to its Secrets (a set
                // per key), which nothing here reads: the Secret is looked up by name.
                .withPrimaryToSecondaryMapper(
                    (ApiKey k) ->
                        Set.of(new ResourceID(secretName(k), k.getMetadata().getNamespace())))
                .build(),
            context);
    // A change to a user wakes the keys it concerns (UserWakes): every key of the user when the
    // account changed, only those without a slot when only the ledger did.
    users =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(ApiUser.class, ApiKey.class)
                .withName("apiusers")
                // Cluster-scoped: one informer for the cluster. Inheriting the controller's
                // watchNamespaces would make one per namespace, and a lookup by name (no
                // namespace) would find none of them.
                .withWatchAllNamespaces()
                .withItemStore(new LeanItemStore<>())
                .withSecondaryToPrimaryMapper(
                    (ApiUser u) -> {
                      String name = u.getMetadata().getName();
                      List<ApiKey> ofUser = keys.byIndex(USER_INDEX, name);
                      // The informer updates its cache before it tells: a user missing from it
                      // was deleted, and every key of it is concerned.
                      boolean gone =
                          users
                              .get(new ResourceID(name))
                              .map(c -> !c.getMetadata().getUid().equals(u.getMetadata().getUid()))
                              .orElse(true);
                      if (gone) {
                        wakes.forget(name);
                      } else {
                        ofUser = wakes.wake(u, ofUser);
                      }
                      return ofUser.stream()
                          .map(ResourceID::fromResource)
                          .collect(java.util.stream.Collectors.toSet());
                    })
                .withPrimaryToSecondaryMapper(
                    (ApiKey k) ->
                        k.getSpec() == null || k.getSpec().user == null
                            ? Set.of()
                            : Set.of(new ResourceID(k.getSpec().user)))
                .build(),
            context);
    issuer =
        new KeyIssuer(
            client,
            new KeyGenerator(),
            (written, before) -> {
              if (before == null) {
                secrets.handleRecentResourceCreate(ResourceID.fromResource(written), written);
              } else {
                secrets.handleRecentResourceUpdate(
                    ResourceID.fromResource(written), written, before);
              }
            });
    observer =
        new KeyObserver(
            client,
            rules,
            ledger,
            clock,
            name -> users.get(new ResourceID(name)),
            name -> keys.byIndex(USER_INDEX, name),
            k -> secrets.get(new ResourceID(secretName(k), k.getMetadata().getNamespace())),
            (namespace, name) -> keys.get(new ResourceID(name, namespace)));
    actions =
        new KeyActions(
            issuer,
            ledger,
            verifier,
            new WorkloadRestarter(client, events, clock),
            announcer,
            config.maxKeyLifetime(),
            name -> users.get(new ResourceID(name)));
    return List.of(secrets, users);
  }

  @Override
  public UpdateControl<ApiKey> reconcile(ApiKey key, Context<ApiKey> context) {
    CodeAttempt code = new CodeAttempt();
    ApiKey current = key;
    for (int attempt = 1; ; attempt++) {
      try {
        current = code.take(client, current);
        KeyObserver.Observation seen = observer.observe(current, code.pending(), attempt > 1);
        KeyPlan plan = planner.plan(seen.facts());
        KeyActions.Done done = actions.run(seen, plan, code, (k, s) -> writeStatus(k, s, context));
        ApiKeyStatus next = KeyStatus.build(seen.facts(), plan, done, config.maxKeyLifetime());
        ApiKey written = writeStatus(done.key(), next, context);
        announcer.announce(written, seen.facts(), plan, done, next, code);
        return lookAgain(seen.facts().now(), plan, done);
      } catch (Stale e) {
        if (attempt >= ATTEMPTS) {
          throw e;
        }
        // Decide again on what the server has now.
        current =
            e instanceof KeyObserver.StaleKey stale
                ? stale.fresh
                : client.resources(ApiKey.class).inNamespace(ns(key)).withName(name(key)).get();
        if (current == null || current.isMarkedForDeletion()) {
          return UpdateControl.noUpdate();
        }
      }
    }
  }

  /**
   * A failure that ends a reconciliation (an issuance refused by the API server, an API error after
   * JOSDK's retries) ends in a Ready=False condition with a reason and an event, not only a log.
   */
  @Override
  public ErrorStatusUpdateControl<ApiKey> updateErrorStatus(
      ApiKey key, Context<ApiKey> context, Exception e) {
    Optional<ReconcileFailure> failure = ReconcileFailure.toReport(e, context.getRetryInfo());
    if (failure.isEmpty()) {
      // A conflict or an unreachable server: JOSDK's retry usually gets past it.
      return ErrorStatusUpdateControl.defaultErrorProcessing();
    }
    ReconcileFailure f = failure.get();
    LOG.warn("ApiKey {}/{}: {}: {}", ns(key), name(key), f.reason(), f.message());
    ApiKeyStatus status = KeyStatus.copy(key.getStatus());
    if (status.phase == null) {
      status.phase = "Pending";
    }
    f.record(
        key, status.conditions, clock.instant(), () -> writeStatus(key, status, context), events);
    return ErrorStatusUpdateControl.noStatusUpdate();
  }

  /** The next look: the plan's deadline, or the end of a lock a refused code left. */
  private UpdateControl<ApiKey> lookAgain(Instant now, KeyPlan plan, KeyActions.Done done) {
    Instant next = plan.next();
    if (done.slotLost() != null
        || (plan.access() != null && plan.access().awaitsCode() && !done.codeAccepted())) {
      // The step did not run: the user's next change, or a new code, brings the key back.
      next = null;
    }
    if (done.code() != null && !done.codeAccepted()) {
      Instant lock = done.code().next().lockedUntil();
      if (lock != null && lock.isAfter(now) && (next == null || lock.isBefore(next))) {
        next = lock;
      }
    }
    if (next == null) {
      return UpdateControl.noUpdate();
    }
    // Rounded up to the millisecond, so the timer never fires before the deadline.
    long nanos = Duration.between(now, next).toNanos();
    return UpdateControl.<ApiKey>noUpdate()
        .rescheduleAfter(Duration.ofMillis(Math.max(1, (nanos + 999_999) / 1_000_000)));
  }

  /** Writes status with the read resourceVersion, and keeps it in the cache for the next pass. */
  private ApiKey writeStatus(ApiKey key, ApiKeyStatus status, Context<ApiKey> context) {
    ApiKey written = StatusWriter.write(client, key, status);
    if (written != key) {
      context
          .eventSourceRetriever()
          .getControllerEventSource()
          .handleRecentResourceUpdate(ResourceID.fromResource(written), written, key);
    }
    return written;
  }

  @Override
  public DeleteControl cleanup(ApiKey key, Context<ApiKey> context) {
    String secretName = secretName(key);
    Secret secret = client.secrets().inNamespace(ns(key)).withName(secretName).get();
    boolean deleted = false;
    if (secret != null && CredentialSecret.controlledBy(secret, key)) {
      // Only the Secret as read: one replaced in between fails the delete, and cleanup runs again.
      KeyIssuer.deleteAsRead(client, secret);
      deleted = true;
    }
    announcer.revoked(key, secretName, deleted);
    // The slot goes last: a crash before this point leaves the finalizer, and the next run
    // releases it; a slot whose key vanished anyway is reclaimed by the ApiUser reconciler.
    for (String owner : owners(key)) {
      for (SlotLedger.Slot released :
          ledger.release(owner, Set.of(key.getMetadata().getUid())).result()) {
        LOG.info("ApiKey {} released its slot of ApiUser {}", released.id(), owner);
      }
    }
    return DeleteControl.defaultDelete();
  }

  /**
   * The users a key belongs to, in this order: its spec's, and the one it was issued for (they
   * differ after the spec moved the key to another user).
   */
  public static Set<String> owners(ApiKey k) {
    Set<String> owners = new java.util.LinkedHashSet<>();
    if (k.getSpec() != null && k.getSpec().user != null) {
      owners.add(k.getSpec().user);
    }
    if (k.getStatus() != null
        && k.getStatus().effective != null
        && k.getStatus().effective.user != null) {
      owners.add(k.getStatus().effective.user);
    }
    return owners;
  }

  /** The key's Secret: the one it was issued into, else the one its spec names. */
  static String secretName(ApiKey key) {
    if (key.getStatus() != null && key.getStatus().secretName != null) {
      return key.getStatus().secretName;
    }
    return Optional.ofNullable(key.getSpec())
        .map(s -> s.secretTemplate)
        .map(t -> t.name)
        .orElse(name(key) + "-credentials");
  }

  private static String ns(ApiKey key) {
    return key.getMetadata().getNamespace();
  }

  private static String name(ApiKey key) {
    return key.getMetadata().getName();
  }

  /**
   * Passes an update unless only the status changed: spec (generation), annotations (TOTP codes,
   * triggers), labels, finalizers and deletion all reconcile; the operator's own status writes do
   * not come back as a reconciliation each.
   */
  public static final class NotOnlyStatus implements OnUpdateFilter<ApiKey> {
    @Override
    public boolean accept(ApiKey next, ApiKey previous) {
      return MetadataChange.between(next, previous);
    }
  }
}
