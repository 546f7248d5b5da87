package io.keyward.operator.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.keyward.operator.MutableClock;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.kube.EventRecorder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The restarter against fabric8's mock API server: only workloads of the key's namespace whose own
 * annotation names the key get the restart annotation; the others are told in events.
 */
@EnableKubernetesMockClient(crud = true)
class WorkloadRestarterTest {
  static KubernetesClient client;
  private static final MutableClock CLOCK =
      new MutableClock(Instant.parse("2026-11-25T10:00:00.750Z"));

  @Test
  void restartsOnlyWorkloadsOfTheKeysNamespaceThatNameTheKey() {
    deployment("team", "consents", Map.of(RestartConsent.ANNOTATION, "other, bot"));
    deployment("team", "silent", Map.of());
    deployment("team", "another-key", Map.of(RestartConsent.ANNOTATION, "other"));
    // Consents, but lives in another namespace: a key only ever reaches its own.
    deployment("elsewhere", "remote", Map.of(RestartConsent.ANNOTATION, "bot"));
    client
        .apps()
        .daemonSets()
        .inNamespace("team")
        .resource(
            new DaemonSetBuilder()
                .withMetadata(meta("team", "agent", Map.of(RestartConsent.ANNOTATION, "bot")))
                .withNewSpec()
                .withNewTemplate()
                .endTemplate()
                .endSpec()
                .build())
        .create();
    ApiKey key = key("team", "bot");

    List<String> restarted =
        new WorkloadRestarter(client, new EventRecorder(client, CLOCK, "test"), CLOCK)
            .restart(
                key,
                List.of(
                    ref("Deployment", "consents"),
                    ref("Deployment", "silent"),
                    ref("Deployment", "another-key"),
                    ref("Deployment", "remote"),
                    ref("DaemonSet", "agent"),
                    ref("StatefulSet", "ghost")));

    assertThat(restarted).containsExactly("Deployment/consents", "DaemonSet/agent");
    assertThat(restartedAt("team", "consents")).isEqualTo("2026-11-25T10:00:00Z");
    assertThat(
            client
                .apps()
                .daemonSets()
                .inNamespace("team")
                .withName("agent")
                .get()
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getAnnotations())
        .containsEntry(WorkloadRestarter.RESTARTED_AT, "2026-11-25T10:00:00Z");
    assertThat(restartedAt("team", "silent")).isNull();
    assertThat(restartedAt("team", "another-key")).isNull();
    assertThat(restartedAt("elsewhere", "remote")).isNull();

    assertThat(event("RestartNotConsented").getMessage())
        .contains("Deployment/silent, Deployment/another-key")
        .contains(RestartConsent.ANNOTATION)
        .contains("add bot to it")
        .doesNotContain("consents")
        .doesNotContain("remote");
    assertThat(event("RestartNotConsented").getType()).isEqualTo("Warning");
    assertThat(event("RolloutRestartFailed").getMessage())
        .contains("Deployment/remote (not found)")
        .contains("StatefulSet/ghost (not found)");
    assertThat(event("RolloutRestarted").getMessage())
        .contains("Deployment/consents, DaemonSet/agent");
  }

  @Test
  void noTargetsNoRequests() {
    ApiKey key = key("quiet", "bot");
    assertThat(
            new WorkloadRestarter(client, new EventRecorder(client, CLOCK, "test"), CLOCK)
                .restart(key, List.of()))
        .isEmpty();
    assertThat(client.v1().events().inNamespace("quiet").list().getItems()).isEmpty();
  }

  private static Event event(String reason) {
    List<Event> found =
        client.v1().events().inNamespace("team").list().getItems().stream()
            .filter(e -> reason.equals(e.getReason()))
            .toList();
    assertThat(found).as("events %s", reason).hasSize(1);
    return found.get(0);
  }

  private static String restartedAt(String ns, String name) {
    Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
    Map<String, String> annotations = d.getSpec().getTemplate().getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(WorkloadRestarter.RESTARTED_AT);
  }

  private static void deployment(String ns, String name, Map<String, String> annotations) {
    client
        .apps()
        .deployments()
        .inNamespace(ns)
        .resource(
            new DeploymentBuilder()
                .withMetadata(meta(ns, name, annotations))
                .withNewSpec()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", name)
                .endMetadata()
                .endTemplate()
                .endSpec()
                .build())
        .create();
  }

  private static io.fabric8.kubernetes.api.model.ObjectMeta meta(
      String ns, String name, Map<String, String> annotations) {
    return new ObjectMetaBuilder()
        .withNamespace(ns)
        .withName(name)
        .withAnnotations(annotations)
        .build();
  }

  private static ApiKey key(String ns, String name) {
    ApiKey k = new ApiKey();
    k.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).withUid(name).build());
    k.setSpec(new ApiKeySpec());
    return k;
  }

  private static ApiKeySpec.WorkloadRef ref(String kind, String name) {
    ApiKeySpec.WorkloadRef r = new ApiKeySpec.WorkloadRef();
    r.kind = kind;
    r.name = name;
    return r;
  }
}
