package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keyward.operator.api.ApiKey;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Deleting an ApiKey revokes it: the finalizer deletes the Secret and records Revoked. */
@ExtendWith(RealCluster.class)
@Order(5)
class DeletionIT {
  private static final String NS = "deletion";
  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    RealCluster.namespace(NS);
    user("dora", NS);
    operator = RunningOperator.start(Map.of());
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  @Test
  void deletionRevokesTheKeyAndDeletesTheSecret() throws Exception {
    key(NS, "gone-bot", "dora", s -> {});
    ApiKey issued = awaitKey(NS, "gone-bot", phase("Active"));
    assertThat(issued.getMetadata().getFinalizers()).contains("keyward.io/revoke");
    String accessKey = issued.getStatus().accessKey;

    client().resources(ApiKey.class).inNamespace(NS).withName("gone-bot").delete();

    await().atMost(WAIT).until(() -> get(NS, "gone-bot") == null);
    assertThat(secret(NS, "gone-bot-credentials")).isNull();
    assertThat(awaitEvents(NS, "gone-bot", "Revoked"))
        .singleElement()
        .satisfies(
            e -> assertThat(e.getMessage()).contains(accessKey).contains("gone-bot-credentials"));
    assertThat(IssuanceIT.auditLines())
        .anySatisfy(l -> assertThat(l).contains("\"action\":\"REVOKED\"").contains(accessKey));
  }

  @Test
  void deletingAKeyThatWasNeverIssuedRevokesNothing() {
    key(NS, "never-bot", "nobody-here", s -> {});
    awaitKey(NS, "never-bot", phase("Pending"));
    client().resources(ApiKey.class).inNamespace(NS).withName("never-bot").delete();
    await().atMost(WAIT).until(() -> get(NS, "never-bot") == null);
    assertThat(events(NS, "never-bot", "Revoked")).isEmpty();
  }
}
