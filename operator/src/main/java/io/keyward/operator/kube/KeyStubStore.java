package io.keyward.operator.kube;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;

/**
 * An informer store of ApiKeys that keeps only who each key is and whose: namespace, name, uid,
 * resourceVersion and {@code spec.user}. Enough to tell which ledger entries still have their key,
 * for a few hundred bytes a key, whatever a tenant writes into the rest of it.
 */
public final class KeyStubStore extends BasicItemStore<ApiKey> {
  public KeyStubStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public ApiKey put(String key, ApiKey obj) {
    return super.put(key, stub(obj));
  }

  /** The identity of a key and its user. */
  public static ApiKey stub(ApiKey key) {
    ApiKey stub = new ApiKey();
    ObjectMeta m = new ObjectMeta();
    m.setNamespace(key.getMetadata().getNamespace());
    m.setName(key.getMetadata().getName());
    m.setUid(key.getMetadata().getUid());
    m.setResourceVersion(key.getMetadata().getResourceVersion());
    stub.setMetadata(m);
    ApiKeySpec spec = new ApiKeySpec();
    spec.user = key.getSpec() == null ? null : key.getSpec().user;
    stub.setSpec(spec);
    return SharedStrings.share(stub);
  }
}
