package io.keyward.operator.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.Objects;

/** Whether an update changed more than status: what the update filters of both controllers ask. */
public final class MetadataChange {
  private MetadataChange() {}

  /**
   * True when the spec (generation), annotations (TOTP codes, triggers), labels, finalizers or the
   * deletion changed between the two versions.
   */
  public static boolean between(HasMetadata next, HasMetadata previous) {
    ObjectMeta n = next.getMetadata();
    ObjectMeta p = previous.getMetadata();
    return !Objects.equals(n.getGeneration(), p.getGeneration())
        || !Objects.equals(n.getAnnotations(), p.getAnnotations())
        || !Objects.equals(n.getLabels(), p.getLabels())
        || !Objects.equals(n.getFinalizers(), p.getFinalizers())
        || !Objects.equals(n.getDeletionTimestamp(), p.getDeletionTimestamp());
  }
}
