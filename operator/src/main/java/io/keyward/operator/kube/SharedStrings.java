package io.keyward.operator.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.api.Condition;
import io.keyward.operator.issuance.CredentialSecret;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Makes a cached object share the strings that many cached objects repeat: namespaces, users,
 * types, permissions, condition types and reasons, timestamps of the same second, label values.
 * Each object arrives from its own JSON parse with its own copy of every value, and at 10,000 keys
 * the informer caches held about a million strings, most of them repeats.
 *
 * <p>A key's own identifiers are shared too, because three caches hold each of them: its name and
 * uid (the ApiKey, its Secret's owner reference, its user's slot ledger), its access key,
 * fingerprint and Secret name (the ApiKey's status and the Secret). Values only one cached object
 * holds (resourceVersions, notes, messages that name a key) are left alone: sharing them saves
 * nothing. Secret material is never touched: only the public data entries of a credential Secret
 * are shared.
 */
final class SharedStrings {
  /** The credential Secret's data entries that are public and repeat across Secrets. */
  private static final Set<String> PUBLIC_DATA = Set.of("algorithm", "expiresAt");

  /**
   * The credential Secret's annotations whose values repeat: across Secrets (times, data key
   * names), or in the key's status (access key, fingerprint).
   */
  private static final Set<String> SHARED_ANNOTATIONS =
      Set.of(
          CredentialSecret.ANN_ISSUED_AT,
          CredentialSecret.ANN_EXPIRES_AT,
          CredentialSecret.ANN_PREVIOUS_VALID_UNTIL,
          CredentialSecret.ANN_DATA_KEYS,
          CredentialSecret.ANN_ACCESS_KEY,
          CredentialSecret.ANN_FINGERPRINT);

  private SharedStrings() {}

  /** Shares what {@code obj} repeats of other cached objects; returns {@code obj}. */
  static <R extends HasMetadata> R share(R obj) {
    if (obj instanceof ApiKey key) {
      apiKey(key);
    } else if (obj instanceof Secret secret) {
      secret(secret);
    } else if (obj instanceof ApiUser user) {
      apiUser(user);
    } else {
      metadata(obj.getMetadata());
    }
    return obj;
  }

  private static String of(String s) {
    return s == null ? null : s.intern();
  }

  private static void list(List<String> values) {
    try {
      if (values != null) {
        values.replaceAll(SharedStrings::of);
      }
    } catch (UnsupportedOperationException e) {
      // An unmodifiable list (built in code, not parsed) is kept as it is.
    }
  }

  private static void values(Map<String, String> map, Predicate<String> ofKey) {
    try {
      if (map != null) {
        map.replaceAll((k, v) -> ofKey.test(k) ? of(v) : v);
      }
    } catch (UnsupportedOperationException e) {
      // An unmodifiable map (built in code, not parsed) is kept as it is.
    }
  }

  /**
   * An empty map of unknown fields, shared. Every fabric8 object carries its own, nearly always
   * empty; only the JSON parser adds to it, and a cached object is never parsed into.
   */
  private static <T extends KubernetesResource> void noUnknownFields(
      T obj, Function<T, Map<String, Object>> get, BiConsumer<T, Map<String, Object>> set) {
    Map<String, Object> unknown = get.apply(obj);
    if (unknown != null && unknown.isEmpty()) {
      set.accept(obj, Map.of());
    }
  }

  private static void metadata(ObjectMeta m) {
    if (m == null) {
      return;
    }
    noUnknownFields(m, ObjectMeta::getAdditionalProperties, ObjectMeta::setAdditionalProperties);
    m.setName(of(m.getName()));
    m.setUid(of(m.getUid()));
    m.setNamespace(of(m.getNamespace()));
    m.setCreationTimestamp(of(m.getCreationTimestamp()));
    m.setDeletionTimestamp(of(m.getDeletionTimestamp()));
    list(m.getFinalizers());
    values(m.getLabels(), k -> true);
    if (m.getOwnerReferences() != null) {
      for (OwnerReference ref : m.getOwnerReferences()) {
        ref.setApiVersion(of(ref.getApiVersion()));
        ref.setKind(of(ref.getKind()));
        ref.setName(of(ref.getName()));
        ref.setUid(of(ref.getUid()));
        noUnknownFields(
            ref, OwnerReference::getAdditionalProperties, OwnerReference::setAdditionalProperties);
      }
    }
  }

  private static void apiKey(ApiKey key) {
    metadata(key.getMetadata());
    ApiKeySpec spec = key.getSpec();
    if (spec != null) {
      spec.user = of(spec.user);
      spec.type = of(spec.type);
      spec.algorithm = of(spec.algorithm);
      spec.validity = of(spec.validity);
      list(spec.permissions);
      list(spec.ipWhitelist);
      if (spec.renewal != null) {
        spec.renewal.policy = of(spec.renewal.policy);
        spec.renewal.before = of(spec.renewal.before);
        spec.renewal.gracePeriod = of(spec.renewal.gracePeriod);
      }
    }
    ApiKeyStatus status = key.getStatus();
    if (status != null) {
      status.phase = of(status.phase);
      status.accessKey = of(status.accessKey);
      status.secretFingerprint = of(status.secretFingerprint);
      status.secretName = of(status.secretName);
      status.algorithm = of(status.algorithm);
      status.issuedAt = of(status.issuedAt);
      status.expiresAt = of(status.expiresAt);
      status.renewAt = of(status.renewAt);
      if (status.effective != null) {
        status.effective.user = of(status.effective.user);
        status.effective.type = of(status.effective.type);
        list(status.effective.permissions);
        list(status.effective.ipWhitelist);
      }
      if (status.conditions != null) {
        for (Condition c : status.conditions) {
          c.type = of(c.type);
          c.status = of(c.status);
          c.reason = of(c.reason);
          c.lastTransitionTime = of(c.lastTransitionTime);
          // Messages about the slot name the user, not the key: many keys repeat them.
          if (Conditions.QUOTA_AVAILABLE.equals(c.type)) {
            c.message = of(c.message);
          }
        }
      }
    }
  }

  private static void apiUser(ApiUser user) {
    metadata(user.getMetadata());
    ApiUserStatus status = user.getStatus();
    if (status != null && status.keyRefs != null) {
      for (ApiUserStatus.KeyRef r : status.keyRefs) {
        r.namespace = of(r.namespace);
        r.name = of(r.name);
        r.uid = of(r.uid);
        r.type = of(r.type);
      }
    }
  }

  private static void secret(Secret secret) {
    metadata(secret.getMetadata());
    noUnknownFields(secret, Secret::getAdditionalProperties, Secret::setAdditionalProperties);
    secret.setType(of(secret.getType()));
    secret.setApiVersion(of(secret.getApiVersion()));
    secret.setKind(of(secret.getKind()));
    if (secret.getMetadata() != null) {
      values(secret.getMetadata().getAnnotations(), SHARED_ANNOTATIONS::contains);
    }
    values(secret.getData(), PUBLIC_DATA::contains);
  }
}
