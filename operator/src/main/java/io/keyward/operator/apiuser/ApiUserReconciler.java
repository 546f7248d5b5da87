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
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.api.Condition;
import io.keyward.operator.audit.AuditLog;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.issuance.CredentialSecret;
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
import io.keyward.operator.mfa.Totp;
import io.keyward.operator.mfa.TotpGuard;
import io.keyward.operator.quota.KeyLedger;
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
  private InformerEventSource<Secret, ApiUser> enrolments;

  public ApiUserReconciler(
      KubernetesClient client,
      KeywardConfig config,
      Clock clock,
      EventRecorder events,
      AuditLog audit,
      KeyLedger ledger,
      UserStatusUpdater updater,
      CodeVerifier verifier,
      Totp totp) {
    this.client = client;
    this.config = config;
    this.clock = clock;
    this.events = events;
    this.audit = audit;
    this.ledger = ledger;
    this.updater = updater;
    this.verifier = verifier;
    this.totp = totp;
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
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(ApiUser.class, true))
                .build(),
            context);
    return List.of(enrolments);
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
      UserFacts facts = observe(user, code != null);
      UserPlan plan = UserPlanner.plan(facts);
      UserStatus.Done done = act(user, facts, plan);
      Optional<List<Long>> steps =
          plan.code().use() == UserPlan.CodeUse.CHECK
              ? verifier.matchingSteps(user, code)
              : Optional.empty();
      UserStatusUpdater.Updated<UserStatus.Next> written =
          updater.update(
              user,
              facts.name(),
              (fresh, status) -> {
                UserStatus.Next next = UserStatus.build(facts, plan, done, status, steps);
                return Objects.equals(next.status(), fresh.getStatus())
                    ? UserStatusUpdater.Step.keep(next)
                    : UserStatusUpdater.Step.write(next);
              });
      announce(written.user(), facts, plan, done, written.result(), steps);
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

  private UserFacts observe(ApiUser user, boolean code) {
    String name = user.getMetadata().getName();
    List<String> violations = ApiUserRules.validate(user.getSpec());
    boolean mfa = mfaRequired(user);
    String namespace = config.operatorNamespace();
    String secretName = EnrolmentSecret.name(name);
    UserFacts.Enrolment enrolment = null;
    if (mfa && violations.isEmpty()) {
      Secret secret =
          enrolments
              .get(new ResourceID(secretName, namespace))
              .filter(s -> EnrolmentSecret.belongsTo(s, user))
              .orElseGet(() -> client.secrets().inNamespace(namespace).withName(secretName).get());
      enrolment = enrolment(secret, user);
    }
    boolean suspended = user.getSpec() != null && Boolean.TRUE.equals(user.getSpec().suspended);
    int limit = ledger.limit(user);
    return new UserFacts(
        clock.instant(),
        name,
        user.getMetadata().getGeneration(),
        user.getStatus() == null ? new ApiUserStatus() : user.getStatus(),
        violations,
        mfa,
        suspended,
        namespace + "/" + secretName,
        enrolment,
        code,
        limit,
        AccountAudit.settings(user.getSpec(), mfa, suspended, limit));
  }

  private static UserFacts.Enrolment enrolment(Secret secret, ApiUser user) {
    if (secret == null) {
      return new UserFacts.Enrolment.Missing();
    }
    if (EnrolmentSecret.belongsTo(secret, user)) {
      return new UserFacts.Enrolment.Ours(secret.getMetadata().getUid());
    }
    Map<String, String> labels = secret.getMetadata().getLabels();
    boolean leftover =
        labels != null
            && EnrolmentSecret.PURPOSE.equals(labels.get(EnrolmentSecret.LABEL_PURPOSE))
            && user.getMetadata().getName().equals(labels.get(CredentialSecret.LABEL_USER));
    return leftover ? new UserFacts.Enrolment.Leftover() : new UserFacts.Enrolment.Foreign();
  }

  /** Creates the enrolment Secret where the plan says so. */
  private UserStatus.Done act(ApiUser user, UserFacts f, UserPlan plan) {
    String namespace = config.operatorNamespace();
    String secretName = EnrolmentSecret.name(f.name());
    UserPlan.Step step = plan.step();
    if (step instanceof UserPlan.Steady) {
      return new UserStatus.Done(
          f.enrolment() instanceof UserFacts.Enrolment.Ours o ? o.uid() : null, false, null);
    }
    if (step instanceof UserPlan.Conflict) {
      return UserStatus.Done.NOTHING;
    }
    if (step instanceof UserPlan.ReplaceLeftover) {
      Secret leftover = client.secrets().inNamespace(namespace).withName(secretName).get();
      if (leftover != null) {
        KeyIssuer.deleteAsRead(client, leftover);
      }
    }
    try {
      Secret created =
          client
              .secrets()
              .inNamespace(namespace)
              .resource(EnrolmentSecret.build(user, namespace, totp.newSecret()))
              .create();
      LOG.info("ApiUser {}: TOTP enrolment Secret {} created", f.name(), f.enrolmentSecret());
      return new UserStatus.Done(created.getMetadata().getUid(), true, null);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        return new UserStatus.Done(
            null,
            false,
            "enrolment Secret " + f.enrolmentSecret() + " cannot be created: HTTP " + e.getCode());
      }
      Secret secret = client.secrets().inNamespace(namespace).withName(secretName).get();
      if (secret == null || !EnrolmentSecret.belongsTo(secret, user)) {
        return new UserStatus.Done(null, false, UserPlanner.conflict(f));
      }
      return new UserStatus.Done(secret.getMetadata().getUid(), false, null);
    }
  }

  private void announce(
      ApiUser user,
      UserFacts f,
      UserPlan plan,
      UserStatus.Done done,
      UserStatus.Next next,
      Optional<List<Long>> steps) {
    String name = f.name();
    // After the status write that recorded the settings: a change that was not stored is not
    // reported (the next attempt decides again), as an issuance is audited once its status is
    // written.
    if (next.account() != null) {
      AccountAudit.Audit a = next.account();
      audit.recordAccount(a.action(), name, a.changes(), a.detail());
    }
    if (done.created()) {
      events.normal(
          user,
          "EnrolmentSecretCreated",
          "TOTP secret written to Secret "
              + f.enrolmentSecret()
              + " (keys secret, otpauthUri, qr.png); confirm with the annotation "
              + CodeVerifier.ANNOTATION
              + "=<code>");
    }
    if (next.reset()) {
      events.warning(
          user,
          "EnrolmentReset",
          "the enrolment Secret "
              + f.enrolmentSecret()
              + " was replaced or lost: enrol the new TOTP secret and confirm it with a code");
    }
    switch (plan.code().use()) {
      case SKIP ->
          events.normal(
              user, "VerificationSkipped", "TOTP code not needed: " + plan.code().skipWhy());
      case CHECK -> {
        TotpGuard.Decision d = next.code();
        if (d == null) {
          events.warning(
              user, "VerificationFailed", "TOTP code not checked: the enrolment Secret is missing");
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
    if (("InvalidSpec".equals(ready.reason) || "EnrolmentConflict".equals(ready.reason))
        && (before == null || !ready.message.equals(before.message))) {
      events.warning(user, ready.reason, ready.message);
    }
  }

  private Instant lockEnd(UserStatus.Next next) {
    TotpGuard.State state = CodeVerifier.state(next.status().mfa);
    return state.lockedAt(clock.instant()) ? state.lockedUntil() : null;
  }
}
