package io.keyward.verifier.kube;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.List;
import java.util.Map;

/**
 * The verifier's own read model of Keyward's resources: only the fields verification needs, read
 * from {@link GenericKubernetesResource}s with Jackson, so that a gateway carries no operator code.
 * Each mirrors a part of the contract in docs/api.md ({@code ApiUser.status.keyRefs[].grant}, the
 * ApiKey's spec and the parts of its status that may narrow).
 */
final class ClusterRecords {
  private ClusterRecords() {}

  static final String GROUP = "keyward.io";
  static final String VERSION = "v1alpha1";

  /** The ApiUsers: cluster-scoped. */
  static final ResourceDefinitionContext API_USERS =
      new ResourceDefinitionContext.Builder()
          .withGroup(GROUP)
          .withVersion(VERSION)
          .withKind("ApiUser")
          .withPlural("apiusers")
          .withNamespaced(false)
          .build();

  /** The ApiKeys: namespaced. */
  static final ResourceDefinitionContext API_KEYS =
      new ResourceDefinitionContext.Builder()
          .withGroup(GROUP)
          .withVersion(VERSION)
          .withKind("ApiKey")
          .withPlural("apikeys")
          .withNamespaced(true)
          .build();

  /** The label every Secret of Keyward's carries (anyone may set it: it selects, never trusts). */
  static final String MANAGED_BY = "app.kubernetes.io/managed-by";

  static final String MANAGED_BY_VALUE = "keyward";

  /** The type of a key's Secret. */
  static final String SECRET_TYPE = "keyward.io/api-key";

  /** Which data keys of a key's Secret hold its access and secret key. */
  static final String ANN_DATA_KEYS = "keyward.io/data-keys";

  static final String DATA_SECRET_KEY = "secretKey";
  static final String DATA_PREVIOUS_SECRET_KEY = "previousSecretKey";

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** An ApiUser: whether it is suspended, and its ledger. */
  record User(String name, boolean suspended, List<KeyRef> keyRefs) {}

  /** One entry of a user's ledger: the key (by uid) and what was granted to it. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record KeyRef(String namespace, String name, String uid, Grant grant) {}

  /**
   * What the operator granted a key ({@code status.keyRefs[].grant}). Its {@code pending} record is
   * not read: see {@link EntryBuilder}.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Grant(
      String secretName,
      String accessKey,
      String secretFingerprint,
      String algorithm,
      String publicKey,
      String passphraseFingerprint,
      String expiresAt,
      List<String> permissions,
      List<String> ipWhitelist,
      Previous previous) {}

  /** The previous key of a rotation, verifying until {@code validUntil}. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Previous(
      String accessKey,
      String secretFingerprint,
      String algorithm,
      String publicKey,
      String passphraseFingerprint,
      String validUntil) {}

  /**
   * An ApiKey as far as it may narrow its grant: whether it is being deleted, its spec, and whether
   * its status says it is invalid; and, for the last-use writer, its version and {@code
   * lastUsedAt}.
   */
  record Key(
      String namespace,
      String name,
      String uid,
      String resourceVersion,
      Narrowing narrowing,
      String lastUsedAt) {}

  /**
   * What of an ApiKey can narrow its grant (all of it writable by a tenant, so it only ever takes
   * away).
   *
   * @param spec null when the spec could not be read (the key is then invalid)
   */
  record Narrowing(boolean terminating, Spec spec, String phase) {}

  /** The parts of an ApiKey's spec that narrow. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Spec(String user, List<String> permissions, List<String> ipWhitelist, String algorithm) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  private record UserSpec(Boolean suspended) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  private record UserStatus(List<KeyRef> keyRefs) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  private record KeyStatus(String phase, String lastUsedAt) {}

  /**
   * The user an ApiUser resource describes. A ledger that cannot be read grants nothing (the
   * operator writes it; this is never expected).
   */
  static User user(GenericKubernetesResource r) {
    UserSpec spec = read(r, "spec", UserSpec.class);
    UserStatus status = read(r, "status", UserStatus.class);
    List<KeyRef> refs =
        status == null || status.keyRefs() == null
            ? List.of()
            : status.keyRefs().stream().filter(k -> k != null && k.uid() != null).toList();
    // A spec that cannot be read is taken as suspended: it can only refuse.
    boolean suspended =
        spec == null ? r.getAdditionalProperties().get("spec") != null : isTrue(spec.suspended());
    return new User(r.getMetadata().getName(), suspended, refs);
  }

  /** The ApiKey a resource describes. A spec that cannot be read makes the key invalid. */
  static Key key(GenericKubernetesResource r) {
    ObjectMeta m = r.getMetadata();
    Spec spec = read(r, "spec", Spec.class);
    KeyStatus status = read(r, "status", KeyStatus.class);
    return new Key(
        m.getNamespace(),
        m.getName(),
        m.getUid(),
        m.getResourceVersion(),
        new Narrowing(
            m.getDeletionTimestamp() != null, spec, status == null ? null : status.phase()),
        status == null ? null : status.lastUsedAt());
  }

  private static <T> T read(GenericKubernetesResource r, String field, Class<T> type) {
    Object value = r.getAdditionalProperties().get(field);
    if (!(value instanceof Map<?, ?>)) {
      return null;
    }
    try {
      return JSON.convertValue(value, type);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean isTrue(Boolean b) {
    return Boolean.TRUE.equals(b);
  }
}
