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
import io.keyward.operator.api.ApiUserStatus;
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

  /** Users by the uids of the keys their ledger lists. */
  static final String HOLDS_INDEX = "keyward-holds";

  /** Users by the access keys their grants record (current, previous and pending). */
  static final String ACCESS_KEY_INDEX = "keyward-access-keys";

  /** A new value rotates the key now. */
  public static final String ROTATE_ANNOTATION = "keyward.io/rotate";

  /** A new value extends the key now, or issues a new one when it expired. */
  public static final String RENEW_ANNOTATION = "keyward.io/renew";

  private static final Logger LOG = LoggerFactory.getLogger(ApiKeyReconciler.class);

  /**
   * This JVM's own status writes (the update filter is made by JOSDK, so it is shared; operators in
   * one JVM are only ever tests, and a write by any of them is an operator's).
   */
  static final io.keyward.operator.kube.OwnWrites OWN_WRITES =
      new io.keyward.operator.kube.OwnWrites();

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
    users.addIndexers(
        Map.of(
            HOLDS_INDEX,
            u -> refs(u).stream().map(r -> r.uid).filter(java.util.Objects::nonNull).toList(),
            ACCESS_KEY_INDEX,
            ApiKeyReconciler::accessKeysOf));
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
            (namespace, name) -> secrets.get(new ResourceID(name, namespace)),
            (namespace, name) -> keys.get(new ResourceID(name, namespace)),
            uid -> users.byIndex(HOLDS_INDEX, uid));
    actions =
        new KeyActions(
            issuer,
            ledger,
            verifier,
            new WorkloadRestarter(client, events, clock),
            announcer,
            config.maxKeyLifetime(),
            name -> users.get(new ResourceID(name)),
            accessKey -> !users.byIndex(ACCESS_KEY_INDEX, accessKey).isEmpty(),
            this::userWritten);
    return List.of(secrets, users);
  }

  @Override
  public UpdateControl<ApiKey> reconcile(ApiKey key, Context<ApiKey> context) {
    CodeAttempt code = new CodeAttempt();
    ApiKey current = key;
    for (int attempt = 1; ; attempt++) {
      try {
        current = code.take(client, current);
        KeyObserver.Observation seen =
            observer.observe(current, code.pending(), code.approves(), attempt > 1);
        KeyPlan plan = planner.plan(seen.facts());
        KeyActions.Done done = actions.run(seen, plan, code);
        ApiKeyStatus next = KeyStatus.build(seen.facts(), plan, done, config.maxKeyLifetime());
        // The status first, then the grant it mirrors: a status write that meets a newer key
        // leaves the ledger as it was, and the pass is decided again.
        ApiKey written = writeStatus(done.key(), next, context);
        recordGrant(seen, done, next);
        announcer.announce(written, seen.facts(), plan, done, next, code);
        return lookAgain(seen.facts().now(), plan, done);
      } catch (Stale e) {
        if (attempt >= ATTEMPTS) {
          throw e;
        }
        // Decide again on what the server has now.
        current = client.resources(ApiKey.class).inNamespace(ns(key)).withName(name(key)).get();
        if (current == null || current.isMarkedForDeletion()) {
          return UpdateControl.noUpdate();
        }
      }
    }
  }

  /**
   * Records in the ledger what the new status says was granted (the status is only its mirror). An
   * expiry leaves the grant until the slot is released with the Secret, in the next pass.
   */
  private void recordGrant(KeyObserver.Observation seen, KeyActions.Done done, ApiKeyStatus next) {
    if (KeyPlanner.EXPIRED.equals(next.phase) || done.slotLost() != null) {
      return;
    }
    ApiUserStatus.KeyGrant grant = KeyRecord.grantOf(next);
    if (java.util.Objects.equals(grant, done.grant())) {
      return;
    }
    ApiUser user = done.user() != null ? done.user() : seen.user();
    String holder = KeyActions.holder(seen);
    if (user != null && !holder.equals(user.getMetadata().getName())) {
      user = null;
    }
    userWritten(
        ledger.recordGrant(user, holder, seen.key().getMetadata().getUid(), done.grant(), grant));
  }

  /** A user this controller wrote goes into its cache at once, as its own Secret writes do. */
  private void userWritten(ApiUser written) {
    if (written == null || users == null) {
      return;
    }
    ResourceID id = ResourceID.fromResource(written);
    Optional<ApiUser> cached = users.get(id);
    if (cached.isPresent()
        && !cached
            .get()
            .getMetadata()
            .getResourceVersion()
            .equals(written.getMetadata().getResourceVersion())) {
      users.handleRecentResourceUpdate(id, written, cached.get());
    }
  }

  private static List<ApiUserStatus.KeyRef> refs(ApiUser u) {
    return u.getStatus() == null || u.getStatus().keyRefs == null
        ? List.of()
        : u.getStatus().keyRefs;
  }

  /** Every access key a user's grants record. */
  static List<String> accessKeysOf(ApiUser u) {
    return refs(u).stream().flatMap(r -> KeyLedger.accessKeys(r.grant).stream()).toList();
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
      OWN_WRITES.wrote(written);
      context
          .eventSourceRetriever()
          .getControllerEventSource()
          .handleRecentResourceUpdate(ResourceID.fromResource(written), written, key);
    }
    return written;
  }

  @Override
  public DeleteControl cleanup(ApiKey key, Context<ApiKey> context) {
    String uid = key.getMetadata().getUid();
    Set<String> owners = owners(key);
    users.byIndex(HOLDS_INDEX, uid).forEach(u -> owners.add(u.getMetadata().getName()));
    // What was granted comes from the ledger, never from the key's status.
    ApiUserStatus.KeyGrant grant =
        owners.stream()
            .map(o -> users.get(new ResourceID(o)))
            .flatMap(Optional::stream)
            .map(u -> KeyLedger.grant(u, uid))
            .flatMap(Optional::stream)
            .findFirst()
            .orElse(null);
    String secretName =
        grant != null && grant.secretName != null ? grant.secretName : specSecretName(key);
    Secret secret = client.secrets().inNamespace(ns(key)).withName(secretName).get();
    boolean deleted = false;
    if (secret != null && CredentialSecret.controlledBy(secret, key)) {
      // Only the Secret as read: one replaced in between fails the delete, and cleanup runs again.
      KeyIssuer.deleteAsRead(client, secret);
      deleted = true;
    }
    announcer.revoked(key, secretName, deleted, grant);
    // The slot goes last: a crash before this point leaves the finalizer, and the next run
    // releases it; a slot whose key vanished anyway is reclaimed by the ApiUser reconciler.
    for (String owner : owners) {
      for (SlotLedger.Slot released : ledger.release(owner, Set.of(uid)).result()) {
        LOG.info("ApiKey {} released its slot of ApiUser {}", released.id(), owner);
      }
    }
    OWN_WRITES.forget(key);
    return DeleteControl.defaultDelete();
  }

  /** The users a key names: its spec's (the ledgers say which holds it). */
  static Set<String> owners(ApiKey k) {
    Set<String> owners = new java.util.LinkedHashSet<>();
    if (k.getSpec() != null && k.getSpec().user != null) {
      owners.add(k.getSpec().user);
    }
    return owners;
  }

  /**
   * The key's Secret, for the informer's mapping only: the one its status names, else its spec's.
   * Nothing is decided on it (the grant names the Secret a key was issued into).
   */
  static String secretName(ApiKey key) {
    if (key.getStatus() != null && key.getStatus().secretName != null) {
      return key.getStatus().secretName;
    }
    return specSecretName(key);
  }

  /** The Secret the key's spec names. */
  static String specSecretName(ApiKey key) {
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
   * Passes an update unless only the status changed and the change is this operator's own write or
   * only the verifier's {@code lastUsedAt}: spec (generation), annotations (TOTP codes, triggers),
   * labels, finalizers and deletion all reconcile, and so does a status written by anyone else (it
   * is repaired from the ledger); the operator's own status writes do not come back as a
   * reconciliation each, and neither do the verifier's last-use writes (up to one a minute per key:
   * at 10,000 keys a reconciliation each would be about 170 a second). {@code lastUsedAt} is no
   * record of authority, so nothing a tenant writes there needs repairing.
   */
  public static final class NotOnlyStatus implements OnUpdateFilter<ApiKey> {
    @Override
    public boolean accept(ApiKey next, ApiKey previous) {
      return MetadataChange.between(next, previous)
          || (!sameApartFromLastUse(next.getStatus(), previous.getStatus())
              && !OWN_WRITES.isOwn(next));
    }

    private static boolean sameApartFromLastUse(ApiKeyStatus next, ApiKeyStatus previous) {
      return next == null ? previous == null : next.sameApartFromLastUse(previous);
    }
  }
}
