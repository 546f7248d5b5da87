package io.keyward.operator.rollout;

import java.util.Arrays;
import java.util.Map;

/**
 * Whether a workload lets an ApiKey restart it. {@code spec.rolloutRestart} is written by whoever
 * may write ApiKeys, and the operator may patch workloads that writer may not: so the workload
 * itself must say yes, in its own metadata, which only those who may change the workload can write.
 * The annotation {@value #ANNOTATION} lists, comma-separated, the names of the ApiKeys of the
 * workload's namespace that may restart it; anything else (no annotation, an empty one, another
 * key's name, a wildcard) is no.
 */
public final class RestartConsent {
  /** The workload annotation that lists the ApiKeys allowed to restart it. */
  public static final String ANNOTATION = "keyward.io/restart-on-rotation";

  private RestartConsent() {}

  /** True if {@code annotations} (a workload's metadata.annotations) name {@code apiKey}. */
  public static boolean grants(Map<String, String> annotations, String apiKey) {
    if (annotations == null || apiKey == null || apiKey.isEmpty()) {
      return false;
    }
    String value = annotations.get(ANNOTATION);
    if (value == null) {
      return false;
    }
    return Arrays.stream(value.split(",")).map(String::trim).anyMatch(apiKey::equals);
  }
}
