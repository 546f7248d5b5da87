package io.keyward.operator.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;

/**
 * An informer store that one controller fills and another controller reads, so that the cluster's
 * objects of a kind are watched, parsed and held once. The reader must not act on a store that has
 * not been listed yet: an object missing from it may still exist.
 */
public abstract class SharedItemStore<R extends HasMetadata> extends LeanItemStore<R> {
  private volatile boolean synced;

  /** Whether the filling controller's informer has listed its objects once. */
  public boolean synced() {
    return synced;
  }

  void markSynced() {
    synced = true;
  }

  /**
   * An event source for the filling controller that marks this store listed when it starts. JOSDK
   * starts a controller's own informer, and waits for its first list, before any other event source
   * of the controller: when this one starts, the store holds every object.
   */
  public <P extends HasMetadata> SimpleInboundEventSource<P> listedSignal(String name) {
    return new SimpleInboundEventSource<>(name) {
      @Override
      public void start() {
        super.start();
        markSynced();
      }
    };
  }
}
