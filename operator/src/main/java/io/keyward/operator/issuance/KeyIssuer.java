package io.keyward.operator.issuance;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.expiry.ExpiryPlan;
import io.keyward.operator.issuance.SecretCheck.KeyRecord;
import io.keyward.operator.issuance.SecretCheck.Verdict;
import io.keyward.operator.kube.StatusWriter;
import io.keyward.operator.validation.KeySettings;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * Issues a key into its write-once Secret, crash-safely. The protocol: generate in memory; record
 * the pending key's public facts in status (compare and swap), unless status has no key yet; create
 * the Secret (create, never update, so a second writer fails); record the key as current.
 * Interrupted at any step, the next run finishes it from what status and Secret show ({@link
 * SecretCheck}) and never issues twice.
 */
public final class KeyIssuer {
  /** Why a key is issued, kept in status.pending so a resumed issuance reports it correctly. */
  public static final String REASON_ISSUE = "Issue";

  public static final String REASON_SECRET_LOST = "SecretLost";

  public static final String REASON_ROTATE = "Rotate";

  private final KubernetesClient client;
  private final StatusWriter statusWriter;
  private final KeyGenerator generator;
  private final Clock clock;
  private final SecretWrites onSecretWritten;

  /** Told of each Secret written, so an informer cache can hold it at once. */
  public interface SecretWrites {
    /**
     * @param written the Secret as the server returned it
     * @param before the Secret it replaced, or null when it was created
     */
    void written(Secret written, Secret before);
  }

  public KeyIssuer(
      KubernetesClient client,
      StatusWriter statusWriter,
      KeyGenerator generator,
      Clock clock,
      SecretWrites onSecretWritten) {
    this.client = client;
    this.statusWriter = statusWriter;
    this.generator = generator;
    this.clock = clock;
    this.onSecretWritten = onSecretWritten;
  }

  /**
   * A rotation to make once the Secret is known to hold the current key.
   *
   * @param cause why, for events and the audit log
   * @param previousValidUntil until when the replaced key still verifies; null when it stops now
   */
  public record Rotation(String cause, Instant previousValidUntil) {}

  /** What {@link #ensure} did. */
  public enum Outcome {
    /** The Secret holds the current key; nothing was written. */
    UNCHANGED,
    /** A key was issued (or an interrupted issuance finished). */
    ISSUED,
    /** The Secret was lost or tampered with; its key was revoked and a new one issued. */
    REISSUED,
    /** A new key replaced the current one in the same Secret (or an interrupted rotation ended). */
    ROTATED,
    /** An existing Secret of this key was adopted into an empty status. */
    ADOPTED,
    /** A Secret of that name belongs to something else. */
    CONFLICT
  }

  /**
   * The result.
   *
   * @param key the ApiKey as last written (its resourceVersion is the one to write status with)
   * @param revoked the access keys that stopped being valid, oldest first (none when nothing did)
   */
  public record Result(ApiKey key, Outcome outcome, java.util.List<String> revoked) {
    public Result {
      revoked = java.util.List.copyOf(revoked);
    }

    Result(ApiKey key, Outcome outcome) {
      this(key, outcome, java.util.List.of());
    }
  }

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
    return ensure(key, status, settings, cachedSecret, null);
  }

  /**
   * As {@link #ensure(ApiKey, ApiKeyStatus, KeySettings, Secret)}, and then rotates the key when
   * {@code rotation} is given. A rotation interrupted at any step is finished by the next call
   * (whether or not it asks for a rotation) and never makes a third key: the new key's public facts
   * are recorded in status.pending before the Secret is updated (with its resourceVersion), so a
   * Secret that holds the pending key is finished, and one that still holds the current key drops
   * the pending key and, if asked, rotates anew.
   */
  public Result ensure(
      ApiKey key,
      ApiKeyStatus status,
      KeySettings settings,
      Secret cachedSecret,
      Rotation rotation) {
    Verdict verdict = decide(key, status, settings, cachedSecret);
    if (verdict == Verdict.STEADY && rotation == null && !strayPrevious(status, cachedSecret)) {
      syncMetadata(key, settings, status, cachedSecret);
      return new Result(key, Outcome.UNCHANGED);
    }
    if (verdict == Verdict.ISSUE && status.pending == null) {
      // A first issuance needs no fresh reads. The Secret is created, never updated, so one that
      // exists after all fails the create (409); the status write that follows carries the
      // cached resourceVersion, so a stale cache fails it (409). Either way the retry reads both
      // from the server and decides again, below.
      return issue(key, status, settings, REASON_ISSUE);
    }
    if (verdict == Verdict.STEADY && rotation != null) {
      // Likewise a rotation of a settled key: the pending key's status write carries the cached
      // resourceVersion, and the Secret update the cached Secret's, so a stale cache fails one
      // of them (409) before anything of the new key is written over the old one.
      return rotate(key, status, settings, cachedSecret, rotation);
    }
    // Anything else that writes decides again on what the server has now, not the cache.
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
      case STEADY, DROP_STALE_PENDING -> {
        // A pending key that never reached the Secret is forgotten: it never verified anywhere.
        status.pending = null;
        if (rotation != null) {
          yield rotate(key, status, settings, secret, rotation);
        }
        if (strayPrevious(status, secret)) {
          secret = update(key, secret, CredentialSecret.withoutPrevious(secret));
        }
        syncMetadata(key, settings, status, secret);
        yield new Result(key, Outcome.UNCHANGED);
      }
      case FINISH_PENDING -> finishPending(key, status, settings);
      case ADOPT -> adopt(key, status, settings, secret);
      case CONFLICT -> new Result(key, Outcome.CONFLICT);
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

  /** Removes a previous key from the Secret (its grace period is over), if the Secret holds one. */
  public void dropPrevious(ApiKey key, String secretName) {
    Secret live = secretName == null ? null : readSecret(key, secretName);
    if (live != null
        && CredentialSecret.controlledBy(live, key)
        && CredentialSecret.hasPrevious(live)) {
      update(key, live, CredentialSecret.withoutPrevious(live));
    }
  }

  /** A previous key the Secret still holds though status no longer lists one (grace is over). */
  private static boolean strayPrevious(ApiKeyStatus status, Secret secret) {
    return status.previous == null && secret != null && CredentialSecret.hasPrevious(secret);
  }

  private Result rotate(
      ApiKey key, ApiKeyStatus status, KeySettings settings, Secret secret, Rotation rotation) {
    KeyMaterial material = generator.generate(settings.algorithm());
    ExpiryPlan plan = ExpiryPlan.forIssuance(now(), settings);
    ApiKeyStatus.PendingKey pending = pendingKey(material, plan, REASON_ROTATE);
    pending.cause = rotation.cause();
    pending.previousValidUntil =
        rotation.previousValidUntil() == null ? null : rotation.previousValidUntil().toString();
    status.pending = pending;
    ApiKey written = writeStatus(key, status);
    update(
        written,
        secret,
        CredentialSecret.rotated(
            secret, written, settings, material, plan, rotation.previousValidUntil()));
    return finishPending(written, status, settings);
  }

  /** Replaces the Secret, failing if it changed since {@code before} was read. */
  private Secret update(ApiKey key, Secret before, Secret next) {
    Secret updated;
    try {
      updated = client.secrets().inNamespace(ns(key)).resource(next).update();
    } catch (KubernetesClientException e) {
      // The server's message is not passed on: nothing about a Secret write goes into a log.
      if (e.getCode() == 409 || e.getCode() == 404) {
        throw new StaleReadException(
            "Secret " + ns(key) + "/" + before.getMetadata().getName() + " changed");
      }
      throw new IssuanceException(
          "cannot update Secret "
              + ns(key)
              + "/"
              + before.getMetadata().getName()
              + ": HTTP "
              + e.getCode());
    }
    onSecretWritten.written(updated, before);
    return updated;
  }

  private static ApiKeyStatus.PendingKey pendingKey(
      KeyMaterial material, ExpiryPlan plan, String reason) {
    ApiKeyStatus.PendingKey pending = new ApiKeyStatus.PendingKey();
    pending.accessKey = material.accessKey();
    pending.secretFingerprint = material.fingerprint();
    pending.algorithm = material.algorithm().wireName();
    pending.publicKey = material.publicKey();
    pending.issuedAt = plan.issuedAt().toString();
    pending.expiresAt = plan.expiresAt().toString();
    pending.reason = reason;
    return pending;
  }

  private Result issue(ApiKey key, ApiKeyStatus status, KeySettings settings, String reason) {
    KeyMaterial material = generator.generate(settings.algorithm());
    ExpiryPlan plan = ExpiryPlan.forIssuance(now(), settings);
    status.pending = pendingKey(material, plan, reason);
    // A key's first issuance needs no pending record: status knows no key to tell the Secret's
    // apart from, so an interrupted one is finished by adopting the Secret of this key that it
    // created (SecretCheck's ADOPT), which verifies its fingerprint and access key as a pending
    // record would. Every other issuance replaces a recorded key, and records the new one first.
    boolean first = status.accessKey == null && status.previous == null;
    ApiKey written = first ? key : writeStatus(key, status);

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
    onSecretWritten.written(created, null);
    return finishPending(written, status, settings);
  }

  /** Records the pending key as current; the Secret is known to hold it. */
  private Result finishPending(ApiKey key, ApiKeyStatus status, KeySettings settings) {
    ApiKeyStatus.PendingKey p = status.pending;
    java.util.List<String> revoked = new java.util.ArrayList<>();
    Outcome outcome = Outcome.ISSUED;
    if (REASON_ROTATE.equals(p.reason)) {
      outcome = Outcome.ROTATED;
      if (status.previous != null) {
        // A second rotation within a grace period ends the earlier grace.
        revoked.add(status.previous.accessKey);
      }
      if (p.previousValidUntil == null) {
        revoked.add(status.accessKey);
        status.previous = null;
      } else {
        ApiKeyStatus.PreviousKey previous = new ApiKeyStatus.PreviousKey();
        previous.accessKey = status.accessKey;
        previous.secretFingerprint = status.secretFingerprint;
        previous.algorithm = status.algorithm;
        previous.publicKey = status.publicKey;
        previous.validUntil = p.previousValidUntil;
        status.previous = previous;
      }
    } else {
      // A new Secret holds nothing of earlier keys: they are revoked.
      if (REASON_SECRET_LOST.equals(p.reason)) {
        outcome = Outcome.REISSUED;
        revoked.add(status.accessKey);
      }
      if (status.previous != null) {
        revoked.add(status.previous.accessKey);
      }
      status.previous = null;
    }
    revoked.removeIf(java.util.Objects::isNull);
    status.accessKey = p.accessKey;
    status.secretFingerprint = p.secretFingerprint;
    status.algorithm = p.algorithm;
    status.publicKey = p.publicKey;
    status.issuedAt = p.issuedAt;
    status.expiresAt = p.expiresAt;
    status.secretName = settings.secretName();
    status.pending = null;
    return new Result(key, outcome, revoked);
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
    // A pending key that met this Secret never reached it: it never verified anywhere.
    status.pending = null;
    return new Result(key, Outcome.ADOPTED);
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
    // An extension moves expiresAt: the Secret's (public) expiresAt entry follows.
    boolean expiryCurrent =
        status.expiresAt.equals(CredentialSecret.data(secret, "expiresAt").orElse(null));
    if (expiryCurrent
        && contains(secret.getMetadata().getLabels(), labels)
        && contains(secret.getMetadata().getAnnotations(), annotations)) {
      return;
    }
    // Written on what the server has now, and only while it still holds this status's key.
    Secret live = readSecret(key, secret.getMetadata().getName());
    if (live == null || decide(key, status, settings, live) != Verdict.STEADY) {
      throw new StaleReadException("Secret " + ns(key) + "/" + settings.secretName() + " changed");
    }
    Secret next = StatusWriter.deepCopy(live);
    if (next.getMetadata().getLabels() == null) {
      next.getMetadata().setLabels(new java.util.LinkedHashMap<>());
    }
    if (next.getMetadata().getAnnotations() == null) {
      next.getMetadata().setAnnotations(new java.util.LinkedHashMap<>());
    }
    next.getMetadata().getLabels().putAll(labels);
    next.getMetadata().getAnnotations().putAll(annotations);
    next.getData().put("expiresAt", CredentialSecret.b64(status.expiresAt));
    update(key, live, next);
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
