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

  @Override
  public R put(String key, R obj) {
    if (obj instanceof Secret secret) {
      String why = SecretStub.whyNotWhole(secret);
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
}
