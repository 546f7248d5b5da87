package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.keyward.operator.api.ApiKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Failures that end a reconciliation end in status and an event with a reason a user can act on;
 * and a namespace being deleted revokes its keys once and issues nothing again.
 */
@ExtendWith(RealCluster.class)
@Order(5)
class FailureIT {
  private static final String NS = "failures";
  private static final String GONE = "failures-gone";
  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    RealCluster.namespace(NS);
    RealCluster.namespace(GONE);
    user("fay", NS, GONE);
    editUser(
        "fay",
        u -> {
          u.getSpec().maxKeys = 50;
          return u;
        });
    operator = RunningOperator.start(Map.of());
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  @Test
  void aSecretNameTakenByAnUnlabelledSecretEndsInSecretConflict() {
    // Not Keyward's: no label, so no informer of the operator sees it; the create gets 409.
    client()
        .secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("taken-credentials")
                .endMetadata()
                .addToStringData("x", "y")
                .build())
        .create();
    key(NS, "taken", "fay", s -> {});
    ApiKey key = awaitKey(NS, "taken", condition("Ready", "False", "SecretConflict"));
    assertThat(key.getStatus().phase).isEqualTo("Pending");
    assertThat(condition(key, "Ready").get().message)
        .contains("Secret taken-credentials exists and is not controlled by this ApiKey");
    assertThat(awaitEvents(NS, "taken", "SecretConflict")).isNotEmpty();
    assertThat(secret(NS, "taken-credentials").getData()).containsOnlyKeys("x");
  }

  @Test
  void aDeletedNamespaceRevokesEachKeyOnceAndIssuesNothingAgain() throws Exception {
    int n = 20;
    IntStream.range(0, n).forEach(i -> key(GONE, "k" + i, "fay", s -> {}));
    List<String> accessKeys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      accessKeys.add(awaitKey(GONE, "k" + i, phase("Active")).getStatus().accessKey);
    }
    client().namespaces().withName(GONE).delete();
    await()
        .atMost(WAIT.multipliedBy(2))
        .until(() -> client().namespaces().withName(GONE).get() == null);

    Map<String, Integer> revoked = new HashMap<>();
    List<String> issuedAgain = new ArrayList<>();
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              revoked.clear();
              issuedAgain.clear();
              for (JsonNode audit : OperatorLog.audit()) {
                if (!audit.path("apiKey").asText().startsWith(GONE + "/")) {
                  continue;
                }
                String action = audit.path("action").asText();
                String accessKey = audit.path("accessKey").asText();
                if (action.equals("REVOKED")) {
                  revoked.merge(accessKey, 1, Integer::sum);
                } else if (action.equals("ISSUED") && !accessKeys.contains(accessKey)) {
                  issuedAgain.add(accessKey);
                }
              }
              assertThat(revoked.keySet()).containsExactlyInAnyOrderElementsOf(accessKeys);
            });
    assertThat(revoked).allSatisfy((k, count) -> assertThat(count).as(k).isEqualTo(1));
    assertThat(issuedAgain).as("keys issued after their namespace went").isEmpty();
  }
}
