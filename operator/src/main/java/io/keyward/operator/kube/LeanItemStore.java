package io.keyward.operator.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/**
 * An informer store that drops each object's managedFields before keeping it. The operator never
 * reads them, and they were the largest part of its heap: at 10,000 keys about a million small maps
 * of field names (their server-side copy is untouched: writes leave managedFields unset, which the
 * API server reads as "keep"). What it keeps shares repeated strings ({@link SharedStrings}). A
 * Secret that does not look like one of Keyward's own, or is larger than one, is kept as a
 * data-less {@link SecretStub}: a label anyone may set must not decide what fills the heap.
 */
public class LeanItemStore<R extends HasMetadata> extends BasicItemStore<R> {
  public LeanItemStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  /**
   * For each controller uid, the one Secret it is cached whole for: each key or user has one Secret
   * of its own, so look-alikes that all name one real key as their controller are stubs (the first
   * one seen keeps the place; a key whose own Secret came later is read from the API server
   * instead, correct if slower).
   */
  private final java.util.Map<String, String> wholeFor =
      new java.util.concurrent.ConcurrentHashMap<>();

  @Override
  public R put(String key, R obj) {
    if (obj instanceof Secret secret) {
      String why = SecretStub.whyNotWhole(secret);
      String owner = why == null ? controller(secret) : null;
      if (owner != null && !key.equals(wholeFor.computeIfAbsent(owner, o -> key))) {
        why = "another Secret is cached whole for its controller";
      }
      if (why != null) {
        @SuppressWarnings("unchecked")
        R stub = (R) SecretStub.of(secret, why);
        obj = stub;
      }
    }
    if (obj.getMetadata() != null) {
      obj.getMetadata().setManagedFields(null);
    }
    return super.put(key, SharedStrings.share(obj));
  }

  @Override
  public R remove(String key) {
    wholeFor.values().remove(key);
    return super.remove(key);
  }

  private static String controller(Secret secret) {
    return secret.getMetadata().getOwnerReferences() == null
        ? null
        : secret.getMetadata().getOwnerReferences().stream()
            .filter(o -> Boolean.TRUE.equals(o.getController()))
            .map(io.fabric8.kubernetes.api.model.OwnerReference::getUid)
            .filter(java.util.Objects::nonNull)
            .findFirst()
            .orElse(null);
  }
}
