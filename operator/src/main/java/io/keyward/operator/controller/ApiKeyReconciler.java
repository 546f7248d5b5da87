package io.keyward.operator.controller;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.keyward.operator.accounts.CodeVerifier;
import io.keyward.operator.accounts.KeyLedger;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.Condition;
import io.keyward.operator.audit.AuditLog;
import io.keyward.operator.domain.AccessChange;
import io.keyward.operator.domain.AccountCheck;
import io.keyward.operator.domain.ApiKeyRules;
import io.keyward.operator.domain.KeySettings;
import io.keyward.operator.domain.RenewalPolicy;
import io.keyward.operator.domain.SlotLedger;
import io.keyward.operator.events.EventRecorder;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.issuance.KeyIssuer;
import io.keyward.operator.metrics.KeywardMetrics;
import io.keyward.operator.mfa.TotpGuard;
import io.keyward.operator.status.Conditions;
import io.keyward.operator.status.StatusWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles ApiKeys: validate, check the account, issue (through {@link KeyIssuer}), record
 * status. Decisions live in the domain classes; this class reads, decides and acts.
 */
// Not generation-aware: annotations (TOTP codes, manual triggers) change no generation.
@ControllerConfiguration(
    name = ApiKeyReconciler.NAME,
    finalizerName = ApiKeyReconciler.FINALIZER,
    generationAwareEventProcessing = false)
public class ApiKeyReconciler implements Reconciler<ApiKey>, Cleaner<ApiKey> {
  public static final String NAME = "apikey";
  public static final String FINALIZER = "keyward.io/revoke";
  static final String USER_INDEX = "keyward-user";

  private static final Logger LOG = LoggerFactory.getLogger(ApiKeyReconciler.class);
  private static final int ATTEMPTS = 5;

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
  private IndexedResourceCache<ApiKey> keys;
  private InformerEventSource<Secret, ApiKey> secrets;
  private InformerEventSource<ApiUser, ApiKey> users;
  private KeyIssuer issuer;

  /** Builds the issuer once the Secret informer exists (it feeds the informer's cache). */
  public interface KeyIssuerFactory {
    KeyIssuer create(java.util.function.Consumer<Secret> onSecretCreated);
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
      KeywardMetrics metrics) {
    this.client = client;
    this.rules = rules;
    this.clock = clock;
    this.statusWriter = statusWriter;
    this.issuerFactory = issuerFactory;
    this.events = events;
    this.audit = audit;
    this.ledger = ledger;
    this.verifier = verifier;
    this.metrics = metrics;
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
                .withLabelSelector(
                    CredentialSecret.MANAGED_BY + "=" + CredentialSecret.MANAGED_BY_VALUE)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(ApiKey.class))
                .build(),
            context);
    users =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(ApiUser.class, ApiKey.class)
                .withName("users")
                .withWatchAllNamespaces()
                .withSecondaryToPrimaryMapper(
                    u ->
                        context
                            .getPrimaryCache()
                            .byIndex(USER_INDEX, u.getMetadata().getName())
                            .stream()
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .build(),
            context);
    issuer =
        issuerFactory.create(
            s -> secrets.handleRecentResourceCreate(ResourceID.fromResource(s), s));
    return List.of(secrets, users);
  }

  @Override
  public UpdateControl<ApiKey> reconcile(ApiKey key, Context<ApiKey> context) {
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
      ApiKey written = write(key, status);
      announceIfChanged(written, readyBefore, status, "InvalidSpec", validation.message());
      discardCode(written, attempt, "the spec is invalid");
      return UpdateControl.noUpdate();
    }
    KeySettings settings = validation.settings();

    ApiUser user = users.get(new ResourceID(settings.user())).orElse(null);
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
      ApiKey written = write(key, status);
      announceIfChanged(written, readyBefore, status, b.reason(), b.message());
      discardCode(written, attempt, b.message());
      return UpdateControl.noUpdate();
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
      ApiKey written = write(key, status);
      if (quotaBefore == null
          || !"False".equals(quotaBefore.status)
          || !"KeyLimitReached".equals(quotaBefore.reason)) {
        LOG.info("ApiKey {} waits for a slot of ApiUser {}", id(key), settings.user());
        events.warning(written, "KeyLimitReached", message);
      }
      discardCode(written, attempt, "the key waits for a slot");
      return UpdateControl.noUpdate();
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
    KeyIssuer.Result result = issuer.ensure(key, status, settings, cached);
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
      return UpdateControl.<ApiKey>noUpdate().rescheduleAfter(CONFLICT_RECHECK);
    }

    status.phase = "Active";
    status.secretName = settings.secretName();
    status.renewAt =
        settings.renewalPolicy() == RenewalPolicy.Never
            ? null
            : Instant.parse(status.expiresAt).minus(settings.renewBefore()).toString();
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
              + result.revokedAccessKey()
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
    ApiKey written = write(result.key(), status);
    announce(written, result, status, settings);
    return auth.recheck() == null
        ? UpdateControl.noUpdate()
        : UpdateControl.<ApiKey>noUpdate().rescheduleAfter(auth.recheck());
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
    List<SlotLedger.Slot> held = KeyLedger.slots(user);
    if (held.stream().anyMatch(s -> s.uid().equals(uid))) {
      return Optional.empty();
    }
    int older = issued ? 0 : olderWaiting(key, user, held);
    SlotLedger.Decision d =
        ledger.claim(user, new SlotLedger.Slot(ns(key), name(key), uid, settings.type()), older);
    if (d instanceof SlotLedger.Claim) {
      LOG.info("ApiKey {} claimed a slot of ApiUser {}", id(key), settings.user());
    }
    return d instanceof SlotLedger.Wait w ? Optional.of(w) : Optional.empty();
  }

  /** Keys of the same user, without a slot, that could take one and are older than this one. */
  private int olderWaiting(ApiKey key, ApiUser user, List<SlotLedger.Slot> held) {
    java.util.Set<String> holders =
        held.stream().map(SlotLedger.Slot::uid).collect(Collectors.toSet());
    List<String> namespaces =
        user.getSpec() == null || user.getSpec().namespaces == null
            ? List.of()
            : user.getSpec().namespaces;
    List<SlotLedger.Candidate> waiting =
        keys.byIndex(USER_INDEX, user.getMetadata().getName()).stream()
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

  @Override
  public DeleteControl cleanup(ApiKey key, Context<ApiKey> context) {
    ApiKeyStatus status = key.getStatus() == null ? new ApiKeyStatus() : key.getStatus();
    String secretName =
        status.secretName != null
            ? status.secretName
            : Optional.ofNullable(key.getSpec())
                .map(s -> s.secretTemplate)
                .map(t -> t.name)
                .orElse(name(key) + "-credentials");
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
    java.util.Set<String> owners = new java.util.LinkedHashSet<>();
    if (user != null) {
      owners.add(user);
    }
    if (status.effective != null && status.effective.user != null) {
      owners.add(status.effective.user);
    }
    for (String owner : owners) {
      for (SlotLedger.Slot released :
          ledger.release(owner, java.util.Set.of(key.getMetadata().getUid())).result()) {
        LOG.info("ApiKey {} released its slot of ApiUser {}", released.id(), owner);
      }
    }
    return DeleteControl.defaultDelete();
  }

  private static List<String> revocable(ApiKeyStatus status) {
    java.util.ArrayList<String> keys = new java.util.ArrayList<>();
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
        audit.record(
            AuditLog.Action.REVOKED,
            id(key),
            settings.user(),
            result.revokedAccessKey(),
            "SecretLost");
        audit.record(
            AuditLog.Action.ISSUED, id(key), settings.user(), status.accessKey, "SecretLost");
        events.warning(
            key,
            "SecretLost",
            "Secret "
                + status.secretName
                + " was deleted or its secretKey no longer matches the fingerprint: access key "
                + result.revokedAccessKey()
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

  /** A status write met a newer resourceVersion. */
  static final class ConflictException extends RuntimeException {
    ConflictException() {
      super("status write conflict", null, false, false);
    }
  }
}
