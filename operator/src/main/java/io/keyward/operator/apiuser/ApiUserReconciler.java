package io.keyward.operator.apiuser;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.api.Condition;
import io.keyward.operator.audit.AuditLog;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.kube.ApiKeyStore;
import io.keyward.operator.kube.ApiUserStore;
import io.keyward.operator.kube.Conditions;
import io.keyward.operator.kube.EventRecorder;
import io.keyward.operator.kube.LeanItemStore;
import io.keyward.operator.kube.MetadataChange;
import io.keyward.operator.kube.StatusWriter;
import io.keyward.operator.kube.UserStatusUpdater;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.EnrolmentSecret;
import io.keyward.operator.mfa.Totp;
import io.keyward.operator.mfa.TotpGuard;
import io.keyward.operator.quota.KeyLedger;
import io.keyward.operator.quota.SlotLedger;
import io.keyward.operator.validation.ApiUserRules;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles ApiUsers: the account's limit and readiness, TOTP enrolment (the write-once enrolment
 * Secret and its confirmation by code), and the ledger's hygiene: a slot whose key no longer exists
 * is reclaimed.
 */
// Not generation-aware: the TOTP code annotation changes no generation. A status change that only
// claims or releases slots (the most frequent write by far) needs no reconciliation.
@ControllerConfiguration(
    name = ApiUserReconciler.NAME,
    generationAwareEventProcessing = false,
    informer = @Informer(onUpdateFilter = ApiUserReconciler.NotOnlyLedger.class))
public class ApiUserReconciler implements Reconciler<ApiUser> {
  public static final String NAME = "apiuser";

  private static final Logger LOG = LoggerFactory.getLogger(ApiUserReconciler.class);

  /** How soon a user is looked at again while the ApiKey cache has not listed the keys yet. */
  private static final Duration KEYS_NOT_LISTED_RECHECK = Duration.ofMillis(500);

  private final KubernetesClient client;
  private final KeywardConfig config;
  private final Clock clock;
  private final StatusWriter statusWriter;
  private final EventRecorder events;
  private final AuditLog audit;
  private final KeyLedger ledger;
  private final UserStatusUpdater updater;
  private final CodeVerifier verifier;
  private final Totp totp;
  private InformerEventSource<Secret, ApiUser> enrolments;
  private final ApiKeyStore keys;
  private final ApiUserStore users;
  private SimpleInboundEventSource<ApiUser> keyChanges;

  public ApiUserReconciler(
      KubernetesClient client,
      KeywardConfig config,
      Clock clock,
      StatusWriter statusWriter,
      EventRecorder events,
      AuditLog audit,
      KeyLedger ledger,
      UserStatusUpdater updater,
      CodeVerifier verifier,
      Totp totp,
      ApiKeyStore keys,
      ApiUserStore users) {
    this.client = client;
    this.keys = keys;
    this.users = users;
    this.config = config;
    this.clock = clock;
    this.statusWriter = statusWriter;
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
    // The ApiKey controller's cache tells when a key leaves a user (ApiKeyStore).
    keyChanges = new SimpleInboundEventSource<>("apikey-changes");
    keys.onUsersChanged(users -> users.forEach(u -> keyChanges.propagateEvent(new ResourceID(u))));
    // The ApiKey controller reads users from this controller's cache once it is listed.
    return List.of(enrolments, keyChanges, users.listedSignal("apiusers-listed"));
  }

  /**
   * Passes an update unless it changed nothing but the slot ledger (status.keyRefs and the count):
   * a claim or a release changes nothing this reconciler decides.
   */
  public static final class NotOnlyLedger implements OnUpdateFilter<ApiUser> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public boolean accept(ApiUser next, ApiUser previous) {
      return MetadataChange.between(next, previous)
          || !JSON.valueToTree(withoutLedger(next.getStatus()))
              .equals(JSON.valueToTree(withoutLedger(previous.getStatus())));
    }

    private static ApiUserStatus withoutLedger(ApiUserStatus status) {
      if (status == null) {
        return null;
      }
      ApiUserStatus rest = new ApiUserStatus();
      rest.mfa = status.mfa;
      rest.conditions = status.conditions;
      rest.observedGeneration = status.observedGeneration;
      rest.keyRefs = null;
      return rest;
    }
  }

  @Override
  public UpdateControl<ApiUser> reconcile(ApiUser user, Context<ApiUser> context) {
    try {
      return reconcileUser(user);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        // A newer version exists; its own event brings us back.
        return UpdateControl.noUpdate();
      }
      throw e;
    }
  }

  private UpdateControl<ApiUser> reconcileUser(ApiUser user) {
    if (!keys.synced()) {
      // Orphaned slots are judged on the keys: wait for their cache rather than read each slot's
      // key from the API server (at startup, thousands of reads).
      return UpdateControl.<ApiUser>noUpdate().rescheduleAfter(KEYS_NOT_LISTED_RECHECK);
    }
    String code = null;
    CodeVerifier.Taken<ApiUser> taken = CodeVerifier.take(client, user);
    if (taken != null) {
      user = taken.resource();
      code = taken.code();
    }

    user = reclaimOrphans(user);
    boolean mfa = mfaRequired(user);
    String problem = null;
    if (mfa && ApiUserRules.validate(user.getSpec()).isEmpty()) {
      try {
        user = ensureEnrolment(user);
      } catch (EnrolmentConflict e) {
        problem = e.getMessage();
      }
    }
    if (code != null) {
      user = confirm(user, code, mfa);
    }
    return writeStatus(user, mfa, problem);
  }

  /** Drops slots whose key no longer exists (deleted while no operator ran, or force-deleted). */
  private ApiUser reclaimOrphans(ApiUser user) {
    List<SlotLedger.Slot> slots = KeyLedger.slots(user);
    Set<String> orphans = new HashSet<>();
    for (SlotLedger.Slot slot : slots) {
      Optional<ApiKey> cached = keys.find(slot.namespace(), slot.name());
      if (cached.isPresent() && slot.uid().equals(cached.get().getMetadata().getUid())) {
        continue;
      }
      // The cache may lag behind a key that just claimed: only the server's answer counts.
      ApiKey live =
          client.resources(ApiKey.class).inNamespace(slot.namespace()).withName(slot.name()).get();
      if (live == null || !slot.uid().equals(live.getMetadata().getUid())) {
        orphans.add(slot.uid());
      }
    }
    if (orphans.isEmpty()) {
      return user;
    }
    String name = user.getMetadata().getName();
    UserStatusUpdater.Updated<List<SlotLedger.Slot>> released = ledger.release(name, orphans);
    for (SlotLedger.Slot s : released.result()) {
      LOG.info("ApiUser {}: reclaimed the slot of {}, which no longer exists", name, s.id());
      events.normal(
          user,
          "SlotReclaimed",
          "slot of ApiKey " + s.id() + " reclaimed: the key no longer exists");
    }
    // The release wrote (or read) the user; no need to read it again.
    return Optional.ofNullable(released.user()).orElse(user);
  }

  /** Creates the enrolment Secret once and records where it is. */
  private ApiUser ensureEnrolment(ApiUser user) {
    String name = user.getMetadata().getName();
    String namespace = config.operatorNamespace();
    String secretName = EnrolmentSecret.name(name);
    Secret secret =
        enrolments
            .get(new ResourceID(secretName, namespace))
            .filter(s -> EnrolmentSecret.belongsTo(s, user))
            .orElse(null);
    if (secret == null) {
      secret = client.secrets().inNamespace(namespace).withName(secretName).get();
    }
    if (secret != null && !EnrolmentSecret.belongsTo(secret, user)) {
      Map<String, String> labels = secret.getMetadata().getLabels();
      boolean leftover =
          labels != null
              && EnrolmentSecret.PURPOSE.equals(labels.get(EnrolmentSecret.LABEL_PURPOSE))
              && name.equals(labels.get(CredentialSecret.LABEL_USER));
      if (!leftover) {
        throw EnrolmentConflict.notOurs(namespace + "/" + secretName);
      }
      // Left by an earlier ApiUser of the same name: that account's secret is not this one's.
      client.resource(secret).withGracePeriod(0).delete();
      secret = null;
    }
    if (secret == null) {
      try {
        secret =
            client
                .secrets()
                .inNamespace(namespace)
                .resource(EnrolmentSecret.build(user, namespace, totp.newSecret()))
                .create();
        LOG.info("ApiUser {}: TOTP enrolment Secret {}/{} created", name, namespace, secretName);
        events.normal(
            user,
            "EnrolmentSecretCreated",
            "TOTP secret written to Secret "
                + namespace
                + "/"
                + secretName
                + " (keys secret, otpauthUri, qr.png); confirm with the annotation "
                + CodeVerifier.ANNOTATION
                + "=<code>");
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw new EnrolmentConflict(
              "enrolment Secret "
                  + namespace
                  + "/"
                  + secretName
                  + " cannot be created: HTTP "
                  + e.getCode());
        }
        secret = client.secrets().inNamespace(namespace).withName(secretName).get();
        if (secret == null || !EnrolmentSecret.belongsTo(secret, user)) {
          throw EnrolmentConflict.notOurs(namespace + "/" + secretName);
        }
      }
    }
    String uid = secret.getMetadata().getUid();
    ApiUserStatus.MfaStatus recorded = user.getStatus() == null ? null : user.getStatus().mfa;
    if (recorded != null
        && recorded.enrolmentSecret != null
        && uid.equals(recorded.enrolmentSecret.uid)) {
      return user;
    }
    boolean reset =
        recorded != null
            && Boolean.TRUE.equals(recorded.confirmed)
            && recorded.enrolmentSecret != null;
    ApiUser written =
        updater
            .update(
                user,
                name,
                (u, status) -> {
                  if (status.mfa == null) {
                    status.mfa = new ApiUserStatus.MfaStatus();
                  }
                  ApiUserStatus.SecretRef ref = new ApiUserStatus.SecretRef();
                  ref.namespace = namespace;
                  ref.name = secretName;
                  ref.uid = uid;
                  status.mfa.enrolmentSecret = ref;
                  // A confirmation holds for the Secret it was given for.
                  status.mfa.confirmed = false;
                  return UserStatusUpdater.Step.write(true);
                })
            .user();
    if (reset) {
      events.warning(
          written,
          "EnrolmentReset",
          "the enrolment Secret "
              + namespace
              + "/"
              + secretName
              + " was replaced or lost: enrol the new TOTP secret and confirm it with a code");
    }
    return written;
  }

  /** Checks an enrolment confirmation code. */
  private ApiUser confirm(ApiUser user, String code, boolean mfa) {
    String name = user.getMetadata().getName();
    ApiUserStatus.MfaStatus state = user.getStatus() == null ? null : user.getStatus().mfa;
    if (!mfa) {
      events.normal(user, "VerificationSkipped", "TOTP code not needed: MFA is disabled");
      return user;
    }
    if (state != null && Boolean.TRUE.equals(state.confirmed)) {
      events.normal(user, "VerificationSkipped", "TOTP enrolment is already confirmed");
      return user;
    }
    CodeVerifier.Attempt attempt = verifier.verify(user, code, true);
    if (attempt.decision().isEmpty()) {
      events.warning(
          user, "VerificationFailed", "TOTP code not checked: the enrolment Secret is missing");
      return user;
    }
    TotpGuard.Decision d = attempt.decision().get();
    if (d.outcome() == TotpGuard.Outcome.ACCEPTED) {
      audit.record(AuditLog.Action.VERIFIED, null, name, null, "TOTP enrolment confirmed");
      events.normal(attempt.user(), "Verified", "TOTP enrolment confirmed");
    } else {
      audit.record(AuditLog.Action.VERIFICATION_FAILED, null, name, null, d.reason());
      LOG.info("ApiUser {}: enrolment code refused: {}", name, d.reason());
      events.warning(attempt.user(), "VerificationFailed", d.message());
    }
    return attempt.user();
  }

  private UpdateControl<ApiUser> writeStatus(ApiUser user, boolean mfa, String problem) {
    Instant now = clock.instant();
    Long generation = user.getMetadata().getGeneration();
    ApiUserStatus status =
        StatusWriter.copy(user.getStatus(), ApiUserStatus.class, ApiUserStatus::new);
    Condition before = Conditions.find(status.conditions, Conditions.READY).orElse(null);
    status.observedGeneration = generation;

    List<String> violations = ApiUserRules.validate(user.getSpec());
    int limit = ledger.limit(user);
    ApiUserStatus.KeyCount count = new ApiUserStatus.KeyCount();
    count.limit = limit;
    count.used = status.keyRefs.size();
    status.keys = count;
    if (status.mfa == null) {
      status.mfa = new ApiUserStatus.MfaStatus();
    }
    TotpGuard.State guard = CodeVerifier.state(status.mfa);
    boolean confirmed = Boolean.TRUE.equals(status.mfa.confirmed);
    if (!mfa) {
      status.mfa.state = "Disabled";
    } else if (guard.lockedAt(now)) {
      status.mfa.state = "Locked";
    } else {
      status.mfa.state = confirmed ? "Enrolled" : "EnrolmentPending";
    }
    if (status.mfa.confirmed == null) {
      status.mfa.confirmed = false;
    }

    String reason;
    String message;
    if (!violations.isEmpty()) {
      reason = "InvalidSpec";
      message = String.join("; ", violations);
    } else if (problem != null) {
      reason = "EnrolmentConflict";
      message = problem;
    } else if (user.getSpec().suspended != null && user.getSpec().suspended) {
      reason = "Suspended";
      message = "spec.suspended is true: no key is issued and none verifies";
    } else if (mfa && !confirmed) {
      reason = "MfaNotEnrolled";
      message =
          "TOTP enrolment is not confirmed: scan qr.png of Secret "
              + config.operatorNamespace()
              + "/"
              + EnrolmentSecret.name(user.getMetadata().getName())
              + ", then annotate the ApiUser with "
              + CodeVerifier.ANNOTATION
              + "=<code>; keys wait until then";
    } else {
      reason = null;
      // No count here: status.keys has it, and a message that changed with every claim made
      // each claim cost a second status write of the user.
      message = "account ready: keys may be issued (status.keys counts the slots)";
    }
    Conditions.set(
        status.conditions,
        Conditions.READY,
        reason == null,
        reason == null ? "Ready" : reason,
        message,
        generation,
        now);
    statusWriter.write(user, status);
    if (("InvalidSpec".equals(reason) || "EnrolmentConflict".equals(reason))
        && (before == null || !message.equals(before.message))) {
      events.warning(user, reason, message);
    }
    if (mfa && guard.lockedAt(now)) {
      return UpdateControl.<ApiUser>noUpdate()
          .rescheduleAfter(Duration.between(now, guard.lockedUntil()));
    }
    return UpdateControl.noUpdate();
  }

  /** A Secret of the enrolment Secret's name that Keyward did not write for this user. */
  static final class EnrolmentConflict extends RuntimeException {
    EnrolmentConflict(String message) {
      super(message, null, false, false);
    }

    static EnrolmentConflict notOurs(String secret) {
      return new EnrolmentConflict(
          "enrolment Secret " + secret + " exists and is not Keyward's for this user");
    }
  }
}
