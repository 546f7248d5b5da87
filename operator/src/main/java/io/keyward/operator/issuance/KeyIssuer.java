package io.keyward.operator.issuance;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.domain.ExpiryPlan;
import io.keyward.operator.domain.KeyAlgorithm;
import io.keyward.operator.domain.KeyGenerator;
import io.keyward.operator.domain.KeyMaterial;
import io.keyward.operator.domain.KeySettings;
import io.keyward.operator.domain.SecretCheck;
import io.keyward.operator.domain.SecretCheck.KeyRecord;
import io.keyward.operator.domain.SecretCheck.Verdict;
import io.keyward.operator.status.StatusWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Issues a key into its write-once Secret, crash-safely. The protocol: generate in memory; record
 * the pending key's public facts in status (compare and swap); create the Secret (create, never
 * update, so a second writer fails); record the key as current. Interrupted at any step, the next
 * run finishes it from what status and Secret show ({@link SecretCheck}) and never issues twice.
 */
public final class KeyIssuer {
  /** Why a key is issued, kept in status.pending so a resumed issuance reports it correctly. */
  public static final String REASON_ISSUE = "Issue";

  public static final String REASON_SECRET_LOST = "SecretLost";

  private final KubernetesClient client;
  private final StatusWriter statusWriter;
  private final KeyGenerator generator;
  private final Clock clock;
  private final Consumer<Secret> onSecretCreated;

  /**
   * @param onSecretCreated told of each Secret written, so an informer cache can hold it at once
   */
  public KeyIssuer(
      KubernetesClient client,
      StatusWriter statusWriter,
      KeyGenerator generator,
      Clock clock,
      Consumer<Secret> onSecretCreated) {
    this.client = client;
    this.statusWriter = statusWriter;
    this.generator = generator;
    this.clock = clock;
    this.onSecretCreated = onSecretCreated;
  }

  /** What {@link #ensure} did. */
  public enum Outcome {
    /** The Secret holds the current key; nothing was written. */
    UNCHANGED,
    /** A key was issued (or an interrupted issuance finished). */
    ISSUED,
    /** The Secret was lost or tampered with; its key was revoked and a new one issued. */
    REISSUED,
    /** An existing Secret of this key was adopted into an empty status. */
    ADOPTED,
    /** A Secret of that name belongs to something else. */
    CONFLICT
  }

  /**
   * The result.
   *
   * @param key the ApiKey as last written (its resourceVersion is the one to write status with)
   * @param revokedAccessKey the access key that stopped being valid, if any
   */
  public record Result(ApiKey key, Outcome outcome, String revokedAccessKey) {}

  /** Raised when what was read is stale; the caller reads again and decides again. */
  public static final class StaleReadException extends RuntimeException {
    private final transient ApiKey fresh;

    public StaleReadException(String message) {
      this(message, null);
    }

    /** With the newer ApiKey already read, so the caller need not read it again. */
    public StaleReadException(String message, ApiKey fresh) {
      super(message, null, false, false);
      this.fresh = fresh;
    }

    /** The newer ApiKey, when this exception carries it; null otherwise. */
    public ApiKey fresh() {
      return fresh;
    }
  }

  /**
   * Makes the Secret hold the key that status records, issuing where needed. Mutates {@code
   * status}: after a successful return it names the current key and has no pending key.
   *
   * @param cachedSecret the Secret as the informer cache has it (null when absent)
   */
  public Result ensure(ApiKey key, ApiKeyStatus status, KeySettings settings, Secret cachedSecret) {
    Verdict verdict = decide(key, status, settings, cachedSecret);
    if (verdict == Verdict.STEADY) {
      syncMetadata(key, settings, status, cachedSecret);
      return new Result(key, Outcome.UNCHANGED, null);
    }
    // Anything but the steady state writes: decide again on what the server has now, not the cache.
    ApiKey fresh = client.resources(ApiKey.class).inNamespace(ns(key)).withName(name(key)).get();
    if (fresh == null
        || !fresh
            .getMetadata()
            .getResourceVersion()
            .equals(key.getMetadata().getResourceVersion())) {
      throw new StaleReadException("ApiKey " + ns(key) + "/" + name(key) + " changed", fresh);
    }
    Secret secret = readSecret(key, settings.secretName());
    verdict = decide(key, status, settings, secret);
    return switch (verdict) {
      case STEADY -> {
        syncMetadata(key, settings, status, secret);
        yield new Result(key, Outcome.UNCHANGED, null);
      }
      case FINISH_PENDING -> finishPending(key, status, settings);
      case DROP_STALE_PENDING -> {
        status.pending = null;
        yield new Result(key, Outcome.UNCHANGED, null);
      }
      case ADOPT -> adopt(key, status, settings, secret);
      case CONFLICT -> new Result(key, Outcome.CONFLICT, null);
      case ISSUE -> issue(key, status, settings, REASON_ISSUE);
      case REISSUE_LOST -> issue(key, status, settings, REASON_SECRET_LOST);
      case REPLACE_TAMPERED -> {
        client.secrets().inNamespace(ns(key)).withName(settings.secretName()).delete();
        yield issue(
            key, status, settings, status.accessKey == null ? REASON_ISSUE : REASON_SECRET_LOST);
      }
    };
  }

  /** The verdict for a status and a Secret. */
  public static Verdict decide(
      ApiKey key, ApiKeyStatus status, KeySettings settings, Secret secret) {
    KeyRecord current =
        status.accessKey == null ? null : new KeyRecord(status.accessKey, status.secretFingerprint);
    KeyRecord pending =
        status.pending == null
            ? null
            : new KeyRecord(status.pending.accessKey, status.pending.secretFingerprint);
    return SecretCheck.decide(current, pending, CredentialSecret.observe(secret, key, settings));
  }

  private Result issue(ApiKey key, ApiKeyStatus status, KeySettings settings, String reason) {
    KeyMaterial material = generator.generate(settings.algorithm());
    ExpiryPlan plan = ExpiryPlan.forIssuance(now(), settings);
    ApiKeyStatus.PendingKey pending = new ApiKeyStatus.PendingKey();
    pending.accessKey = material.accessKey();
    pending.secretFingerprint = material.fingerprint();
    pending.algorithm = material.algorithm().wireName();
    pending.publicKey = material.publicKey();
    pending.issuedAt = plan.issuedAt().toString();
    pending.expiresAt = plan.expiresAt().toString();
    pending.reason = reason;
    status.pending = pending;
    ApiKey written = writeStatus(key, status);

    Secret secret = CredentialSecret.build(written, settings, material, plan);
    Secret created;
    try {
      created = client.secrets().inNamespace(ns(key)).resource(secret).create();
    } catch (KubernetesClientException e) {
      // The server's message is not passed on: nothing about a Secret write goes into a log.
      if (e.getCode() == 409) {
        throw new StaleReadException("Secret " + ns(key) + "/" + settings.secretName() + " exists");
      }
      throw new IssuanceException(
          "cannot create Secret "
              + ns(key)
              + "/"
              + settings.secretName()
              + ": HTTP "
              + e.getCode());
    }
    onSecretCreated.accept(created);
    return finishPending(written, status, settings);
  }

  /** Records the pending key as current; the Secret is known to hold it. */
  private Result finishPending(ApiKey key, ApiKeyStatus status, KeySettings settings) {
    ApiKeyStatus.PendingKey p = status.pending;
    boolean lost = REASON_SECRET_LOST.equals(p.reason);
    String revoked = lost ? status.accessKey : null;
    status.accessKey = p.accessKey;
    status.secretFingerprint = p.secretFingerprint;
    status.algorithm = p.algorithm;
    status.publicKey = p.publicKey;
    status.issuedAt = p.issuedAt;
    status.expiresAt = p.expiresAt;
    status.secretName = settings.secretName();
    status.pending = null;
    return new Result(key, lost ? Outcome.REISSUED : Outcome.ISSUED, revoked);
  }

  private Result adopt(ApiKey key, ApiKeyStatus status, KeySettings settings, Secret secret) {
    status.accessKey = CredentialSecret.annotation(secret, CredentialSecret.ANN_ACCESS_KEY);
    status.secretFingerprint =
        CredentialSecret.annotation(secret, CredentialSecret.ANN_FINGERPRINT);
    String[] names =
        CredentialSecret.dataKeys(secret, settings.accessKeyName(), settings.secretKeyName());
    String algorithm = CredentialSecret.data(secret, "algorithm").orElse("HmacSHA256");
    status.algorithm = algorithm;
    status.publicKey =
        KeyAlgorithm.ED25519.wireName().equals(algorithm)
            ? KeyGenerator.publicKeyOf(CredentialSecret.data(secret, names[1]).orElseThrow())
            : null;
    status.issuedAt = CredentialSecret.annotation(secret, CredentialSecret.ANN_ISSUED_AT);
    status.expiresAt = CredentialSecret.annotation(secret, CredentialSecret.ANN_EXPIRES_AT);
    if (status.issuedAt == null || status.expiresAt == null) {
      // An adopted Secret without deadlines gets them from now: it is valid for one validity.
      ExpiryPlan plan = ExpiryPlan.forIssuance(now(), settings);
      status.issuedAt = plan.issuedAt().toString();
      status.expiresAt = plan.expiresAt().toString();
    }
    status.secretName = settings.secretName();
    return new Result(key, Outcome.ADOPTED, null);
  }

  /** Keeps the Secret's labels and annotations as the template and status say; never its data. */
  private void syncMetadata(ApiKey key, KeySettings settings, ApiKeyStatus status, Secret secret) {
    ExpiryPlan plan =
        new ExpiryPlan(
            Instant.parse(status.issuedAt), Instant.parse(status.expiresAt), Instant.EPOCH);
    Map<String, String> labels = CredentialSecret.labels(key, settings);
    Map<String, String> annotations =
        CredentialSecret.annotations(settings, status.accessKey, status.secretFingerprint, plan);
    // The data key names the Secret was written with stay as written.
    annotations.remove(CredentialSecret.ANN_DATA_KEYS);
    if (contains(secret.getMetadata().getLabels(), labels)
        && contains(secret.getMetadata().getAnnotations(), annotations)) {
      return;
    }
    client
        .secrets()
        .inNamespace(ns(key))
        .withName(secret.getMetadata().getName())
        .edit(
            s -> {
              s.getMetadata().getLabels().putAll(labels);
              s.getMetadata().getAnnotations().putAll(annotations);
              return s;
            });
  }

  private static boolean contains(Map<String, String> actual, Map<String, String> desired) {
    return actual != null && actual.entrySet().containsAll(desired.entrySet());
  }

  private ApiKey writeStatus(ApiKey key, ApiKeyStatus status) {
    try {
      return statusWriter.write(key, status);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        throw new StaleReadException("ApiKey " + ns(key) + "/" + name(key) + " changed");
      }
      throw e;
    }
  }

  private Secret readSecret(ApiKey key, String name) {
    return client.secrets().inNamespace(ns(key)).withName(name).get();
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.SECONDS);
  }

  private static String ns(ApiKey key) {
    return key.getMetadata().getNamespace();
  }

  private static String name(ApiKey key) {
    return key.getMetadata().getName();
  }
}
