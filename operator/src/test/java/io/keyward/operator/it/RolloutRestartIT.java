package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.apikey.ApiKeyReconciler;
import io.keyward.operator.rollout.RestartConsent;
import io.keyward.operator.rollout.WorkloadRestarter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code spec.rolloutRestart} restarts a workload only with its consent: the workload's own
 * annotation {@value RestartConsent#ANNOTATION} names the key. A workload that does not consent is
 * left as it is and the key's events say why and what to add; one of the same name in another
 * namespace is never reached.
 */
@ExtendWith(RealCluster.class)
@Order(8)
class RolloutRestartIT {
  private static final String NS = "restarts";
  private static final String ELSEWHERE = "restarts-elsewhere";
  private static final String USER = "rory";
  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    RealCluster.namespace(NS);
    RealCluster.namespace(ELSEWHERE);
    user(USER, NS);
    operator = RunningOperator.start(Map.of());
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  @Test
  void onlyWorkloadsThatNameTheKeyAreRestarted() {
    deployment(NS, "consenting", Map.of(RestartConsent.ANNOTATION, "other-bot,bot"));
    deployment(NS, "unasked", Map.of());
    deployment(NS, "for-another-key", Map.of(RestartConsent.ANNOTATION, "other-bot"));
    // Consents, but in another namespace: the key's targets are in its own namespace only.
    deployment(ELSEWHERE, "remote", Map.of(RestartConsent.ANNOTATION, "bot"));
    key(
        NS,
        "bot",
        USER,
        s ->
            s.rolloutRestart =
                List.of(
                    ref("Deployment", "consenting"),
                    ref("Deployment", "unasked"),
                    ref("Deployment", "for-another-key"),
                    ref("Deployment", "remote")));
    ApiKey issued = awaitKey(NS, "bot", phase("Active"));

    annotateKey(NS, "bot", ApiKeyReconciler.ROTATE_ANNOTATION, "1");
    ApiKey rotated =
        awaitKey(NS, "bot", k -> !issued.getStatus().accessKey.equals(k.getStatus().accessKey));
    assertThat(rotated.getStatus().phase).isEqualTo("Active");

    Event refused = only(awaitEvents(NS, "bot", "RestartNotConsented"));
    assertThat(refused.getType()).isEqualTo("Warning");
    assertThat(refused.getMessage())
        .contains("did not restart Deployment/unasked, Deployment/for-another-key")
        .contains(RestartConsent.ANNOTATION)
        .contains("add bot to it")
        .doesNotContain("consenting")
        .doesNotContain("remote");
    assertThat(only(awaitEvents(NS, "bot", "RolloutRestarted")).getMessage())
        .contains("restarted Deployment/consenting ");
    assertThat(only(awaitEvents(NS, "bot", "RolloutRestartFailed")).getMessage())
        .contains("Deployment/remote (not found)");
    assertThat(restartedAt(NS, "consenting")).isNotNull();
    assertThat(restartedAt(NS, "unasked")).isNull();
    assertThat(restartedAt(NS, "for-another-key")).isNull();
    assertThat(restartedAt(ELSEWHERE, "remote")).isNull();
    assertThat(events(NS, "bot", "Rotated")).hasSize(1);

    // The workload's owner consents: the next rotation restarts it too.
    client()
        .apps()
        .deployments()
        .inNamespace(NS)
        .withName("unasked")
        .edit(
            d -> {
              d.getMetadata().getAnnotations().put(RestartConsent.ANNOTATION, "bot");
              return d;
            });
    annotateKey(NS, "bot", ApiKeyReconciler.ROTATE_ANNOTATION, "2");
    await().atMost(WAIT).until(() -> restartedAt(NS, "unasked") != null);
    assertThat(restartedAt(NS, "for-another-key")).isNull();
    assertThat(restartedAt(ELSEWHERE, "remote")).isNull();

    client().resources(ApiKey.class).inNamespace(NS).withName("bot").delete();
    await().atMost(WAIT).until(() -> get(NS, "bot") == null);
  }

  private static ApiKeySpec.WorkloadRef ref(String kind, String name) {
    ApiKeySpec.WorkloadRef r = new ApiKeySpec.WorkloadRef();
    r.kind = kind;
    r.name = name;
    return r;
  }

  private static Event only(List<Event> events) {
    assertThat(events).hasSize(1);
    return events.get(0);
  }

  private static String restartedAt(String ns, String name) {
    Deployment d = client().apps().deployments().inNamespace(ns).withName(name).get();
    Map<String, String> annotations = d.getSpec().getTemplate().getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(WorkloadRestarter.RESTARTED_AT);
  }

  private static void deployment(String ns, String name, Map<String, String> annotations) {
    client()
        .apps()
        .deployments()
        .inNamespace(ns)
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName(name)
                .withAnnotations(new java.util.HashMap<>(annotations))
                .endMetadata()
                .withNewSpec()
                .withReplicas(0)
                .withNewSelector()
                .addToMatchLabels("app", name)
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", name)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("bot")
                .withImage("example.invalid/bot:1")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();
  }
}
