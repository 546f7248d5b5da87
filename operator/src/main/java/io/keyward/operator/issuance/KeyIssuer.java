package io.keyward.operator.issuance;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.expiry.ExpiryPlan;
import io.keyward.operator.kube.Stale;
import io.keyward.operator.kube.StatusWriter;
import io.keyward.operator.validation.KeySettings;
import java.time.Instant;
import java.util.Map;

/**
 * The Secret writes of issuance, each one step of the crash-safe protocol in this package's
 * DESIGN.md: generate in memory; record its public facts as pending in the grant (the ApiUser's
 * ledger) before the Secret is written; create the Secret (never update it for an issuance, so a
 * second writer fails) or, for a rotation, update it with the resourceVersion read. Which step runs
 * is decided elsewhere ({@code KeyPlanner}); this class only writes, and never logs or passes on
 * anything of the material or of the server's answer to a Secret write.
 */
public final class KeyIssuer {
  private final KubernetesClient client;
  private final KeyGenerator generator;
  private final SecretWrites onSecretWritten;

  /** Told of each Secret written, so an informer cache can hold it at once. */
  public interface SecretWrites {
    /**
     * @param written the Secret as the server returned it
     * @param before the Secret it replaced, or null when it was created
     */
    void written(Secret written, Secret before);
  }

  public KeyIssuer(KubernetesClient client, KeyGenerator generator, SecretWrites onSecretWritten) {
    this.client = client;
    this.generator = generator;
    this.onSecretWritten = onSecretWritten;
  }

  /** Raised when what was read is stale; the caller reads again and decides again. */
  public static final class StaleReadException extends Stale {
    public StaleReadException(String message) {
      super(message);
    }
  }

  /**
   * A generated key and its public record. The material exists only here until it is written;
   * {@link #toString()} shows the record only.
   */
  public record Prepared(KeyMaterial material, ExpiryPlan expiry, ApiKeyStatus.PendingKey record) {
    @Override
    public String toString() {
      return "Prepared[" + material + "]";
    }
  }

  /**
   * Generates a key for {@code expiry}.
   *
   * @param reason why (kept in the pending record, so a resumed issuance reports it correctly)
   * @param cause Rotate: why, for events and the audit log
   * @param previousValidUntil Rotate: until when the replaced key still verifies (null: not at all)
   */
  public Prepared prepare(
      KeySettings settings,
      ExpiryPlan expiry,
      String reason,
      String cause,
      Instant previousValidUntil) {
    KeyMaterial material = generator.generate(settings.algorithm(), settings.passphrase());
    ApiKeyStatus.PendingKey record = new ApiKeyStatus.PendingKey();
    record.accessKey = material.accessKey();
    record.secretFingerprint = material.fingerprint();
    record.algorithm = material.algorithm().wireName();
    record.publicKey = material.publicKey();
    record.passphraseFingerprint = material.passphraseFingerprint();
    record.issuedAt = expiry.issuedAt().toString();
    record.expiresAt = expiry.expiresAt().toString();
    record.reason = reason;
    record.cause = cause;
    record.previousValidUntil = previousValidUntil == null ? null : previousValidUntil.toString();
    return new Prepared(material, expiry, record);
  }

  /** Creates the key's Secret with the prepared key; a Secret that exists fails it (stale). */
  public Secret create(ApiKey key, KeySettings settings, Prepared prepared) {
    Secret secret = CredentialSecret.build(key, settings, prepared.material(), prepared.expiry());
    Secret created;
    try {
      created = client.secrets().inNamespace(ns(key)).resource(secret).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        throw new StaleReadException("Secret " + ns(key) + "/" + settings.secretName() + " exists");
      }
      throw IssuanceException.of("create", ns(key) + "/" + settings.secretName(), e);
    }
    onSecretWritten.written(created, null);
    return created;
  }

  /**
   * Writes the prepared key into the Secret as read ({@code current}, its resourceVersion the
   * compare and swap); the replaced key moves to the previous entries when it keeps verifying.
   */
  public Secret rotate(ApiKey key, Secret current, KeySettings settings, Prepared prepared) {
    Instant previousValidUntil =
        prepared.record().previousValidUntil == null
            ? null
            : Instant.parse(prepared.record().previousValidUntil);
    return update(
        key,
        current,
        CredentialSecret.rotated(
            current, key, settings, prepared.material(), prepared.expiry(), previousValidUntil));
  }

  /** Removes a previous key from the Secret (its grace period is over), if it holds one. */
  public void dropPrevious(ApiKey key, Secret current) {
    if (current != null
        && CredentialSecret.controlledBy(current, key)
        && CredentialSecret.hasPrevious(current)) {
      update(key, current, CredentialSecret.withoutPrevious(current));
    }
  }

  /**
   * Deletes the key's Secret (expired, or tampered with) if it is still this key's: read from the
   * server first, deleted only if its controller is this ApiKey, and only as read (the delete
   * carries the read resourceVersion as its precondition: a Secret replaced in between is not
   * deleted, and the caller decides again).
   */
  public void delete(ApiKey key, String secretName) {
    Secret live = client.secrets().inNamespace(ns(key)).withName(secretName).get();
    if (live != null && CredentialSecret.controlledBy(live, key)) {
      deleteAsRead(client, live);
    }
  }

  /** Deletes a Secret only if it is still the version read; a changed one is {@link Stale}. */
  public static void deleteAsRead(KubernetesClient client, Secret live) {
    try {
      client
          .secrets()
          .inNamespace(live.getMetadata().getNamespace())
          .withName(live.getMetadata().getName())
          .lockResourceVersion(live.getMetadata().getResourceVersion())
          .delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        throw new StaleReadException(
            "Secret "
                + live.getMetadata().getNamespace()
                + "/"
                + live.getMetadata().getName()
                + " changed");
      }
      throw e;
    }
  }

  /**
   * Brings the Secret's labels, annotations and public expiry entry in line with the template and
   * the status's key; never its secret data. Written on what the server has now, and only while it
   * still holds that key.
   */
  public void syncMetadata(ApiKey key, KeySettings settings, ApiKeyStatus status) {
    Secret live = client.secrets().inNamespace(ns(key)).withName(settings.secretName()).get();
    if (live == null
        || SecretCheck.decide(current(status), null, CredentialSecret.observe(live, key, settings))
            != SecretCheck.Verdict.STEADY) {
      throw new StaleReadException("Secret " + ns(key) + "/" + settings.secretName() + " changed");
    }
    if (!drifted(key, settings, status, live)) {
      return;
    }
    Secret next = StatusWriter.deepCopy(live);
    if (next.getMetadata().getLabels() == null) {
      next.getMetadata().setLabels(new java.util.LinkedHashMap<>());
    }
    if (next.getMetadata().getAnnotations() == null) {
      next.getMetadata().setAnnotations(new java.util.LinkedHashMap<>());
    }
    next.getMetadata().getLabels().putAll(CredentialSecret.labels(key, settings));
    next.getMetadata().getAnnotations().putAll(desiredAnnotations(settings, status));
    next.getData().put("expiresAt", CredentialSecret.b64(status.expiresAt));
    update(key, live, next);
  }

  /**
   * Whether the Secret's labels, annotations or expiresAt entry differ from what they should be.
   */
  public static boolean drifted(
      ApiKey key, KeySettings settings, ApiKeyStatus status, Secret secret) {
    boolean expiryCurrent =
        status.expiresAt.equals(CredentialSecret.data(secret, "expiresAt").orElse(null));
    return !expiryCurrent
        || !contains(secret.getMetadata().getLabels(), CredentialSecret.labels(key, settings))
        || !contains(secret.getMetadata().getAnnotations(), desiredAnnotations(settings, status));
  }

  /** The verdict for a status and a Secret. */
  public static SecretCheck.Verdict decide(
      ApiKey key, ApiKeyStatus status, KeySettings settings, Secret secret) {
    SecretCheck.KeyRecord pending =
        status.pending == null
            ? null
            : new SecretCheck.KeyRecord(
                status.pending.accessKey,
                status.pending.secretFingerprint,
                status.pending.passphraseFingerprint);
    return SecretCheck.decide(
        current(status), pending, CredentialSecret.observe(secret, key, settings));
  }

  private static SecretCheck.KeyRecord current(ApiKeyStatus status) {
    return status.accessKey == null
        ? null
        : new SecretCheck.KeyRecord(
            status.accessKey, status.secretFingerprint, status.passphraseFingerprint);
  }

  private static Map<String, String> desiredAnnotations(KeySettings settings, ApiKeyStatus status) {
    ExpiryPlan plan =
        new ExpiryPlan(
            Instant.parse(status.issuedAt), Instant.parse(status.expiresAt), Instant.EPOCH);
    Map<String, String> annotations =
        CredentialSecret.annotations(settings, status.accessKey, status.secretFingerprint, plan);
    // The data key names the Secret was written with stay as written.
    annotations.remove(CredentialSecret.ANN_DATA_KEYS);
    return annotations;
  }

  /** Replaces the Secret, failing if it changed since {@code before} was read. */
  private Secret update(ApiKey key, Secret before, Secret next) {
    Secret updated;
    try {
      updated = client.secrets().inNamespace(ns(key)).resource(next).update();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409 || e.getCode() == 404) {
        throw new StaleReadException(
            "Secret " + ns(key) + "/" + before.getMetadata().getName() + " changed");
      }
      throw IssuanceException.of("update", ns(key) + "/" + before.getMetadata().getName(), e);
    }
    onSecretWritten.written(updated, before);
    return updated;
  }

  private static boolean contains(Map<String, String> actual, Map<String, String> desired) {
    return actual != null && actual.entrySet().containsAll(desired.entrySet());
  }

  private static String ns(ApiKey key) {
    return key.getMetadata().getNamespace();
  }
}
