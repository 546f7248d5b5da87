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
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.Condition;
import io.keyward.operator.audit.AuditLog;
import io.keyward.operator.domain.AccountCheck;
import io.keyward.operator.domain.ApiKeyRules;
import io.keyward.operator.domain.KeySettings;
import io.keyward.operator.domain.RenewalPolicy;
import io.keyward.operator.events.EventRecorder;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.issuance.KeyIssuer;
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
@ControllerConfiguration(name = ApiKeyReconciler.NAME, finalizerName = ApiKeyReconciler.FINALIZER)
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
      AuditLog audit) {
    this.client = client;
    this.rules = rules;
    this.clock = clock;
    this.statusWriter = statusWriter;
    this.issuerFactory = issuerFactory;
    this.events = events;
    this.audit = audit;
  }

  @Override
  public List<EventSource<?, ApiKey>> prepareEventSources(EventSourceContext<ApiKey> context) {
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
    for (int attempt = 1; ; attempt++) {
      try {
        return reconcileOnce(current);
      } catch (KeyIssuer.StaleReadException | ConflictException e) {
        if (attempt >= ATTEMPTS) {
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

  private UpdateControl<ApiKey> reconcileOnce(ApiKey key) {
    Instant now = clock.instant();
    Long generation = key.getMetadata().getGeneration();
    ApiKeyStatus status = StatusWriter.copyOf(key);
    Condition readyBefore = Conditions.find(status.conditions, Conditions.READY).orElse(null);
    status.observedGeneration = generation;

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
      return UpdateControl.noUpdate();
    }
    KeySettings settings = validation.settings();

    Optional<AccountCheck.Block> block =
        AccountCheck.check(account(settings.user()), key.getMetadata().getNamespace());
    if (block.isPresent()) {
      AccountCheck.Block b = block.get();
      if (status.accessKey == null) {
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
      return UpdateControl.noUpdate();
    }
    Conditions.remove(status.conditions, Conditions.VERIFIED);

    Secret cached = secrets.get(new ResourceID(settings.secretName(), ns(key))).orElse(null);
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
    status.effective = effective(settings);
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
    return UpdateControl.noUpdate();
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

  private AccountCheck.Account account(String userName) {
    return users
        .get(new ResourceID(userName))
        .map(
            u ->
                new AccountCheck.Account(
                    userName,
                    true,
                    u.getSpec() == null || u.getSpec().namespaces == null
                        ? List.of()
                        : u.getSpec().namespaces,
                    u.getSpec() != null && Boolean.TRUE.equals(u.getSpec().suspended),
                    ApiUserReconciler.mfaRequired(u),
                    u.getStatus() != null
                        && u.getStatus().mfa != null
                        && Boolean.TRUE.equals(u.getStatus().mfa.confirmed)))
        .orElse(AccountCheck.Account.missing(userName));
  }

  private static ApiKeyRules.Prior prior(ApiKeyStatus status) {
    if (status.accessKey == null) {
      return ApiKeyRules.Prior.NONE;
    }
    return new ApiKeyRules.Prior(
        status.effective == null ? null : status.effective.user,
        status.effective == null ? null : status.effective.type,
        status.secretName);
  }

  private static ApiKeyStatus.Effective effective(KeySettings settings) {
    ApiKeyStatus.Effective e = new ApiKeyStatus.Effective();
    e.user = settings.user();
    e.type = settings.type();
    e.permissions = settings.permissions();
    e.ipWhitelist = settings.ipWhitelist();
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
