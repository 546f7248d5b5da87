package io.keyward.operator.issuance;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.expiry.ExpiryPlan;
import io.keyward.operator.validation.KeySettings;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The layout of a key's Secret (docs/api.md, "The write-once Secret"): building and reading it. */
public final class CredentialSecret {
  public static final String TYPE = "keyward.io/api-key";
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY_VALUE = "keyward";
  public static final String LABEL_APIKEY = "keyward.io/apikey";
  public static final String LABEL_USER = "keyward.io/user";
  public static final String ANN_ACCESS_KEY = "keyward.io/access-key";
  public static final String ANN_FINGERPRINT = "keyward.io/fingerprint";
  public static final String ANN_EXPIRES_AT = "keyward.io/expires-at";
  public static final String ANN_ISSUED_AT = "keyward.io/issued-at";

  /** During a Rotate grace period: the replaced key, under these fixed data keys. */
  public static final String DATA_PREVIOUS_ACCESS_KEY = "previousAccessKey";

  public static final String DATA_PREVIOUS_SECRET_KEY = "previousSecretKey";

  /** A key with a passphrase (OKX-compatible signing) holds it here, written once with the key. */
  public static final String DATA_PASSPHRASE = "passphrase";

  /** During a Rotate grace period: the replaced key's passphrase, if it had one. */
  public static final String DATA_PREVIOUS_PASSPHRASE = "previousPassphrase";

  public static final String ANN_PREVIOUS_ACCESS_KEY = "keyward.io/previous-access-key";
  public static final String ANN_PREVIOUS_VALID_UNTIL = "keyward.io/previous-valid-until";

  /** Which data keys hold the access and secret key, so the Secret describes itself. */
  public static final String ANN_DATA_KEYS = "keyward.io/data-keys";

  private CredentialSecret() {}

  /** The Secret for newly generated material. */
  public static Secret build(
      ApiKey key, KeySettings settings, KeyMaterial material, ExpiryPlan plan) {
    Map<String, String> data = data(settings, material, plan);
    return new SecretBuilder()
        .withNewMetadata()
        .withName(settings.secretName())
        .withNamespace(key.getMetadata().getNamespace())
        .withLabels(labels(key, settings))
        .withAnnotations(annotations(settings, material.accessKey(), material.fingerprint(), plan))
        .withOwnerReferences(ownerReference(key))
        .endMetadata()
        .withType(TYPE)
        .withImmutable(false)
        .withData(data)
        .build();
  }

  /**
   * The Secret after a rotation: the new key under the spec's data key names, and, when the
   * replaced key keeps verifying for a grace period, that key's values moved as they are (still
   * encoded) to {@code previousAccessKey} and {@code previousSecretKey} (and its passphrase, if it
   * had one, to {@code previousPassphrase}). Keeps {@code current}'s resourceVersion, so the update
   * fails if the Secret changed since it was read.
   */
  public static Secret rotated(
      Secret current,
      ApiKey key,
      KeySettings settings,
      KeyMaterial material,
      ExpiryPlan plan,
      java.time.Instant previousValidUntil) {
    Map<String, String> data = data(settings, material, plan);
    Map<String, String> annotations = new LinkedHashMap<>(current.getMetadata().getAnnotations());
    annotations.putAll(annotations(settings, material.accessKey(), material.fingerprint(), plan));
    annotations.remove(ANN_PREVIOUS_ACCESS_KEY);
    annotations.remove(ANN_PREVIOUS_VALID_UNTIL);
    if (previousValidUntil != null) {
      String[] names = dataKeys(current, settings.accessKeyName(), settings.secretKeyName());
      data.put(DATA_PREVIOUS_ACCESS_KEY, current.getData().get(names[0]));
      data.put(DATA_PREVIOUS_SECRET_KEY, current.getData().get(names[1]));
      String passphrase = current.getData().get(DATA_PASSPHRASE);
      if (passphrase != null) {
        data.put(DATA_PREVIOUS_PASSPHRASE, passphrase);
      }
      annotations.put(ANN_PREVIOUS_ACCESS_KEY, annotation(current, ANN_ACCESS_KEY));
      annotations.put(ANN_PREVIOUS_VALID_UNTIL, previousValidUntil.toString());
    }
    Map<String, String> labels = new LinkedHashMap<>(current.getMetadata().getLabels());
    labels.putAll(labels(key, settings));
    return new SecretBuilder(current)
        .editMetadata()
        .withLabels(labels)
        .withAnnotations(annotations)
        .endMetadata()
        .withData(data)
        .build();
  }

  /** The Secret without the previous key of a rotation (its grace period is over). */
  public static Secret withoutPrevious(Secret current) {
    Map<String, String> data = new LinkedHashMap<>(current.getData());
    data.remove(DATA_PREVIOUS_ACCESS_KEY);
    data.remove(DATA_PREVIOUS_SECRET_KEY);
    data.remove(DATA_PREVIOUS_PASSPHRASE);
    Map<String, String> annotations = new LinkedHashMap<>(current.getMetadata().getAnnotations());
    annotations.remove(ANN_PREVIOUS_ACCESS_KEY);
    annotations.remove(ANN_PREVIOUS_VALID_UNTIL);
    return new SecretBuilder(current)
        .editMetadata()
        .withAnnotations(annotations)
        .endMetadata()
        .withData(data)
        .build();
  }

  /** Whether the Secret still holds a previous key. */
  public static boolean hasPrevious(Secret secret) {
    return secret.getData() != null
        && (secret.getData().containsKey(DATA_PREVIOUS_ACCESS_KEY)
            || secret.getData().containsKey(DATA_PREVIOUS_SECRET_KEY)
            || secret.getData().containsKey(DATA_PREVIOUS_PASSPHRASE));
  }

  private static Map<String, String> data(
      KeySettings settings, KeyMaterial material, ExpiryPlan plan) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(settings.accessKeyName(), b64(material.accessKey()));
    data.put(settings.secretKeyName(), b64(material.secretKey()));
    if (material.passphrase() != null) {
      data.put(DATA_PASSPHRASE, b64(material.passphrase()));
    }
    data.put("algorithm", b64(material.algorithm().wireName()));
    data.put("expiresAt", b64(plan.expiresAt().toString()));
    return data;
  }

  /** The labels a key's Secret carries: ours, then the template's. */
  public static Map<String, String> labels(ApiKey key, KeySettings settings) {
    Map<String, String> labels = new LinkedHashMap<>(settings.secretLabels());
    labels.put(MANAGED_BY, MANAGED_BY_VALUE);
    labels.put(LABEL_APIKEY, key.getMetadata().getName());
    labels.put(LABEL_USER, settings.user());
    return labels;
  }

  /** The annotations a key's Secret carries: the template's, then ours. */
  public static Map<String, String> annotations(
      KeySettings settings, String accessKey, String fingerprint, ExpiryPlan plan) {
    Map<String, String> annotations = new LinkedHashMap<>(settings.secretAnnotations());
    annotations.put(ANN_ACCESS_KEY, accessKey);
    annotations.put(ANN_FINGERPRINT, fingerprint);
    annotations.put(ANN_ISSUED_AT, plan.issuedAt().toString());
    annotations.put(ANN_EXPIRES_AT, plan.expiresAt().toString());
    annotations.put(
        ANN_DATA_KEYS,
        "accessKey=" + settings.accessKeyName() + ",secretKey=" + settings.secretKeyName());
    return annotations;
  }

  /** The controller owner reference to the ApiKey (or any resource that owns a Secret so). */
  public static OwnerReference ownerReference(HasMetadata key) {
    return new OwnerReferenceBuilder()
        .withApiVersion(key.getApiVersion())
        .withKind(key.getKind())
        .withName(key.getMetadata().getName())
        .withUid(key.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  /** Whether the Secret's controller is this ApiKey (same uid). */
  public static boolean controlledBy(Secret secret, ApiKey key) {
    return secret.getMetadata().getOwnerReferences().stream()
        .anyMatch(
            o ->
                Boolean.TRUE.equals(o.getController())
                    && key.getMetadata().getUid().equals(o.getUid()));
  }

  /** The data key names a Secret records, falling back to the given defaults. */
  public static String[] dataKeys(Secret secret, String accessDefault, String secretDefault) {
    String recorded = annotation(secret, ANN_DATA_KEYS);
    String ak = accessDefault;
    String sk = secretDefault;
    if (recorded != null) {
      for (String part : recorded.split(",")) {
        int eq = part.indexOf('=');
        if (eq > 0 && part.substring(0, eq).equals("accessKey")) {
          ak = part.substring(eq + 1);
        } else if (eq > 0 && part.substring(0, eq).equals("secretKey")) {
          sk = part.substring(eq + 1);
        }
      }
    }
    return new String[] {ak, sk};
  }

  /** What a Secret (or its absence) shows the issuance rules; the secret is only fingerprinted. */
  public static SecretCheck.Observed observe(Secret secret, ApiKey key, KeySettings settings) {
    if (secret == null) {
      return SecretCheck.Observed.ABSENT;
    }
    String[] names =
        dataKeys(
            secret,
            settings == null ? "accessKey" : settings.accessKeyName(),
            settings == null ? "secretKey" : settings.secretKeyName());
    String secretKey = data(secret, names[1]).orElse(null);
    String passphrase = data(secret, DATA_PASSPHRASE).orElse(null);
    return new SecretCheck.Observed(
        true,
        controlledBy(secret, key),
        data(secret, names[0]).orElse(null),
        secretKey == null ? null : Fingerprint.of(secretKey),
        annotation(secret, ANN_ACCESS_KEY),
        annotation(secret, ANN_FINGERPRINT),
        passphrase == null ? null : Fingerprint.of(passphrase));
  }

  /** The decoded value of a data key. */
  public static Optional<String> data(Secret secret, String name) {
    if (secret.getData() == null || secret.getData().get(name) == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new String(
              Base64.getDecoder().decode(secret.getData().get(name)), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** An annotation of a Secret, or null. */
  public static String annotation(Secret secret, String name) {
    ObjectMeta meta = secret.getMetadata();
    return meta.getAnnotations() == null ? null : meta.getAnnotations().get(name);
  }

  /** Base64 of a string's UTF-8 bytes, as Secret data holds it. */
  public static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
