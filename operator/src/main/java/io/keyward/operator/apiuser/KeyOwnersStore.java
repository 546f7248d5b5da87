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
    ObjectMeta meta = new ObjectMeta();
    // Only what is read; the rest null, not the empty collections a fresh ObjectMeta carries.
    meta.setAnnotations(null);
    meta.setLabels(null);
    meta.setFinalizers(null);
    meta.setManagedFields(null);
    meta.setOwnerReferences(null);
    meta.setAdditionalProperties(null);
    // The ApiKey controller's cache holds the same strings (kube.SharedStrings): share them.
    meta.setName(intern(m.getName()));
    meta.setNamespace(intern(m.getNamespace()));
    meta.setUid(intern(m.getUid()));
    meta.setResourceVersion(m.getResourceVersion());
    meta.setDeletionTimestamp(m.getDeletionTimestamp());
    ApiKey p = new ApiKey();
    p.setMetadata(meta);
    ApiKeySpec spec = new ApiKeySpec();
    spec.user = k.getSpec() == null ? null : intern(k.getSpec().user);
    p.setSpec(spec);
    ApiKeyStatus status = null;
    if (k.getStatus() != null && k.getStatus().effective != null) {
      status = new ApiKeyStatus();
      status.conditions = null;
      status.effective = new ApiKeyStatus.Effective();
      status.effective.user = intern(k.getStatus().effective.user);
    }
    p.setStatus(status);
    return p;
  }

  private static String intern(String s) {
    return s == null ? null : s.intern();
  }
}
