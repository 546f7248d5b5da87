package io.keyward.operator.apiuser;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.api.Condition;
import io.keyward.operator.audit.AuditLog;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.issuance.KeyIssuer;
import io.keyward.operator.kube.Conditions;
import io.keyward.operator.kube.EventRecorder;
import io.keyward.operator.kube.LeanItemStore;
import io.keyward.operator.kube.MetadataChange;
import io.keyward.operator.kube.ReconcileFailure;
import io.keyward.operator.kube.Stale;
import io.keyward.operator.kube.StatusWriter;
import io.keyward.operator.kube.UserStatusUpdater;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.EnrolmentSecret;
import io.keyward.operator.mfa.SeedSeal;
import io.keyward.operator.mfa.Totp;
import io.keyward.operator.mfa.TotpGuard;
import io.keyward.operator.quota.KeyLedger;
import io.keyward.operator.quota.SlotLedger;
import io.keyward.operator.validation.ApiUserRules;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles ApiUsers in the ApiKey controller's shape: observe (the user, its enrolment Secret, a
 * code), plan ({@link UserPlanner}), act (at most the enrolment Secret), then one status write
 * ({@link UserStatus}) and the events of what changed.
 */
// Not generation-aware: the TOTP code annotation changes no generation. A status change that only
// claims or releases slots (the most frequent write by far) needs no reconciliation.
@ControllerConfiguration(
    name = ApiUserReconciler.NAME,
    generationAwareEventProcessing = false,
    informer =
        @Informer(
            onUpdateFilter = ApiUserReconciler.NotOnlyLedger.class,
            itemStore = LeanItemStore.class))
public class ApiUserReconciler implements Reconciler<ApiUser> {
  public static final String NAME = "apiuser";

  /**
   * Resets the user's TOTP enrolment once per new value: a new secret is sealed and must be
   * confirmed by a code. The value acted on is kept in {@code status.mfa.lastHandledReset}.
   */
  public static final String RESET_ANNOTATION = "keyward.io/reset-totp";

  private static final Logger LOG = LoggerFactory.getLogger(ApiUserReconciler.class);

  private final KubernetesClient client;
  private final KeywardConfig config;
  private final Clock clock;
  private final EventRecorder events;
  private final AuditLog audit;
  private final KeyLedger ledger;
  private final UserStatusUpdater updater;
  private final CodeVerifier verifier;
  private final Totp totp;
  private final SeedSeal seal;
  private InformerEventSource<Secret, ApiUser> enrolments;
  private InformerEventSource<ApiKey, ApiUser> keys;

  public ApiUserReconciler(
      KubernetesClient client,
      KeywardConfig config,
      Clock clock,
      EventRecorder events,
      AuditLog audit,
      KeyLedger ledger,
      UserStatusUpdater updater,
      CodeVerifier verifier,
      Totp totp,
      SeedSeal seal) {
    this.client = client;
    this.config = config;
    this.clock = clock;
    this.events = events;
    this.audit = audit;
    this.ledger = ledger;
    this.updater = updater;
    this.verifier = verifier;
    this.totp = totp;
    this.seal = seal;
  }

  /** {@code mfa.totp} is Required unless it says Disabled. */
  public static boolean mfaRequired(ApiUser user) {
    return user.getSpec() == null
        || user.getSpec().mfa == null
        || !"Disabled".equals(user.getSpec().mfa.totp);
  }

  @Override
  public List<EventSource<?, ApiUser>> prepareEventSources(EventSourceContext<ApiUser> context) {
    enrolments =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Secret.class, ApiUser.class)
                .withName("enrolment-secrets")
                .withItemStore(new LeanItemStore<>())
                .withNamespaces(Set.of(config.operatorNamespace()))
                .withLabelSelector(EnrolmentSecret.LABEL_PURPOSE + "=" + EnrolmentSecret.PURPOSE)
                // By name, not by owner: an owner reference is copied as easily as a label.
                .withSecondaryToPrimaryMapper(ApiUserReconciler::userOfEnrolmentSecret)
                .build(),
            context);
    // Who each key is, to find ledger entries whose key is gone: a key deleted without its
    // finalizer (a tenant may remove it) leaves its slot and grant behind. Only deletions wake
    // the user; the store keeps identities only (KeyStubStore).
    InformerEventSourceConfiguration.Builder<ApiKey> keyConfig =
        InformerEventSourceConfiguration.from(ApiKey.class, ApiUser.class)
            .withName("apikey-identities")
            .withItemStore(new io.keyward.operator.kube.KeyStubStore())
            .withOnAddFilter(k -> false)
            .withOnUpdateFilter((next, previous) -> false)
            .withSecondaryToPrimaryMapper(
                (ApiKey k) ->
                    k.getSpec() == null || k.getSpec().user == null
                        ? Set.of()
                        : Set.of(new ResourceID(k.getSpec().user)));
    keyConfig =
        config.watchNamespaces().isEmpty()
            ? keyConfig.withWatchAllNamespaces()
            : keyConfig.withNamespaces(config.watchNamespaces());
    keys = new InformerEventSource<>(keyConfig.build(), context);
    return List.of(enrolments, keys);
  }

  /**
   * Releases the slots, and with them the grants, of keys that no longer exist: the cache shows
   * most keys; one it does not show, or shows with another uid, is looked up on the server. A uid
   * never comes back, so a key gone is gone for good; its grant is revoked with it.
   */
  private void releaseVanished(ApiUser user) {
    if (user.getStatus() == null || user.getStatus().keyRefs == null || keys == null) {
      return;
    }
    // A namespace this operator does not watch is another operator's to look after.
    Set<String> gone =
        KeyLedger.vanished(
            KeyLedger.slots(user),
            (namespace, name) -> keys.get(new ResourceID(name, namespace)),
            client,
            namespace ->
                config.watchNamespaces().isEmpty() || config.watchNamespaces().contains(namespace));
    if (gone.isEmpty()) {
      return;
    }
    String name = user.getMetadata().getName();
    List<ApiUserStatus.KeyRef> refs = user.getStatus().keyRefs;
    for (SlotLedger.Slot released : ledger.release(name, gone).result()) {
      ApiUserStatus.KeyGrant grant =
          refs.stream()
              .filter(r -> released.uid().equals(r.uid))
              .map(r -> r.grant)
              .filter(Objects::nonNull)
              .findFirst()
              .orElse(null);
      if (grant != null) {
        for (String accessKey : KeyLedger.accessKeys(grant)) {
          audit.record(
              AuditLog.Action.REVOKED, released.id(), name, accessKey, "key gone without cleanup");
        }
      }
      LOG.info("ApiUser {}: released the slot of {}, which no longer exists", name, released.id());
      events.normal(
          user,
          "SlotReclaimed",
          "slot of ApiKey "
              + released.id()
              + " reclaimed and its grant revoked: the key no longer"
              + " exists");
    }
  }

  /** The user an enrolment Secret is named for: {@code <user>-totp}. */
  static Set<ResourceID> userOfEnrolmentSecret(Secret secret) {
    String name = secret.getMetadata().getName();
    String suffix = EnrolmentSecret.name("");
    return name.endsWith(suffix) && name.length() > suffix.length()
        ? Set.of(new ResourceID(name.substring(0, name.length() - suffix.length())))
        : Set.of();
  }

  /**
   * Passes an update unless it changed nothing but the slot ledger (status.keyRefs and the count):
   * a claim or a release changes nothing this reconciler decides.
   */
  public static final class NotOnlyLedger implements OnUpdateFilter<ApiUser> {
    @Override
    public boolean accept(ApiUser next, ApiUser previous) {
      if (MetadataChange.between(next, previous)) {
        return true;
      }
      ApiUserStatus n = next.getStatus();
      ApiUserStatus p = previous.getStatus();
      if (n == null || p == null) {
        return n != p;
      }
      return !Objects.equals(n.mfa, p.mfa)
          || !Objects.equals(n.conditions, p.conditions)
          || !Objects.equals(n.observedGeneration, p.observedGeneration);
    }
  }

  @Override
  public UpdateControl<ApiUser> reconcile(ApiUser user, Context<ApiUser> context) {
    try {
      String code = null;
      CodeVerifier.Taken<ApiUser> taken = CodeVerifier.take(client, user);
      if (taken != null) {
        user = taken.resource();
        code = taken.code();
      }
      releaseVanished(user);
      Observed o = observe(user, code != null);
      UserFacts facts = o.facts;
      UserPlan plan = UserPlanner.plan(facts);
      UserStatus.Done done = act(user, o, plan);
      UserStatus.Seeds seeds = seeds(user, o, code, facts.now());
      String uid = user.getMetadata().getUid();
      UserStatusUpdater.Updated<UserStatus.Next> written =
          updater.update(
              user,
              facts.name(),
              (fresh, status) -> {
                if (!uid.equals(fresh.getMetadata().getUid())) {
                  // Deleted and created again: the new account's own event brings it here.
                  throw new Stale("ApiUser " + facts.name() + " was created again");
                }
                UserStatus.Next next = UserStatus.build(facts, plan, done, status, seeds);
                return Objects.equals(next.status(), fresh.getStatus())
                    ? UserStatusUpdater.Step.keep(next)
                    : UserStatusUpdater.Step.write(next);
              });
      announce(written.user(), facts, plan, done, written.result());
      Instant lock = facts.mfaRequired() ? lockEnd(written.result()) : null;
      Instant next = lock != null ? lock : plan.next();
      return next == null || !next.isAfter(facts.now())
          ? UpdateControl.noUpdate()
          : UpdateControl.<ApiUser>noUpdate().rescheduleAfter(Duration.between(facts.now(), next));
    } catch (UserStatusUpdater.UserNotFoundException e) {
      return UpdateControl.noUpdate();
    } catch (Stale e) {
      // A newer version exists; its own event brings us back.
      return UpdateControl.noUpdate();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        // A newer version exists; its own event brings us back.
        return UpdateControl.noUpdate();
      }
      throw e;
    }
  }

  @Override
  public ErrorStatusUpdateControl<ApiUser> updateErrorStatus(
      ApiUser user, Context<ApiUser> context, Exception e) {
    Optional<ReconcileFailure> failure = ReconcileFailure.toReport(e, context.getRetryInfo());
    if (failure.isEmpty()) {
      // A conflict or an unreachable server: JOSDK's retry usually gets past it.
      return ErrorStatusUpdateControl.defaultErrorProcessing();
    }
    ReconcileFailure f = failure.get();
    LOG.warn("ApiUser {}: {}: {}", user.getMetadata().getName(), f.reason(), f.message());
    ApiUserStatus status =
        StatusWriter.copy(user.getStatus(), ApiUserStatus.class, ApiUserStatus::new);
    f.record(
        user,
        status.conditions,
        clock.instant(),
        () -> StatusWriter.write(client, user, status),
        events);
    return ErrorStatusUpdateControl.noStatusUpdate();
  }

  /**
   * What observe found: the facts, and beside them (never in them, and never logged) the TOTP
   * secret the status seals and the enrolment Secret as read.
   */
  private static final class Observed {
    final UserFacts facts;
    final String seed;
    final Secret secret;

    Observed(UserFacts facts, String seed, Secret secret) {
      this.facts = facts;
      this.seed = seed;
      this.secret = secret;
    }
  }

  private Observed observe(ApiUser user, boolean code) {
    String name = user.getMetadata().getName();
    String uid = user.getMetadata().getUid();
    List<String> violations = ApiUserRules.validate(user.getSpec());
    boolean mfa = mfaRequired(user);
    String namespace = config.operatorNamespace();
    String secretName = EnrolmentSecret.name(name);
    ApiUserStatus status = user.getStatus() == null ? new ApiUserStatus() : user.getStatus();
    String sealed = status.mfa == null ? null : status.mfa.sealedSeed;
    String seed = seal.tryOpen(sealed, name, uid).orElse(null);
    UserFacts.Seed seedFact =
        sealed == null
            ? UserFacts.Seed.NONE
            : seed != null ? UserFacts.Seed.SEALED : UserFacts.Seed.UNREADABLE;
    UserFacts.Enrolment enrolment = null;
    Secret secret = null;
    if (mfa && violations.isEmpty()) {
      // The informer sees Secrets of that name with Keyward's purpose label; one without it is
      // met when the copy is created (409). Either way only what it holds decides.
      secret = enrolments.get(new ResourceID(secretName, namespace)).orElse(null);
      enrolment = enrolment(secret, user, seedFact, seed);
    }
    boolean suspended = user.getSpec() != null && Boolean.TRUE.equals(user.getSpec().suspended);
    int limit = ledger.limit(user);
    Map<String, String> annotations = user.getMetadata().getAnnotations();
    UserFacts facts =
        new UserFacts(
            clock.instant(),
            name,
            user.getMetadata().getGeneration(),
            status,
            violations,
            mfa,
            suspended,
            namespace + "/" + secretName,
            enrolment,
            seedFact,
            code,
            annotations == null ? null : annotations.get(RESET_ANNOTATION),
            limit,
            AccountAudit.settings(user.getSpec(), mfa, suspended, limit));
    return new Observed(facts, seed, secret);
  }

  /** What a Secret of the enrolment Secret's name is, judged against the sealed secret. */
  private static UserFacts.Enrolment enrolment(
      Secret secret, ApiUser user, UserFacts.Seed seedFact, String seed) {
    if (secret == null) {
      return new UserFacts.Enrolment.Missing();
    }
    if (seedFact == UserFacts.Seed.SEALED && EnrolmentSecret.isCopyOf(secret, user, seed)) {
      return new UserFacts.Enrolment.Copy(secret.getMetadata().getUid());
    }
    if (seedFact == UserFacts.Seed.NONE
        && EnrolmentSecret.belongsTo(secret, user)
        && EnrolmentSecret.totpSecret(secret).isPresent()) {
      return new UserFacts.Enrolment.Legacy(secret.getMetadata().getUid());
    }
    return EnrolmentSecret.claimsToBe(secret)
        ? new UserFacts.Enrolment.Impostor()
        : new UserFacts.Enrolment.Foreign();
  }

  /** The sealing and the code check the status write decides with. */
  private UserStatus.Seeds seeds(ApiUser user, Observed o, String code, Instant now) {
    String name = user.getMetadata().getName();
    String uid = user.getMetadata().getUid();
    return new UserStatus.Seeds() {
      @Override
      public String sealNew() {
        return seal.seal(totp.newSecret(), name, uid);
      }

      @Override
      public String sealLegacy() {
        return seal.seal(EnrolmentSecret.totpSecret(o.secret).orElseThrow(), name, uid);
      }

      @Override
      public boolean opens(String sealed) {
        return seal.opens(sealed, name, uid);
      }

      @Override
      public Optional<List<Long>> steps(String sealed) {
        if (code == null) {
          return Optional.empty();
        }
        return seal.tryOpen(sealed, name, uid).map(seed -> totp.matchingSteps(seed, code, now));
      }
    };
  }

  /** Writes or deletes the enrolment Secret where the plan says so. */
  private UserStatus.Done act(ApiUser user, Observed o, UserPlan plan) {
    UserFacts f = o.facts;
    UserPlan.Step step = plan.step();
    if (step instanceof UserPlan.CreateCopy) {
      return createCopy(user, o);
    }
    if (step instanceof UserPlan.ReplaceImpostor) {
      KeyIssuer.deleteAsRead(client, o.secret);
      LOG.warn(
          "ApiUser {}: Secret {} was not written by Keyward for this account: deleted unread",
          f.name(),
          f.enrolmentSecret());
      UserStatus.Done created = createCopy(user, o);
      return new UserStatus.Done(
          created.copyUid(), created.created(), false, true, created.problem());
    }
    if (step instanceof UserPlan.DeleteImpostor) {
      KeyIssuer.deleteAsRead(client, o.secret);
      LOG.warn(
          "ApiUser {}: Secret {} was not written by Keyward for this account: deleted unread",
          f.name(),
          f.enrolmentSecret());
      return new UserStatus.Done(null, false, false, true, null);
    }
    if (step instanceof UserPlan.DeleteCopy) {
      KeyIssuer.deleteAsRead(client, o.secret);
      LOG.info(
          "ApiUser {}: TOTP enrolment confirmed, enrolment Secret {} deleted",
          f.name(),
          f.enrolmentSecret());
      return new UserStatus.Done(null, false, true, false, null);
    }
    if (f.enrolment() instanceof UserFacts.Enrolment.Copy c) {
      return UserStatus.Done.copy(c.uid());
    }
    return UserStatus.Done.NOTHING;
  }

  /** Creates the enrolment copy of the sealed secret; on 409 judges what is there instead. */
  private UserStatus.Done createCopy(ApiUser user, Observed o) {
    UserFacts f = o.facts;
    String namespace = config.operatorNamespace();
    String secretName = EnrolmentSecret.name(f.name());
    try {
      Secret created =
          client
              .secrets()
              .inNamespace(namespace)
              .resource(EnrolmentSecret.build(user, namespace, o.seed))
              .create();
      LOG.info("ApiUser {}: TOTP enrolment Secret {} created", f.name(), f.enrolmentSecret());
      return new UserStatus.Done(created.getMetadata().getUid(), true, false, false, null);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        return new UserStatus.Done(
            null,
            false,
            false,
            false,
            "enrolment Secret " + f.enrolmentSecret() + " cannot be created: HTTP " + e.getCode());
      }
      Secret secret = client.secrets().inNamespace(namespace).withName(secretName).get();
      if (secret != null && EnrolmentSecret.isCopyOf(secret, user, o.seed)) {
        return UserStatus.Done.copy(secret.getMetadata().getUid());
      }
      if (secret == null || EnrolmentSecret.claimsToBe(secret)) {
        // Gone again, or a Secret of Keyward's type that is not the copy: the cache was behind;
        // the next reconciliation judges it.
        throw new Stale("Secret " + f.enrolmentSecret() + " changed");
      }
      return new UserStatus.Done(null, false, false, false, UserPlanner.conflict(f));
    }
  }

  private void announce(
      ApiUser user, UserFacts f, UserPlan plan, UserStatus.Done done, UserStatus.Next next) {
    String name = f.name();
    // After the status write that recorded the settings: a change that was not stored is not
    // reported (the next attempt decides again), as an issuance is audited once its status is
    // written.
    if (next.account() != null) {
      AccountAudit.Audit a = next.account();
      audit.recordAccount(a.action(), name, a.changes(), a.detail());
    }
    announceSeed(user, f, next.seed());
    if (done.impostorDeleted()) {
      audit.recordEnrolment(
          AuditLog.Action.ENROLMENT_SECRET_REFUSED,
          name,
          f.enrolmentSecret(),
          "not written by Keyward for this account: deleted unread");
      events.warning(
          user,
          "EnrolmentSecretConflict",
          "Secret "
              + f.enrolmentSecret()
              + " did not hold this account's sealed TOTP secret (Keyward did not write it): it"
              + " was deleted unread and no code is checked against it"
              + (done.created() ? "; the enrolment Secret is written anew" : ""));
    }
    if (done.created()) {
      events.normal(
          user,
          "EnrolmentSecretCreated",
          "a copy of the sealed TOTP secret written to Secret "
              + f.enrolmentSecret()
              + " (keys secret, otpauthUri, qr.png), deleted once enrolment is confirmed; confirm"
              + " with the annotation "
              + CodeVerifier.ANNOTATION
              + "=<code>");
    }
    if (done.deletedCopy()) {
      events.normal(
          user,
          "EnrolmentSecretDeleted",
          "TOTP enrolment is confirmed: Secret "
              + f.enrolmentSecret()
              + " deleted; the TOTP secret is kept sealed in status.mfa.sealedSeed");
    }
    switch (plan.code().use()) {
      case SKIP ->
          events.normal(
              user, "VerificationSkipped", "TOTP code not checked: " + plan.code().skipWhy());
      case CHECK -> {
        TotpGuard.Decision d = next.code();
        if (d == null) {
          events.warning(
              user,
              "VerificationFailed",
              "TOTP code not checked: the account has no sealed TOTP secret yet");
        } else if (d.outcome() == TotpGuard.Outcome.ACCEPTED) {
          audit.record(AuditLog.Action.VERIFIED, null, name, null, "TOTP enrolment confirmed");
          events.normal(user, "Verified", "TOTP enrolment confirmed");
        } else {
          verifier.refused(name, d);
          audit.record(AuditLog.Action.VERIFICATION_FAILED, null, name, null, d.reason());
          LOG.info("ApiUser {}: enrolment code refused: {}", name, d.reason());
          events.warning(user, "VerificationFailed", d.message());
        }
      }
      case NONE -> {}
    }
    Condition ready = Conditions.find(next.status().conditions, Conditions.READY).orElseThrow();
    Condition before = Conditions.find(f.status().conditions, Conditions.READY).orElse(null);
    if (Set.of("InvalidSpec", "EnrolmentSecretConflict", "SealedSeedUnreadable")
            .contains(ready.reason)
        && (before == null || !ready.message.equals(before.message))) {
      events.warning(user, ready.reason, ready.message);
    }
  }

  /** The audit record and event of a change of the sealed secret. */
  private void announceSeed(ApiUser user, UserFacts f, UserStatus.SeedChange change) {
    String name = f.name();
    String enrol =
        "enrol it from Secret "
            + f.enrolmentSecret()
            + " (written next, deleted once confirmed) and confirm it with the annotation "
            + CodeVerifier.ANNOTATION
            + "=<code>; keys already issued keep working, and new keys and widening edits wait"
            + " for the new enrolment";
    switch (change) {
      case RESET -> {
        // The value is the platform team's, and goes into its own field of the record.
        audit.recordEnrolment(
            AuditLog.Action.MFA_RESET,
            name,
            f.enrolmentSecret(),
            RESET_ANNOTATION + "=" + f.resetRequest());
        events.warning(
            user,
            "EnrolmentReset",
            "TOTP enrolment reset by the annotation "
                + RESET_ANNOTATION
                + ": a new TOTP secret is sealed and codes of the old one are refused; "
                + enrol);
      }
      case RESTARTED -> {
        audit.recordEnrolment(
            AuditLog.Action.MFA_RESET,
            name,
            f.enrolmentSecret(),
            "confirmed before sealed TOTP secrets, and the enrolment Secret it was confirmed with"
                + " is gone or changed");
        events.warning(
            user,
            "EnrolmentReset",
            "the enrolment Secret this account was confirmed with is gone or changed: a new TOTP"
                + " secret is sealed; "
                + enrol);
      }
      case MIGRATED -> {
        audit.recordEnrolment(
            AuditLog.Action.MFA_MIGRATED,
            name,
            f.enrolmentSecret(),
            "sealed from the enrolment Secret a code confirmed; that Secret is deleted next");
        events.warning(
            user,
            "EnrolmentMigrated",
            "the TOTP secret this account confirmed is now sealed in status.mfa.sealedSeed and"
                + " Secret "
                + f.enrolmentSecret()
                + " is deleted; it was readable there until now: if others could read it, reset"
                + " with: kubectl annotate apiuser "
                + name
                + " "
                + RESET_ANNOTATION
                + "=<new value>");
      }
      case FIRST, NONE -> {}
    }
  }

  private Instant lockEnd(UserStatus.Next next) {
    TotpGuard.State state = CodeVerifier.state(next.status().mfa);
    return state.lockedAt(clock.instant()) ? state.lockedUntil() : null;
  }
}
