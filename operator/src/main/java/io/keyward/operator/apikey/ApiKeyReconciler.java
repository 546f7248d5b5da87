package io.keyward.operator.apikey;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.Condition;
import io.keyward.operator.apiuser.AccountCheck;
import io.keyward.operator.apiuser.ApiUserReconciler;
import io.keyward.operator.audit.AuditLog;
import io.keyward.operator.expiry.Renewal;
import io.keyward.operator.expiry.RenewalPolicy;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.issuance.KeyIssuer;
import io.keyward.operator.kube.ApiKeyStore;
import io.keyward.operator.kube.ApiUserStore;
import io.keyward.operator.kube.Conditions;
import io.keyward.operator.kube.EventRecorder;
import io.keyward.operator.kube.LeanItemStore;
import io.keyward.operator.kube.MetadataChange;
import io.keyward.operator.kube.StatusWriter;
import io.keyward.operator.metrics.KeywardMetrics;
import io.keyward.operator.mfa.AccessChange;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.TotpGuard;
import io.keyward.operator.quota.KeyLedger;
import io.keyward.operator.quota.SlotLedger;
import io.keyward.operator.rollout.WorkloadRestarter;
import io.keyward.operator.validation.ApiKeyRules;
import io.keyward.operator.validation.KeySettings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles ApiKeys: validate, check the account, issue (through {@link KeyIssuer}), record
 * status. Decisions live in the domain classes; this class reads, decides and acts.
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

  static final String EXPIRED = "Expired";

  private static final Logger LOG = LoggerFactory.getLogger(ApiKeyReconciler.class);
  private static final int ATTEMPTS = 5;

  /** How soon a key is looked at again while the ApiUser cache has not listed the users yet. */
  private static final Duration USERS_NOT_LISTED_RECHECK = Duration.ofMillis(500);

  /** A Secret name taken by something else is re-checked at this pace (its owner may fix it). */
  private static final Duration CONFLICT_RECHECK = Duration.ofMinutes(1);

  private final KubernetesClient client;
  private final ApiKeyRules rules;
  private final Clock clock;
  private final StatusWriter statusWriter;
  private final KeyIssuerFactory issuerFactory;
  private final EventRecorder events;
  private final AuditLog audit;
  private final KeyLedger ledger;
  private final CodeVerifier verifier;
  private final KeywardMetrics metrics;
  private final Duration maxKeyLifetime;
  private final WorkloadRestarter restarter;
  private final UserWakes wakes = new UserWakes();
  private final ApiKeyStore store;
  private final ApiUserStore users;
  private IndexedResourceCache<ApiKey> keys;
  private InformerEventSource<Secret, ApiKey> secrets;
  private SimpleInboundEventSource<ApiKey> userChanges;
  private KeyIssuer issuer;

  /** Builds the issuer once the Secret informer exists (it feeds the informer's cache). */
  public interface KeyIssuerFactory {
    KeyIssuer create(KeyIssuer.SecretWrites onSecretWritten);
  }

  public ApiKeyReconciler(
      KubernetesClient client,
      ApiKeyRules rules,
      Clock clock,
      StatusWriter statusWriter,
      KeyIssuerFactory issuerFactory,
      EventRecorder events,
      AuditLog audit,
      KeyLedger ledger,
      CodeVerifier verifier,
      KeywardMetrics metrics,
      Duration maxKeyLifetime,
      ApiKeyStore store,
      ApiUserStore users) {
    this.client = client;
    this.store = store;
    this.users = users;
    this.rules = rules;
    this.clock = clock;
    this.statusWriter = statusWriter;
    this.issuerFactory = issuerFactory;
    this.events = events;
    this.audit = audit;
    this.ledger = ledger;
    this.verifier = verifier;
    this.metrics = metrics;
    this.maxKeyLifetime = maxKeyLifetime;
    this.restarter = new WorkloadRestarter(client, events, clock);
  }

  @Override
  public List<EventSource<?, ApiKey>> prepareEventSources(EventSourceContext<ApiKey> context) {
    keys = context.getPrimaryCache();
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
    metrics.apiKeys(() -> keys.list(), clock);
    context
        .getPrimaryCache()
        .addIndexers(
            Map.of(
                USER_INDEX,
                k ->
                    List.of(
                        k.getSpec() == null || k.getSpec().user == null ? "" : k.getSpec().user)));
    secrets =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Secret.class, ApiKey.class)
                .withName("secrets")
                .withItemStore(new LeanItemStore<>())
                .withLabelSelector(
                    CredentialSecret.MANAGED_BY + "=" + CredentialSecret.MANAGED_BY_VALUE)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(ApiKey.class))
                // Without this mapper JOSDK keeps an index from each key to its Secrets (a set
                // per key), which nothing here reads: the reconciler looks its Secret up by name.
                .withPrimaryToSecondaryMapper(
                    (ApiKey k) -> Set.of(new ResourceID(secretName(k), ns(k))))
                .build(),
            context);
    // Users come from the ApiUser controller's cache (ApiUserStore): a change to a user wakes the
    // keys it concerns (UserWakes), once the user cache is listed and this controller runs.
    userChanges = new SimpleInboundEventSource<>("apiuser-changes");
    users.onChange(
        (before, after) -> {
          String name = (after != null ? after : before).getMetadata().getName();
          boolean live = users.synced() && userChanges.isRunning();
          List<ApiKey> ofUser = live ? keys.byIndex(USER_INDEX, name) : List.of();
          if (after == null) {
            wakes.forget(name);
          } else {
            ofUser = wakes.wake(after, ofUser);
          }
          ofUser.forEach(k -> userChanges.propagateEvent(ResourceID.fromResource(k)));
        });
    issuer =
        issuerFactory.create(
            (written, before) -> {
              if (before == null) {
                secrets.handleRecentResourceCreate(ResourceID.fromResource(written), written);
              } else {
                secrets.handleRecentResourceUpdate(
                    ResourceID.fromResource(written), written, before);
              }
            });
    return List.of(secrets, userChanges, store.listedSignal("apikeys-listed"));
  }

  @Override
  public UpdateControl<ApiKey> reconcile(ApiKey key, Context<ApiKey> context) {
    if (!users.synced()) {
      // Every decision reads the key's user: a user missing from an unlisted cache may exist.
      return UpdateControl.<ApiKey>noUpdate().rescheduleAfter(USERS_NOT_LISTED_RECHECK);
    }
    ApiKey current = key;
    CodeAttempt attempt = new CodeAttempt();
    for (int n = 1; ; n++) {
      try {
        if (attempt.code == null && attempt.decision == null) {
          current = takeCode(current, attempt);
        }
        return reconcileOnce(current, attempt);
      } catch (KeyIssuer.StaleReadException | ConflictException e) {
        if (n >= ATTEMPTS) {
          throw e;
        }
        // The issuer may have read the newer version already; read it only when it has not.
        current =
            e instanceof KeyIssuer.StaleReadException stale && stale.fresh() != null
                ? stale.fresh()
                : client.resources(ApiKey.class).inNamespace(ns(key)).withName(name(key)).get();
        if (current == null || current.isMarkedForDeletion()) {
          return UpdateControl.noUpdate();
        }
      }
    }
  }

  /**
   * A TOTP code that arrived in the annotation, taken off the key before anything else: the
   * annotation is removed by a write that carries the read resourceVersion, so of two replicas only
   * one gets the code, and a crash after this point loses the attempt rather than repeating it. The
   * code stays in memory only, across the retries of this reconciliation.
   */
  static final class CodeAttempt {
    String code;
    Long generation;
    TotpGuard.Decision decision;
    boolean discarded;

    boolean acceptedFor(ApiKey key) {
      return decision != null
          && decision.outcome() == TotpGuard.Outcome.ACCEPTED
          && generation.equals(key.getMetadata().getGeneration());
    }
  }

  private ApiKey takeCode(ApiKey key, CodeAttempt attempt) {
    CodeVerifier.Taken<ApiKey> taken;
    try {
      taken = CodeVerifier.take(client, key);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        throw new ConflictException();
      }
      throw e;
    }
    if (taken == null) {
      return key;
    }
    attempt.code = taken.code();
    attempt.generation = taken.resource().getMetadata().getGeneration();
    return taken.resource();
  }

  /** A code that arrived where none can be checked: said so, never counted, never kept. */
  private void discardCode(ApiKey key, CodeAttempt attempt, String why) {
    if (attempt.code == null || attempt.decision != null || attempt.discarded) {
      return;
    }
    attempt.discarded = true;
    events.warning(key, "VerificationFailed", "TOTP code not checked: " + why);
  }

  private UpdateControl<ApiKey> reconcileOnce(ApiKey key, CodeAttempt attempt) {
    Instant now = clock.instant();
    Long generation = key.getMetadata().getGeneration();
    ApiKeyStatus status = StatusWriter.copyOf(key);
    Condition readyBefore = Conditions.find(status.conditions, Conditions.READY).orElse(null);
    Condition quotaBefore =
        Conditions.find(status.conditions, Conditions.QUOTA_AVAILABLE).orElse(null);
    status.observedGeneration = generation;
    if (EXPIRED.equals(status.phase)) {
      String renew = annotation(key, RENEW_ANNOTATION);
      if (renew == null || renew.equals(status.lastHandledRenew)) {
        return stayExpired(key, status, attempt);
      }
      startOver(key, status, renew);
    }
    boolean issued = status.accessKey != null;

    ApiKeyRules.Result validation = rules.validate(name(key), key.getSpec(), prior(status));
    if (!validation.valid()) {
      status.phase = "Invalid";
      Conditions.set(
          status.conditions,
          Conditions.READY,
          false,
          "InvalidSpec",
          validation.message(),
          generation,
          now);
      if (issued) {
        Optional<UpdateControl<ApiKey>> expired =
            deadlinesWhileBlocked(key, status, "its spec is invalid", now);
        if (expired.isPresent()) {
          return expired.get();
        }
      }
      ApiKey written = write(key, status);
      announceIfChanged(written, readyBefore, status, "InvalidSpec", validation.message());
      discardCode(written, attempt, "the spec is invalid");
      return until(status, null);
    }
    KeySettings settings = validation.settings();

    ApiUser user = users.find(settings.user()).orElse(null);
    AccountCheck.Account account = account(settings.user(), user);
    Optional<AccountCheck.Block> block = AccountCheck.check(account, ns(key), issued);
    if (block.isPresent()) {
      AccountCheck.Block b = block.get();
      if (!issued) {
        status.phase = b.phase();
      }
      if ("MfaNotEnrolled".equals(b.reason())) {
        Conditions.set(
            status.conditions,
            Conditions.VERIFIED,
            false,
            b.reason(),
            b.message(),
            generation,
            now);
      }
      Conditions.set(
          status.conditions, Conditions.READY, false, b.reason(), b.message(), generation, now);
      if (issued) {
        Optional<UpdateControl<ApiKey>> expired =
            deadlinesWhileBlocked(key, status, b.message(), now);
        if (expired.isPresent()) {
          return expired.get();
        }
      }
      ApiKey written = write(key, status);
      announceIfChanged(written, readyBefore, status, b.reason(), b.message());
      discardCode(written, attempt, b.message());
      return until(status, null);
    }

    // The slot: claimed once, kept until the key is deleted or expires.
    Optional<SlotLedger.Wait> wait = claimSlot(key, user, settings, issued);
    if (wait.isPresent()) {
      String message = wait.get().message(settings.user());
      if (!issued) {
        status.phase = "Pending";
      }
      Conditions.set(
          status.conditions,
          Conditions.QUOTA_AVAILABLE,
          false,
          "KeyLimitReached",
          message,
          generation,
          now);
      Conditions.set(
          status.conditions, Conditions.READY, false, "KeyLimitReached", message, generation, now);
      if (issued) {
        Optional<UpdateControl<ApiKey>> expired =
            deadlinesWhileBlocked(key, status, "it has no slot", now);
        if (expired.isPresent()) {
          return expired.get();
        }
      }
      ApiKey written = write(key, status);
      if (quotaBefore == null
          || !"False".equals(quotaBefore.status)
          || !"KeyLimitReached".equals(quotaBefore.reason)) {
        LOG.info("ApiKey {} waits for a slot of ApiUser {}", id(key), settings.user());
        events.warning(written, "KeyLimitReached", message);
      }
      discardCode(written, attempt, "the key waits for a slot");
      return until(status, null);
    }
    Conditions.set(
        status.conditions,
        Conditions.QUOTA_AVAILABLE,
        true,
        "SlotHeld",
        "holds one of the " + ledger.limit(user) + " key slots of ApiUser " + settings.user(),
        generation,
        now);

    Authorization auth = authorize(key, status, settings, account, user, attempt, now);
    if (auth.inForce() == null) {
      // Never authorized: an MFA user's new key waits for its code.
      if (!issued) {
        status.phase = "AwaitingVerification";
      }
      Condition verified = Conditions.find(status.conditions, Conditions.VERIFIED).orElseThrow();
      Conditions.set(
          status.conditions,
          Conditions.READY,
          false,
          "AwaitingVerification",
          verified.message,
          generation,
          now);
      write(key, status);
      return auth.recheck() == null
          ? UpdateControl.noUpdate()
          : UpdateControl.<ApiKey>noUpdate().rescheduleAfter(auth.recheck());
    }

    Secret cached = secrets.get(new ResourceID(settings.secretName(), ns(key))).orElse(null);
    status.effective = effective(settings, auth.inForce());

    // The renewal policy and the manual triggers act on an issued key whose Secret is settled; an
    // interrupted issuance or rotation is finished first, and the policy looks again right after.
    Renewal.Policy policy = Renewal.Policy.of(settings, maxKeyLifetime);
    boolean interrupted = status.pending != null;
    // An interrupted rotation, finished below, is announced with the cause it was started for.
    String interruptedCause = interrupted ? status.pending.cause : null;
    Renewal.Decision decision = Renewal.Decision.NOTHING;
    ApiKeyStatus.PreviousKey graceEnded = null;
    String expiresBefore = status.expiresAt;
    KeyIssuer.Rotation rotation = null;
    if (issued && !interrupted) {
      decision = Renewal.decide(now, policy, timing(status), triggers(key, status));
      if (decision.action() == Renewal.Action.EXPIRE) {
        return expire(key, status, decision.cause(), now);
      }
      if (status.previous != null && Renewal.graceOver(now, instant(status.previous.validUntil))) {
        graceEnded = status.previous;
        status.previous = null;
      }
      if (decision.action() == Renewal.Action.EXTEND) {
        status.expiresAt = decision.expiresAt().toString();
        status.lastHandledRenew = annotation(key, RENEW_ANNOTATION);
      } else if (decision.action() == Renewal.Action.ROTATE) {
        rotation = new KeyIssuer.Rotation(decision.cause(), decision.previousValidUntil());
      }
    }
    KeyIssuer.Result result = issuer.ensure(key, status, settings, cached, rotation);
    if (result.outcome() == KeyIssuer.Outcome.CONFLICT) {
      String message =
          "Secret "
              + settings.secretName()
              + " exists and is not controlled by this ApiKey; delete it or choose another"
              + " spec.secretTemplate.name";
      if (status.accessKey == null) {
        status.phase = "Pending";
      }
      Conditions.set(
          status.conditions,
          Conditions.SECRET_PRESENT,
          false,
          "SecretConflict",
          message,
          generation,
          now);
      Conditions.set(
          status.conditions, Conditions.READY, false, "SecretConflict", message, generation, now);
      ApiKey written = write(result.key(), status);
      announceIfChanged(written, readyBefore, status, "SecretConflict", message);
      return until(status, CONFLICT_RECHECK);
    }

    if (result.outcome() != KeyIssuer.Outcome.UNCHANGED) {
      // A new key (or an adopted one) answers every manual request made so far.
      status.lastHandledRotate = annotation(key, ROTATE_ANNOTATION);
      status.lastHandledRenew = annotation(key, RENEW_ANNOTATION);
    }
    String phaseBefore = status.phase;
    Instant expiresAt = Instant.parse(status.expiresAt);
    status.phase = Renewal.phase(now, expiresAt, policy);
    status.secretName = settings.secretName();
    status.renewAt = Renewal.renewAt(expiresAt, policy).toString();
    Optional<Condition> secretPresent =
        Conditions.find(status.conditions, Conditions.SECRET_PRESENT)
            .filter(c -> "True".equals(c.status));
    if (result.outcome() == KeyIssuer.Outcome.UNCHANGED && secretPresent.isPresent()) {
      // Nothing happened: keep the condition's history (a past SecretLost) as it is.
      secretPresent.get().observedGeneration = generation;
    } else if (result.outcome() == KeyIssuer.Outcome.REISSUED) {
      Conditions.set(
          status.conditions,
          Conditions.SECRET_PRESENT,
          true,
          "SecretLost",
          "Secret was lost or tampered with at "
              + now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
              + "; access key "
              + String.join(", ", result.revoked())
              + " was revoked and "
              + status.accessKey
              + " issued",
          generation,
          now);
    } else {
      Conditions.set(
          status.conditions,
          Conditions.SECRET_PRESENT,
          true,
          "SecretWritten",
          "Secret " + settings.secretName() + " holds access key " + status.accessKey,
          generation,
          now);
    }
    Conditions.set(
        status.conditions,
        Conditions.READY,
        true,
        "Issued",
        "access key " + status.accessKey + " is active until " + status.expiresAt,
        generation,
        now);
    if (result.outcome() == KeyIssuer.Outcome.ROTATED) {
      // Before the status write: a crash in between restarts them twice, never not at all.
      restarter.restart(key, key.getSpec().rolloutRestart);
    }
    ApiKey written = write(result.key(), status);
    if (result.outcome() == KeyIssuer.Outcome.ISSUED
        && (key.getStatus() == null || key.getStatus().issuedAt == null)
        && key.getMetadata().getCreationTimestamp() != null) {
      metrics.issued(
          Duration.between(Instant.parse(key.getMetadata().getCreationTimestamp()), now));
    }
    announce(written, result, status, settings);
    announceRenewal(
        written, settings, status, decision, interruptedCause, result, graceEnded, expiresBefore);
    if (settings.renewalPolicy() == RenewalPolicy.Never
        && "Expiring".equals(status.phase)
        && !"Expiring".equals(phaseBefore)) {
      events.normal(
          written,
          "Expiring",
          "access key "
              + status.accessKey
              + " expires at "
              + status.expiresAt
              + " and the renewal policy Never will not renew it; annotate the ApiKey with "
              + RENEW_ANNOTATION
              + "=<new value> to extend it");
    }
    if (interrupted) {
      // The finished issuance or rotation may have passed a deadline: look again at once.
      return UpdateControl.<ApiKey>noUpdate().rescheduleAfter(Duration.ofMillis(1));
    }
    return until(status, auth.recheck());
  }

  /** An issued key's timing, from its status. */
  private static Renewal.Key timing(ApiKeyStatus status) {
    return new Renewal.Key(
        Instant.parse(status.issuedAt),
        Instant.parse(status.expiresAt),
        status.previous == null ? null : instant(status.previous.validUntil));
  }

  private static Renewal.Triggers triggers(ApiKey key, ApiKeyStatus status) {
    return new Renewal.Triggers(
        annotation(key, ROTATE_ANNOTATION),
        status.lastHandledRotate,
        annotation(key, RENEW_ANNOTATION),
        status.lastHandledRenew);
  }

  /**
   * No reconciliation is polled: the key is looked at again at its next deadline (renewAt,
   * expiresAt, end of a grace period) or at {@code recheck}, whichever comes first.
   */
  private UpdateControl<ApiKey> until(ApiKeyStatus status, Duration recheck) {
    Instant now = clock.instant();
    Instant next =
        Renewal.next(
            now,
            instant(status.renewAt),
            instant(status.expiresAt),
            status.previous == null ? null : instant(status.previous.validUntil),
            recheck == null ? null : now.plus(recheck));
    if (next == null) {
      return UpdateControl.noUpdate();
    }
    // Rounded up to the millisecond, so the timer never fires before the deadline.
    long nanos = Duration.between(now, next).toNanos();
    return UpdateControl.<ApiKey>noUpdate()
        .rescheduleAfter(Duration.ofMillis(Math.max(1, (nanos + 999_999) / 1_000_000)));
  }

  /**
   * For an issued key whose policy cannot act (invalid spec, blocked account, no slot): the
   * deadlines that pass regardless. At expiresAt the key expires; at the end of a grace period the
   * previous key leaves the Secret. Returns the control when the key expired.
   */
  private Optional<UpdateControl<ApiKey>> deadlinesWhileBlocked(
      ApiKey key, ApiKeyStatus status, String why, Instant now) {
    if (status.expiresAt == null || status.pending != null) {
      return Optional.empty();
    }
    if (!now.isBefore(Instant.parse(status.expiresAt))) {
      return Optional.of(
          expire(key, status, "expired at " + status.expiresAt + " while " + why, now));
    }
    if (status.previous != null && Renewal.graceOver(now, instant(status.previous.validUntil))) {
      issuer.dropPrevious(key, status.secretName);
      ApiKeyStatus.PreviousKey ended = status.previous;
      status.previous = null;
      announceGraceEnded(key, status, ended);
    }
    return Optional.empty();
  }

  /**
   * Expiry (policy Never, or a key whose policy could not act in time): the decision is recorded
   * first (phase Expired, compare and swap), then the Secret is deleted and the slot released. A
   * crash in between is finished by {@link #stayExpired}. The ApiKey stays as the record.
   */
  private UpdateControl<ApiKey> expire(ApiKey key, ApiKeyStatus status, String cause, Instant now) {
    Long generation = key.getMetadata().getGeneration();
    List<String> revoked = new java.util.ArrayList<>();
    revoked.add(status.accessKey);
    if (status.previous != null) {
      revoked.add(status.previous.accessKey);
    }
    String user = owner(key, status);
    status.phase = EXPIRED;
    status.renewAt = null;
    status.previous = null;
    status.pending = null;
    Conditions.remove(status.conditions, Conditions.QUOTA_AVAILABLE);
    String message =
        "access key "
            + status.accessKey
            + " "
            + cause
            + "; its Secret was deleted and its slot released; annotate the ApiKey with "
            + RENEW_ANNOTATION
            + "=<new value> to issue a new key";
    Conditions.set(status.conditions, Conditions.READY, false, "Expired", message, generation, now);
    Conditions.set(
        status.conditions,
        Conditions.SECRET_PRESENT,
        false,
        "Expired",
        "Secret " + status.secretName + " deleted when the key expired",
        generation,
        now);
    ApiKey written = write(key, status);
    removeSecretAndSlot(written, status);
    for (String accessKey : revoked) {
      audit.record(AuditLog.Action.EXPIRED, id(key), user, accessKey, cause);
    }
    LOG.info("ApiKey {} expired: {}", id(key), cause);
    events.normal(written, "Expired", message);
    return UpdateControl.noUpdate();
  }

  /** An expired key stays expired until a new renew value: its Secret and slot stay gone. */
  private UpdateControl<ApiKey> stayExpired(ApiKey key, ApiKeyStatus status, CodeAttempt attempt) {
    removeSecretAndSlot(key, status);
    write(key, status);
    discardCode(
        key,
        attempt,
        "the key expired; annotate it with "
            + RENEW_ANNOTATION
            + "=<new value> to issue a new one");
    return UpdateControl.noUpdate();
  }

  /**
   * A renew request for an expired key: it starts over as a new key (slot, TOTP code when the user
   * has MFA, issuance). Only in memory until the next status write, so a crash repeats it.
   */
  private void startOver(ApiKey key, ApiKeyStatus status, String renew) {
    LOG.info("ApiKey {}: renewing the expired key ({}={})", id(key), RENEW_ANNOTATION, renew);
    status.accessKey = null;
    status.secretFingerprint = null;
    status.algorithm = null;
    status.publicKey = null;
    status.issuedAt = null;
    status.expiresAt = null;
    status.renewAt = null;
    status.previous = null;
    status.pending = null;
    status.effective = null;
    status.phase = "Pending";
    status.lastHandledRenew = renew;
    Conditions.remove(status.conditions, Conditions.VERIFIED);
    Conditions.remove(status.conditions, Conditions.SECRET_PRESENT);
  }

  private void removeSecretAndSlot(ApiKey key, ApiKeyStatus status) {
    if (status.secretName != null
        && secrets.get(new ResourceID(status.secretName, ns(key))).isPresent()) {
      Secret live = client.secrets().inNamespace(ns(key)).withName(status.secretName).get();
      if (live != null && CredentialSecret.controlledBy(live, key)) {
        client.secrets().inNamespace(ns(key)).withName(status.secretName).delete();
      }
    }
    String user = owner(key, status);
    ApiUser u = user == null ? null : users.find(user).orElse(null);
    String uid = key.getMetadata().getUid();
    if (u != null && KeyLedger.slots(u).stream().anyMatch(s -> s.uid().equals(uid))) {
      ledger.release(user, java.util.Set.of(uid));
      LOG.info("ApiKey {} released its slot of ApiUser {}", id(key), user);
    }
  }

  private static String owner(ApiKey key, ApiKeyStatus status) {
    if (status.effective != null && status.effective.user != null) {
      return status.effective.user;
    }
    return key.getSpec() == null ? null : key.getSpec().user;
  }

  private void announceRenewal(
      ApiKey key,
      KeySettings settings,
      ApiKeyStatus status,
      Renewal.Decision decision,
      String interruptedCause,
      KeyIssuer.Result result,
      ApiKeyStatus.PreviousKey graceEnded,
      String expiresBefore) {
    if (graceEnded != null) {
      announceGraceEnded(key, status, graceEnded);
    }
    if (result.outcome() == KeyIssuer.Outcome.ROTATED) {
      String cause =
          decision.cause() != null
              ? decision.cause()
              : (interruptedCause == null ? "rotation" : interruptedCause)
                  + "; finished after an interruption";
      String replaced =
          status.previous != null
              ? "access key "
                  + status.previous.accessKey
                  + " still verifies until "
                  + status.previous.validUntil
              : "the replaced key was revoked";
      audit.record(AuditLog.Action.ROTATED, id(key), settings.user(), status.accessKey, cause);
      for (String revoked : result.revoked()) {
        audit.record(AuditLog.Action.REVOKED, id(key), settings.user(), revoked, "rotated");
      }
      LOG.info("ApiKey {} rotated to access key {}: {}", id(key), status.accessKey, cause);
      events.normal(
          key,
          "Rotated",
          "new access key "
              + status.accessKey
              + " written to Secret "
              + status.secretName
              + " ("
              + cause
              + "); "
              + replaced);
    } else if (decision.action() == Renewal.Action.EXTEND
        && result.outcome() == KeyIssuer.Outcome.UNCHANGED) {
      audit.record(
          AuditLog.Action.EXTENDED,
          id(key),
          settings.user(),
          status.accessKey,
          decision.cause() + "; was " + expiresBefore);
      LOG.info("ApiKey {} extended until {}", id(key), status.expiresAt);
      events.normal(
          key,
          "Extended",
          "access key "
              + status.accessKey
              + " extended until "
              + status.expiresAt
              + " ("
              + decision.cause()
              + ")");
    }
  }

  private void announceGraceEnded(ApiKey key, ApiKeyStatus status, ApiKeyStatus.PreviousKey ended) {
    audit.record(
        AuditLog.Action.REVOKED, id(key), owner(key, status), ended.accessKey, "grace ended");
    events.normal(
        key,
        "Revoked",
        "previous access key "
            + ended.accessKey
            + " revoked: its grace period ended at "
            + ended.validUntil);
  }

  private static Instant instant(String s) {
    return s == null ? null : Instant.parse(s);
  }

  private static String annotation(ApiKey key, String name) {
    Map<String, String> annotations = key.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(name);
  }

  /**
   * What the key may grant now.
   *
   * @param inForce the access verification enforces; null when the key was never authorized
   * @param recheck when to look again (the end of a verification lock), or null
   */
  private record Authorization(AccessChange.Access inForce, Duration recheck) {}

  /**
   * Decides the access in force. Without MFA, the spec applies. With MFA, a new key needs a code,
   * and an edit that widens access needs a fresh one while the narrower settings stay in force;
   * narrowing edits apply at once. Sets the Verified condition.
   */
  private Authorization authorize(
      ApiKey key,
      ApiKeyStatus status,
      KeySettings settings,
      AccountCheck.Account account,
      ApiUser user,
      CodeAttempt attempt,
      Instant now) {
    Long generation = key.getMetadata().getGeneration();
    AccessChange.Access requested =
        new AccessChange.Access(settings.permissions(), settings.ipWhitelist());
    if (!account.mfaRequired()) {
      Conditions.remove(status.conditions, Conditions.VERIFIED);
      discardCode(key, attempt, "ApiUser " + settings.user() + " has MFA disabled");
      return new Authorization(requested, null);
    }
    AccessChange.Access authorized =
        status.effective == null
            ? null
            : new AccessChange.Access(
                Optional.ofNullable(status.effective.permissions).orElse(List.of()),
                Optional.ofNullable(status.effective.ipWhitelist).orElse(List.of()));
    AccessChange.Result change =
        authorized == null ? null : AccessChange.apply(authorized, requested);
    boolean needsCode = change == null || change.widens();

    if (attempt.code != null && attempt.decision == null && !attempt.discarded) {
      if (!needsCode) {
        attempt.discarded = true;
        events.normal(
            key, "VerificationSkipped", "TOTP code not needed: the spec does not widen access");
      } else if (!account.mfaConfirmed()) {
        discardCode(
            key, attempt, "TOTP enrolment of ApiUser " + settings.user() + " is not confirmed");
      } else {
        CodeVerifier.Attempt result = verifier.verify(user, attempt.code, false);
        if (result.decision().isEmpty()) {
          discardCode(key, attempt, "ApiUser " + settings.user() + " has no enrolment Secret");
        } else {
          attempt.decision = result.decision().get();
          user = result.user();
          announceAttempt(key, settings, attempt.decision, change);
        }
      }
    }
    if (attempt.acceptedFor(key)) {
      Conditions.set(
          status.conditions,
          Conditions.VERIFIED,
          true,
          "CodeAccepted",
          "TOTP code accepted at "
              + now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
              + " for generation "
              + generation,
          generation,
          now);
      return new Authorization(requested, null);
    }
    if (!needsCode) {
      Optional<Condition> verified =
          Conditions.find(status.conditions, Conditions.VERIFIED)
              .filter(c -> "True".equals(c.status));
      if (verified.isEmpty()) {
        Conditions.set(
            status.conditions,
            Conditions.VERIFIED,
            true,
            "NothingPending",
            "the spec grants nothing beyond what a TOTP code confirmed",
            generation,
            now);
      }
      return new Authorization(requested, null);
    }

    TotpGuard.State state =
        CodeVerifier.state(user.getStatus() == null ? null : user.getStatus().mfa);
    String ask =
        "annotate the ApiKey with "
            + CodeVerifier.ANNOTATION
            + "=<code from the authenticator app of ApiUser "
            + settings.user()
            + ">";
    String what =
        change == null
            ? "the key is issued once a TOTP code confirms it"
            : "the spec "
                + String.join(" and ", change.widened())
                + "; status.effective keeps the narrower settings until a TOTP code confirms";
    String reason;
    String message;
    Duration recheck = null;
    Optional<Condition> previous =
        Conditions.find(status.conditions, Conditions.VERIFIED)
            .filter(c -> "False".equals(c.status));
    if (state.lockedAt(now)) {
      reason = TotpGuard.Outcome.LOCKED.reason();
      message =
          "verification is locked until "
              + state.lockedUntil()
              + " after "
              + TotpGuard.MAX_FAILURES
              + " failed codes; "
              + what;
      recheck = Duration.between(now, state.lockedUntil());
    } else if (attempt.decision != null) {
      reason = attempt.decision.reason();
      message = attempt.decision.message() + "; " + what + "; " + ask;
    } else if (previous.isPresent()
        && List.of("InvalidCode", "CodeReplayed").contains(previous.get().reason)) {
      reason = previous.get().reason;
      message = previous.get().message;
    } else {
      reason = change == null ? "AwaitingCode" : "WideningPending";
      message = what + "; " + ask;
    }
    Conditions.set(status.conditions, Conditions.VERIFIED, false, reason, message, generation, now);
    return new Authorization(change == null ? null : change.inForce(), recheck);
  }

  private void announceAttempt(
      ApiKey key, KeySettings settings, TotpGuard.Decision d, AccessChange.Result change) {
    String accessKey = key.getStatus() == null ? null : key.getStatus().accessKey;
    if (d.outcome() == TotpGuard.Outcome.ACCEPTED) {
      String what =
          change == null
              ? "issuance confirmed"
              : "confirmed: the spec " + String.join(" and ", change.widened());
      audit.record(AuditLog.Action.VERIFIED, id(key), settings.user(), accessKey, what);
      events.normal(key, "Verified", "TOTP code accepted; " + what);
    } else {
      audit.record(
          AuditLog.Action.VERIFICATION_FAILED, id(key), settings.user(), accessKey, d.reason());
      LOG.info("ApiKey {}: TOTP code refused: {}", id(key), d.reason());
      events.warning(key, "VerificationFailed", d.message());
    }
  }

  /**
   * Claims a slot for the key unless it holds one; empty when it holds one now, else why it waits.
   * Waiting keys go oldest first: a key claims only when more slots are free than there are older
   * keys waiting. An issued key that lost its slot (its user was recreated) claims first.
   */
  private Optional<SlotLedger.Wait> claimSlot(
      ApiKey key, ApiUser user, KeySettings settings, boolean issued) {
    String uid = key.getMetadata().getUid();
    java.util.Set<String> holders =
        KeyLedger.slots(user).stream().map(SlotLedger.Slot::uid).collect(Collectors.toSet());
    if (holders.contains(uid)) {
      return Optional.empty();
    }
    List<ApiKey> ofUser = issued ? List.of() : keys.byIndex(USER_INDEX, settings.user());
    int atMost =
        (int)
            ofUser.stream()
                .map(k -> k.getMetadata().getUid())
                .filter(u -> !u.equals(uid) && !holders.contains(u))
                .count();
    int[] older = {-1};
    SlotLedger.Decision d =
        ledger.claim(
            user,
            new SlotLedger.Slot(ns(key), name(key), uid, settings.type()),
            atMost,
            () -> older[0] >= 0 ? older[0] : (older[0] = olderWaiting(key, user, ofUser, holders)));
    if (d instanceof SlotLedger.Claim) {
      LOG.info("ApiKey {} claimed a slot of ApiUser {}", id(key), settings.user());
    }
    return d instanceof SlotLedger.Wait w ? Optional.of(w) : Optional.empty();
  }

  /** Keys of the same user, without a slot, that could take one and are older than this one. */
  private int olderWaiting(
      ApiKey key, ApiUser user, List<ApiKey> ofUser, java.util.Set<String> holders) {
    List<String> namespaces =
        user.getSpec() == null || user.getSpec().namespaces == null
            ? List.of()
            : user.getSpec().namespaces;
    List<SlotLedger.Candidate> waiting =
        ofUser.stream()
            .filter(k -> !k.isMarkedForDeletion())
            .filter(k -> !holders.contains(k.getMetadata().getUid()))
            .filter(k -> namespaces.contains("*") || namespaces.contains(ns(k)))
            .filter(k -> !released(k))
            .filter(k -> rules.validate(name(k), k.getSpec(), prior(k.getStatus())).valid())
            .map(ApiKeyReconciler::candidate)
            .toList();
    return SlotLedger.olderThan(candidate(key), waiting);
  }

  /** An expired or revoked key takes no slot until it is renewed. */
  private static boolean released(ApiKey k) {
    String phase = k.getStatus() == null ? null : k.getStatus().phase;
    return "Expired".equals(phase) || "Revoked".equals(phase);
  }

  private static SlotLedger.Candidate candidate(ApiKey k) {
    String created = k.getMetadata().getCreationTimestamp();
    return new SlotLedger.Candidate(
        k.getMetadata().getUid(), ns(k), name(k), created == null ? null : Instant.parse(created));
  }

  /** The key's Secret: the one it was issued into, else the one its spec names. */
  private static String secretName(ApiKey key) {
    if (key.getStatus() != null && key.getStatus().secretName != null) {
      return key.getStatus().secretName;
    }
    return Optional.ofNullable(key.getSpec())
        .map(s -> s.secretTemplate)
        .map(t -> t.name)
        .orElse(name(key) + "-credentials");
  }

  @Override
  public DeleteControl cleanup(ApiKey key, Context<ApiKey> context) {
    ApiKeyStatus status = key.getStatus() == null ? new ApiKeyStatus() : key.getStatus();
    String secretName = secretName(key);
    Secret secret = client.secrets().inNamespace(ns(key)).withName(secretName).get();
    boolean deleted = false;
    if (secret != null && CredentialSecret.controlledBy(secret, key)) {
      client.secrets().inNamespace(ns(key)).withName(secretName).delete();
      deleted = true;
    }
    String user = key.getSpec() == null ? null : key.getSpec().user;
    for (String accessKey : revocable(status)) {
      audit.record(AuditLog.Action.REVOKED, id(key), user, accessKey, "deleted");
      events.normal(
          key,
          "Revoked",
          "access key "
              + accessKey
              + " revoked"
              + (deleted ? "; Secret " + secretName + " deleted" : ""));
    }
    // The slot goes last: a crash before this point leaves the finalizer, and the next run
    // releases it; a slot whose key vanished anyway is reclaimed by the ApiUser reconciler.
    for (String owner : ApiKeyStore.owners(key)) {
      for (SlotLedger.Slot released :
          ledger.release(owner, java.util.Set.of(key.getMetadata().getUid())).result()) {
        LOG.info("ApiKey {} released its slot of ApiUser {}", released.id(), owner);
      }
    }
    return DeleteControl.defaultDelete();
  }

  private static List<String> revocable(ApiKeyStatus status) {
    java.util.ArrayList<String> keys = new java.util.ArrayList<>();
    if (EXPIRED.equals(status.phase)) {
      // Revoked when it expired; status keeps the access key only as the record.
      return keys;
    }
    if (status.accessKey != null) {
      keys.add(status.accessKey);
    }
    if (status.pending != null && status.pending.accessKey != null) {
      keys.add(status.pending.accessKey);
    }
    if (status.previous != null && status.previous.accessKey != null) {
      keys.add(status.previous.accessKey);
    }
    return keys;
  }

  private void announce(
      ApiKey key, KeyIssuer.Result result, ApiKeyStatus status, KeySettings settings) {
    switch (result.outcome()) {
      case ISSUED, ADOPTED -> {
        audit.record(
            AuditLog.Action.ISSUED,
            id(key),
            settings.user(),
            status.accessKey,
            result.outcome() == KeyIssuer.Outcome.ADOPTED ? "adopted" : null);
        events.normal(
            key,
            "Issued",
            "access key "
                + status.accessKey
                + " written to Secret "
                + status.secretName
                + ", valid until "
                + status.expiresAt);
      }
      case REISSUED -> {
        for (String revoked : result.revoked()) {
          audit.record(AuditLog.Action.REVOKED, id(key), settings.user(), revoked, "SecretLost");
        }
        audit.record(
            AuditLog.Action.ISSUED, id(key), settings.user(), status.accessKey, "SecretLost");
        events.warning(
            key,
            "SecretLost",
            "Secret "
                + status.secretName
                + " was deleted or its secretKey no longer matches the fingerprint: access key "
                + String.join(", ", result.revoked())
                + " revoked, new access key "
                + status.accessKey
                + " issued (the old secret is never restored)");
      }
      default -> {}
    }
  }

  /** An event when the Ready condition turns to a new failure (not on every reconcile). */
  private void announceIfChanged(
      ApiKey key, Condition before, ApiKeyStatus status, String reason, String message) {
    if (before != null
        && "False".equals(before.status)
        && reason.equals(before.reason)
        && message.equals(before.message)) {
      return;
    }
    LOG.info("ApiKey {} not ready: {}: {}", id(key), reason, message);
    events.warning(key, reason, message);
  }

  private ApiKey write(ApiKey key, ApiKeyStatus status) {
    try {
      return statusWriter.write(key, status);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        throw new ConflictException();
      }
      throw e;
    }
  }

  private static AccountCheck.Account account(String userName, ApiUser u) {
    if (u == null) {
      return AccountCheck.Account.missing(userName);
    }
    return new AccountCheck.Account(
        userName,
        true,
        u.getSpec() == null || u.getSpec().namespaces == null ? List.of() : u.getSpec().namespaces,
        u.getSpec() != null && Boolean.TRUE.equals(u.getSpec().suspended),
        ApiUserReconciler.mfaRequired(u),
        u.getStatus() != null
            && u.getStatus().mfa != null
            && Boolean.TRUE.equals(u.getStatus().mfa.confirmed));
  }

  /** What an issued key fixed for good; {@code status} is only read, and may be null. */
  private static ApiKeyRules.Prior prior(ApiKeyStatus status) {
    if (status == null || status.accessKey == null) {
      return ApiKeyRules.Prior.NONE;
    }
    return new ApiKeyRules.Prior(
        status.effective == null ? null : status.effective.user,
        status.effective == null ? null : status.effective.type,
        status.secretName);
  }

  private static ApiKeyStatus.Effective effective(
      KeySettings settings, AccessChange.Access inForce) {
    ApiKeyStatus.Effective e = new ApiKeyStatus.Effective();
    e.user = settings.user();
    e.type = settings.type();
    e.permissions = inForce.permissions();
    e.ipWhitelist = inForce.ipWhitelist();
    return e;
  }

  private static String ns(ApiKey key) {
    return key.getMetadata().getNamespace();
  }

  private static String name(ApiKey key) {
    return key.getMetadata().getName();
  }

  private static String id(ApiKey key) {
    return ns(key) + "/" + name(key);
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

  /** A status write met a newer resourceVersion. */
  static final class ConflictException extends RuntimeException {
    ConflictException() {
      super("status write conflict", null, false, false);
    }
  }
}
