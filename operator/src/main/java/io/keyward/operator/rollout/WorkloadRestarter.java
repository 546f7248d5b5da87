package io.keyward.operator.rollout;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
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
 * read the new Secret.
 *
 * <p>Only workloads of the key's namespace, and only those that consent ({@link RestartConsent}):
 * each target is read first, and patched only if its own metadata names the key, with the read
 * resourceVersion as the patch's precondition, so a consent withdrawn in between is honoured. A
 * target that does not consent is reported in a {@code RestartNotConsented} event; one that is
 * missing or may not be read or patched in a {@code RolloutRestartFailed} event. Neither fails the
 * rotation.
 */
public final class WorkloadRestarter {
  /** The pod-template annotation kubectl sets. */
  public static final String RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";

  private static final Logger LOG = LoggerFactory.getLogger(WorkloadRestarter.class);
  private static final PatchContext MERGE = PatchContext.of(PatchType.JSON_MERGE);

  /** Reads and patches of one target that met a newer version before it counts as failed. */
  private static final int ATTEMPTS = 3;

  private final KubernetesClient client;
  private final EventRecorder events;
  private final Clock clock;

  public WorkloadRestarter(KubernetesClient client, EventRecorder events, Clock clock) {
    this.client = client;
    this.events = events;
    this.clock = clock;
  }

  private enum Result {
    RESTARTED,
    NOT_CONSENTED,
    FAILED
  }

  private record Outcome(Result result, String why) {
    static final Outcome RESTARTED = new Outcome(Result.RESTARTED, null);
    static final Outcome NOT_CONSENTED = new Outcome(Result.NOT_CONSENTED, null);

    static Outcome failed(String why) {
      return new Outcome(Result.FAILED, why);
    }
  }

  /**
   * Restarts each consenting target in the key's namespace; returns the ones restarted
   * ("Kind/name").
   */
  public List<String> restart(ApiKey key, List<ApiKeySpec.WorkloadRef> targets) {
    List<String> restarted = new ArrayList<>();
    if (targets == null || targets.isEmpty()) {
      return restarted;
    }
    String ns = key.getMetadata().getNamespace();
    String keyName = key.getMetadata().getName();
    String at = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    List<String> notConsented = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    for (ApiKeySpec.WorkloadRef target : targets) {
      String id = target.kind + "/" + target.name;
      Outcome outcome = restartOne(ns, keyName, target, at);
      switch (outcome.result()) {
        case RESTARTED -> restarted.add(id);
        case NOT_CONSENTED -> notConsented.add(id);
        case FAILED -> failed.add(id + " (" + outcome.why() + ")");
      }
    }
    String keyId = ns + "/" + keyName;
    // One line (JSON-escaped by the encoder); the audit fields are the audit logger's only.
    LOG.info(
        "rollout restart after a rotation of ApiKey {}: restarted {}, not consented {}, failed {}",
        keyId,
        restarted,
        notConsented,
        failed);
    if (!restarted.isEmpty()) {
      events.normal(
          key,
          "RolloutRestarted",
          "restarted " + String.join(", ", restarted) + " to load the rotated key");
    }
    if (!notConsented.isEmpty()) {
      events.warning(
          key,
          "RestartNotConsented",
          "did not restart "
              + String.join(", ", notConsented)
              + ": a workload is restarted only if its annotation "
              + RestartConsent.ANNOTATION
              + " (a comma-separated list of ApiKey names) names this key; add "
              + keyName
              + " to it, or restart the workload by hand");
    }
    if (!failed.isEmpty()) {
      events.warning(
          key,
          "RolloutRestartFailed",
          "could not restart "
              + String.join(", ", failed)
              + "; the rotated key is in the Secret, restart them by hand");
    }
    return restarted;
  }

  private Outcome restartOne(String ns, String keyName, ApiKeySpec.WorkloadRef target, String at) {
    Resource<? extends HasMetadata> workload = workload(ns, target);
    if (workload == null) {
      return Outcome.failed("kind not supported");
    }
    for (int attempt = 1; ; attempt++) {
      try {
        HasMetadata live = workload.get();
        if (live == null) {
          return Outcome.failed("not found");
        }
        if (!RestartConsent.grants(live.getMetadata().getAnnotations(), keyName)) {
          return Outcome.NOT_CONSENTED;
        }
        // The read resourceVersion makes the patch conditional: a workload changed since it was
        // read (its consent withdrawn, say) is read and decided again.
        String patch =
            "{\"metadata\":{\"resourceVersion\":\""
                + live.getMetadata().getResourceVersion()
                + "\"},\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\""
                + RESTARTED_AT
                + "\":\""
                + at
                + "\"}}}}}";
        // On the object read: fabric8 sends the patch without reading the workload again.
        client.resource(live).patch(MERGE, patch);
        return Outcome.RESTARTED;
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409 && attempt < ATTEMPTS) {
          continue;
        }
        return Outcome.failed(
            switch (e.getCode()) {
              case 404 -> "not found";
              case 409 -> "it kept changing";
              default -> "HTTP " + e.getCode();
            });
      }
    }
  }

  private Resource<? extends HasMetadata> workload(String ns, ApiKeySpec.WorkloadRef target) {
    if (target.kind == null || target.name == null) {
      return null;
    }
    return switch (target.kind) {
      case "Deployment" -> client.apps().deployments().inNamespace(ns).withName(target.name);
      case "StatefulSet" -> client.apps().statefulSets().inNamespace(ns).withName(target.name);
      case "DaemonSet" -> client.apps().daemonSets().inNamespace(ns).withName(target.name);
      default -> null;
    };
  }
}
