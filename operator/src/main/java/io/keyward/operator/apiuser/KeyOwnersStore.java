package io.keyward.operator.apiuser;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;

/**
 * The ApiUser controller's informer store of ApiKeys: of each key only what that controller reads
 * (name, namespace, uid, resourceVersion, deletion, the user of its spec and the user it was issued
 * for), as controller-runtime's metadata-only informers keep only metadata. The ApiKey controller
 * holds the whole keys; a second whole copy here would double the operator's largest cache.
 */
final class KeyOwnersStore extends BasicItemStore<ApiKey> {
  KeyOwnersStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public ApiKey put(String key, ApiKey obj) {
    return super.put(key, project(obj));
  }

  static ApiKey project(ApiKey k) {
    ObjectMeta m = k.getMetadata();
    ApiKey p = new ApiKey();
    ObjectMeta meta = new ObjectMeta();
    meta.setName(m.getName());
    meta.setNamespace(m.getNamespace());
    meta.setUid(m.getUid());
    meta.setResourceVersion(m.getResourceVersion());
    meta.setDeletionTimestamp(m.getDeletionTimestamp());
    p.setMetadata(meta);
    if (k.getSpec() != null) {
      ApiKeySpec spec = new ApiKeySpec();
      spec.user = k.getSpec().user;
      p.setSpec(spec);
    }
    if (k.getStatus() != null && k.getStatus().effective != null) {
      ApiKeyStatus status = new ApiKeyStatus();
      status.conditions = null;
      status.effective = new ApiKeyStatus.Effective();
      status.effective.user = k.getStatus().effective.user;
      p.setStatus(status);
    }
    return p;
  }
}
