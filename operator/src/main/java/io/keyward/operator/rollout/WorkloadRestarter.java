package io.keyward.operator.rollout;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.kube.EventRecorder;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restarts the workloads of {@code spec.rolloutRestart} after a rotation, the way {@code kubectl
 * rollout restart} does: a merge patch that sets the pod template's {@code
 * kubectl.kubernetes.io/restartedAt} annotation, so the workload controller rolls its pods and they
 * read the new Secret. A target that is missing or may not be patched is reported in an event and
 * does not fail the rotation.
 */
public final class WorkloadRestarter {
  /** The pod-template annotation kubectl sets. */
  public static final String RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";

  private static final Logger LOG = LoggerFactory.getLogger(WorkloadRestarter.class);
  private static final PatchContext MERGE = PatchContext.of(PatchType.JSON_MERGE);

  private final KubernetesClient client;
  private final EventRecorder events;
  private final Clock clock;

  public WorkloadRestarter(KubernetesClient client, EventRecorder events, Clock clock) {
    this.client = client;
    this.events = events;
    this.clock = clock;
  }

  /** Restarts each target in the key's namespace; returns the ones restarted ("Kind/name"). */
  public List<String> restart(ApiKey key, List<ApiKeySpec.WorkloadRef> targets) {
    List<String> restarted = new ArrayList<>();
    if (targets == null || targets.isEmpty()) {
      return restarted;
    }
    String ns = key.getMetadata().getNamespace();
    String at = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    String patch =
        "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\""
            + RESTARTED_AT
            + "\":\""
            + at
            + "\"}}}}}";
    List<String> failed = new ArrayList<>();
    for (ApiKeySpec.WorkloadRef target : targets) {
      String id = target.kind + "/" + target.name;
      try {
        // The patch goes out on a stub of the workload: fabric8 would GET it first otherwise, and
        // the operator needs (and is granted) nothing but patch on workloads.
        HasMetadata stub =
            switch (target.kind) {
              case "Deployment" -> new Deployment();
              case "StatefulSet" -> new StatefulSet();
              case "DaemonSet" -> new DaemonSet();
              default -> null;
            };
        Object result = null;
        if (stub != null) {
          stub.setMetadata(new ObjectMetaBuilder().withName(target.name).withNamespace(ns).build());
          result = client.resource(stub).patch(MERGE, patch);
        }
        if (result == null) {
          failed.add(id + " (kind not supported)");
        } else {
          restarted.add(id);
        }
      } catch (KubernetesClientException e) {
        failed.add(id + (e.getCode() == 404 ? " (not found)" : " (HTTP " + e.getCode() + ")"));
      }
    }
    String keyId = ns + "/" + key.getMetadata().getName();
    if (!restarted.isEmpty()) {
      LOG.info("ApiKey {}: restarted {}", keyId, restarted);
      events.normal(
          key,
          "RolloutRestarted",
          "restarted " + String.join(", ", restarted) + " to load the rotated key");
    }
    if (!failed.isEmpty()) {
      LOG.info("ApiKey {}: could not restart {}", keyId, failed);
      events.warning(
          key,
          "RolloutRestartFailed",
          "could not restart "
              + String.join(", ", failed)
              + "; the rotated key is in the Secret, restart them by hand");
    }
    return restarted;
  }
}
