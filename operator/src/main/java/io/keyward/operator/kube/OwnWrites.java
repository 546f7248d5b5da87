package io.keyward.operator.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The resourceVersion of the status each resource last got from this operator, so that an update
 * that changed only the status can be told apart: the operator's own write needs no reconciliation,
 * a write by anyone else (a tenant whose role includes the status subresource) does, since status
 * is never believed and such a write is repaired and reported. One entry per resource, dropped when
 * the resource goes.
 */
public final class OwnWrites {
  private final Map<String, String> versions = new ConcurrentHashMap<>();

  /** Remembers {@code written}, as the server returned it after a status write. */
  public void wrote(HasMetadata written) {
    versions.put(written.getMetadata().getUid(), written.getMetadata().getResourceVersion());
  }

  /** Whether {@code resource} is the version this operator's last status write produced. */
  public boolean isOwn(HasMetadata resource) {
    String rv = versions.get(resource.getMetadata().getUid());
    return rv != null && rv.equals(resource.getMetadata().getResourceVersion());
  }

  /** Forgets a resource that is gone. */
  public void forget(HasMetadata resource) {
    versions.remove(resource.getMetadata().getUid());
  }
}
