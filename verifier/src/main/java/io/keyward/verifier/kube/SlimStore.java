package io.keyward.verifier.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.function.Supplier;

/**
 * An informer store that keeps only each object's identity (name, namespace, uid, version). The
 * directory keeps what it needs of each object in records of its own, as the events arrive, so the
 * informer's copy is never read: keeping whole Secrets would let anyone who may create a Secret
 * with Keyward's label decide what fills the verifier's heap, and whole ApiKeys and ApiUsers (their
 * managedFields above all) would cost the heap several times what the directory keeps.
 */
final class SlimStore<T extends HasMetadata> extends BasicItemStore<T> {
  private final Supplier<T> fresh;

  SlimStore(Supplier<T> fresh) {
    super(Cache::metaNamespaceKeyFunc);
    this.fresh = fresh;
  }

  @Override
  public T put(String key, T obj) {
    // A new object: the informer hands the one it received to the event handlers.
    T slim = fresh.get();
    ObjectMeta m = obj.getMetadata();
    slim.setMetadata(
        new ObjectMetaBuilder()
            .withName(m.getName())
            .withNamespace(m.getNamespace())
            .withUid(m.getUid())
            .withResourceVersion(m.getResourceVersion())
            .build());
    return super.put(key, slim);
  }

  /**
   * Not the objects' full state: the informer then hands each object of its first list to the
   * handlers as it arrives, rather than what this store kept of it once the list is complete.
   */
  @Override
  public boolean isFullState() {
    return false;
  }
}
