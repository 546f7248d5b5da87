package io.keyward.operator.admission;

import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.quota.SlotLedger;
import io.keyward.operator.validation.ApiKeyRules;
import io.keyward.operator.validation.ApiUserRules;
import io.keyward.operator.validation.Excerpt;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the webhook decides for one admission request, with no HTTP and no Kubernetes client: the
 * cluster is read through {@link Lookup}. The rules, in order: the operator's own writes pass;
 * status writes by anyone else are refused (the verifier may write {@code status.lastUsedAt} of an
 * ApiKey and nothing else); objects being deleted pass (finalizer removal must never wait); then
 * the spec rules the operator checks ({@link ApiKeyRules}, {@link ApiUserRules}), the user's
 * existence, namespaces and owners, and at create the key limit.
 */
public final class AdmissionRules {
  /** Holders one quota refusal names; the rest are counted. */
  static final int NAMED_HOLDERS = 10;

  /** What the rules read from the cluster. */
  public interface Lookup {
    /** The ApiUser of that name, read now (not from a cache that may lag). */
    Optional<ApiUser> user(String name);

    /** The uid of the ApiKey {@code namespace/name}, if it exists now. */
    Optional<String> keyUid(String namespace, String name);
  }

  private final KeywardConfig config;
  private final ApiKeyRules keyRules;
  private final String operatorUser;
  private final Lookup lookup;

  public AdmissionRules(KeywardConfig config, String operatorUser, Lookup lookup) {
    this.config = config;
    this.keyRules = new ApiKeyRules(config);
    this.operatorUser = Objects.requireNonNull(operatorUser);
    this.lookup = lookup;
  }

  /** Decides one request. */
  public Decision decide(Review r) {
    if (r.requester().username().equals(operatorUser)) {
      return Decision.allow();
    }
    if ("status".equals(r.subResource())) {
      return status(r);
    }
    if (!r.subResource().isEmpty()) {
      return Decision.allow();
    }
    if (r.operation() == Review.Operation.UPDATE && r.terminating()) {
      return Decision.allow();
    }
    return switch (r.resource()) {
      case "apikeys" -> key(r);
      case "apiusers" -> user(r);
      default -> Decision.allow();
    };
  }

  private Decision status(Review r) {
    if ("apikeys".equals(r.resource())
        && config.admission().verifierUsers().contains(r.requester().username())
        && r.operation() == Review.Operation.UPDATE) {
      if (r.onlyLastUseChanged()) {
        return Decision.allow();
      }
      return Decision.forbidden(
          "status: the verifier may change status.lastUsedAt of an ApiKey and nothing else");
    }
    String kind = "apikeys".equals(r.resource()) ? "ApiKey" : "ApiUser";
    return Decision.forbidden(
        "status: only the Keyward operator writes the status of an "
            + kind
            + " (the operator and the verifier read their own records, never this status, as a"
            + " grant)");
  }

  private Decision key(Review r) {
    ApiKey key = r.key();
    ApiKeySpec spec = key.getSpec();
    boolean create = r.operation() == Review.Operation.CREATE;
    ApiKey old = create ? null : r.oldKey();
    // The user of record is the one the key was made for; a key that named none (no spec: the
    // schema does not require one) is held to the user this write names, or it could take any
    // user's name past that user's owners and namespaces.
    String userName = create ? userOf(key) : Optional.ofNullable(userOf(old)).orElse(userOf(key));

    List<String> refusals = new ArrayList<>();
    boolean specChanged = r.specChanged();
    if (specChanged) {
      ApiKeyRules.Prior prior =
          create ? priorOfSpec(null) : merge(priorOfStatus(old.getStatus()), priorOfSpec(old));
      ApiKeyRules.Result result = keyRules.validate(key.getMetadata().getName(), spec, prior);
      result.violations().stream().map(Object::toString).forEach(refusals::add);
    }
    if (!refusals.isEmpty()) {
      return Decision.invalid(String.join("; ", refusals));
    }
    if (userName == null) {
      return Decision.allow();
    }
    boolean governed = metadataOrSpecChanged(r, specChanged);
    Optional<ApiUser> user = lookup.user(userName);
    if (user.isEmpty()) {
      if (create) {
        return Decision.invalid(
            "spec.user: ApiUser " + Excerpt.of(userName) + " does not exist (create it first)");
      }
      // The key waits for its user and is issued as it then reads: a change made while there are
      // no owners to check would pass the owners the user comes back with.
      return governed
          ? Decision.invalid(
              "spec.user: ApiUser "
                  + Excerpt.of(userName)
                  + " does not exist; until it does, its keys may be deleted but their spec and"
                  + " keyward.io/ annotations and labels not changed")
          : Decision.allow();
    }
    ApiUserSpec us = user.get().getSpec();
    if (!ownerMayChange(r, us, governed)) {
      return Decision.forbidden(
          "spec.user: "
              + r.requester().describe()
              + " is not an owner of ApiUser "
              + Excerpt.of(userName)
              + " (spec.owners): only its owners may create or change its keys or hand in its"
              + " codes");
    }
    if (create || specChanged) {
      String ns = key.getMetadata().getNamespace();
      if (us == null
          || us.namespaces == null
          || !(us.namespaces.contains("*") || us.namespaces.contains(ns))) {
        return Decision.forbidden(
            "metadata.namespace: ApiUser "
                + Excerpt.of(userName)
                + " does not allow keys in namespace "
                + Excerpt.of(ns)
                + " (its spec.namespaces)");
      }
    }
    if (create) {
      return quota(user.get(), userName);
    }
    return Decision.allow();
  }

  private Decision quota(ApiUser user, String userName) {
    int limit =
        user.getSpec() != null && user.getSpec().maxKeys != null
            ? user.getSpec().maxKeys
            : config.keysPerUser();
    List<SlotLedger.Slot> slots = io.keyward.operator.quota.KeyLedger.slots(user);
    if (slots.size() < limit) {
      return Decision.allow();
    }
    // A slot whose key vanished without its finalizer is given back when a key needs it: it does
    // not count here either.
    List<SlotLedger.Slot> live =
        slots.stream()
            .filter(s -> lookup.keyUid(s.namespace(), s.name()).map(s.uid()::equals).orElse(false))
            .toList();
    if (live.size() < limit) {
      return Decision.allow();
    }
    StringBuilder holders = new StringBuilder();
    for (int i = 0; i < Math.min(NAMED_HOLDERS, live.size()); i++) {
      holders.append(i == 0 ? "" : ", ").append(live.get(i).namespace()).append('/');
      holders.append(live.get(i).name());
    }
    if (live.size() > NAMED_HOLDERS) {
      holders.append(" and ").append(live.size() - NAMED_HOLDERS).append(" more");
    }
    return Decision.forbidden(
        "spec.user: ApiUser "
            + Excerpt.of(userName)
            + " already holds its limit of "
            + limit
            + " keys (spec.maxKeys): "
            + holders
            + "; delete one, or raise spec.maxKeys");
  }

  private Decision user(Review r) {
    ApiUser user = r.user();
    boolean create = r.operation() == Review.Operation.CREATE;
    ApiUser old = create ? null : r.oldUser();
    if (r.specChanged()) {
      List<String> v = ApiUserRules.validate(user.getSpec());
      if (!v.isEmpty()) {
        return Decision.invalid(String.join("; ", v));
      }
    }
    // The owners of record are those before this write: adding oneself and handing in a code in
    // one write does not make the code an owner's.
    ApiUserSpec owning = create ? user.getSpec() : old.getSpec();
    boolean codeChanged =
        !Objects.equals(code(annotations(user)), create ? null : code(annotations(old)))
            && code(annotations(user)) != null;
    if (codeChanged && !isOwner(r.requester(), owning)) {
      return Decision.forbidden(
          "metadata.annotations["
              + CodeVerifier.ANNOTATION
              + "]: "
              + r.requester().describe()
              + " is not an owner of this ApiUser (spec.owners): only its owners may hand in its"
              + " codes");
    }
    return Decision.allow();
  }

  /**
   * With owners, every create, and every change of the spec or of a {@code keyward.io/} annotation
   * or label (the code among them), must come from an owner; other metadata (finalizers, owner
   * references, other tools' labels) governs no grant.
   */
  private boolean ownerMayChange(Review r, ApiUserSpec user, boolean governed) {
    if (!governed) {
      return true;
    }
    return isOwner(r.requester(), user);
  }

  private static boolean metadataOrSpecChanged(Review r, boolean specChanged) {
    if (r.operation() == Review.Operation.CREATE || specChanged) {
      return true;
    }
    ApiKey now = r.key();
    ApiKey before = r.oldKey();
    return !Objects.equals(
            keywardOnly(annotations(now.getMetadata().getAnnotations())),
            keywardOnly(annotations(before.getMetadata().getAnnotations())))
        || !Objects.equals(
            keywardOnly(annotations(now.getMetadata().getLabels())),
            keywardOnly(annotations(before.getMetadata().getLabels())));
  }

  static boolean isOwner(Requester requester, ApiUserSpec spec) {
    if (spec == null || spec.owners == null || spec.owners.isEmpty()) {
      return true;
    }
    for (ApiUserSpec.Owner o : spec.owners) {
      if (o != null && requester.is(o)) {
        return true;
      }
    }
    return false;
  }

  private static Map<String, String> keywardOnly(Map<String, String> m) {
    Map<String, String> out = new java.util.TreeMap<>();
    m.forEach(
        (k, v) -> {
          if (k.startsWith("keyward.io/") || k.contains(".keyward.io/")) {
            out.put(k, v);
          }
        });
    return out;
  }

  private static Map<String, String> annotations(Map<String, String> m) {
    return m == null ? Map.of() : m;
  }

  private static Map<String, String> annotations(ApiUser u) {
    return annotations(u.getMetadata().getAnnotations());
  }

  private static String code(Map<String, String> annotations) {
    return annotations.get(CodeVerifier.ANNOTATION);
  }

  private static String userOf(ApiKey key) {
    return key.getSpec() == null ? null : key.getSpec().user;
  }

  private static ApiKeyRules.Prior priorOfSpec(ApiKey old) {
    if (old == null || old.getSpec() == null) {
      return ApiKeyRules.Prior.NONE;
    }
    // spec.user and spec.type are immutable from creation on (the CRD's rules say the same).
    return new ApiKeyRules.Prior(
        old.getSpec().user, old.getSpec().type == null ? "spot" : old.getSpec().type, null);
  }

  private static ApiKeyRules.Prior priorOfStatus(ApiKeyStatus status) {
    if (status == null || status.accessKey == null) {
      return ApiKeyRules.Prior.NONE;
    }
    return new ApiKeyRules.Prior(null, null, status.secretName);
  }

  private static ApiKeyRules.Prior merge(ApiKeyRules.Prior status, ApiKeyRules.Prior spec) {
    return new ApiKeyRules.Prior(spec.user(), spec.type(), status.secretName());
  }
}
