package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyward.operator.api.ApiKey;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Input the schema of a 1.20 API server lets through (it ignores CEL) is refused by the operator
 * with a reason and a message naming field and rule, and no Secret; the other keys are served.
 */
@ExtendWith(RealCluster.class)
@Order(4)
class InvalidSpecIT {
  private static final String NS = "invalid";
  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    RealCluster.namespace(NS);
    RealCluster.namespace("elsewhere");
    user("ina", NS);
    operator = RunningOperator.start(Map.of());
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  private static void assertRefused(String name, String phase, String reason, String... inMessage) {
    ApiKey key = awaitKey(NS, name, phase(phase));
    assertThat(condition(key, "Ready"))
        .get()
        .satisfies(
            c -> {
              assertThat(c.status).isEqualTo("False");
              assertThat(c.reason).isEqualTo(reason);
              assertThat(c.message).contains(inMessage);
            });
    assertThat(key.getStatus().accessKey).isNull();
    assertThat(secret(NS, name + "-credentials")).isNull();
    assertThat(awaitEvents(NS, name, reason))
        .first()
        .satisfies(e -> assertThat(e.getMessage()).contains(inMessage));
  }

  @Test
  void withdrawWithoutIpWhitelist() {
    key(NS, "withdraw-bot", "ina", s -> s.permissions = List.of("read", "withdraw"));
    assertRefused("withdraw-bot", "Invalid", "InvalidSpec", "spec.permissions", "withdraw needs");
  }

  @Test
  void notAnIpAddress() {
    key(NS, "ip-bot", "ina", s -> s.ipWhitelist = List.of("10.0.0.1", "999.1.1.1", "host.example"));
    assertRefused(
        "ip-bot",
        "Invalid",
        "InvalidSpec",
        "spec.ipWhitelist[1]",
        "999.1.1.1",
        "spec.ipWhitelist[2]");
  }

  @Test
  void validityOutsideTheConfiguredBounds() {
    key(NS, "long-bot", "ina", s -> s.validity = "400d");
    assertRefused("long-bot", "Invalid", "InvalidSpec", "spec.validity", "between 1h and 365d");
  }

  @Test
  void blankNoteIsRefusedByTheSchemaItself() {
    // The pattern rule is enforced even by 1.20; ApiKeyRulesTest covers the operator's own check.
    assertThatThrownBy(() -> key(NS, "blank-bot", "ina", s -> s.note = "   "))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
        .hasMessageContaining("spec.note");
  }

  @Test
  void unknownUserWaitsPending() {
    key(NS, "orphan-bot", "nobody", s -> {});
    assertRefused("orphan-bot", "Pending", "UserNotFound", "spec.user", "nobody");
    // Creating the user admits the key: the ApiUser event wakes it.
    user("nobody", NS);
    awaitKey(NS, "orphan-bot", phase("Active"));
  }

  @Test
  void namespaceNotAllowedForTheUser() {
    ApiKey k = new ApiKey();
    k.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName("far-bot")
            .withNamespace("elsewhere")
            .build());
    k.setSpec(new io.keyward.operator.api.ApiKeySpec());
    k.getSpec().user = "ina";
    k.getSpec().note = "wrong namespace";
    client().resource(k).create();
    ApiKey key = awaitKey("elsewhere", "far-bot", phase("Invalid"));
    assertThat(condition(key, "Ready").orElseThrow().reason).isEqualTo("NamespaceNotAllowed");
    assertThat(condition(key, "Ready").orElseThrow().message).contains("elsewhere").contains("ina");
    assertThat(secret("elsewhere", "far-bot-credentials")).isNull();
  }

  @Test
  void suspendedUserGetsNoKeyUntilLifted() {
    user("sus", NS);
    editUser(
        "sus",
        u -> {
          u.getSpec().suspended = true;
          return u;
        });
    key(NS, "sus-bot", "sus", s -> {});
    assertRefused("sus-bot", "Pending", "UserSuspended", "sus", "suspended");
    editUser(
        "sus",
        u -> {
          u.getSpec().suspended = false;
          return u;
        });
    awaitKey(NS, "sus-bot", phase("Active"));
  }

  @Test
  void anInvalidEditKeepsTheLastValidSettingsInForce() {
    key(NS, "drift-bot", "ina", s -> s.permissions = List.of("read", "trade"));
    ApiKey issued = awaitKey(NS, "drift-bot", phase("Active"));
    editKey(
        NS,
        "drift-bot",
        k -> {
          k.getSpec().permissions = List.of("read", "withdraw");
          return k;
        });
    ApiKey invalid = awaitKey(NS, "drift-bot", phase("Invalid"));
    assertThat(invalid.getStatus().accessKey).isEqualTo(issued.getStatus().accessKey);
    assertThat(invalid.getStatus().effective.permissions).containsExactly("read", "trade");
    assertThat(secret(NS, "drift-bot-credentials")).isNotNull();
    assertThat(condition(invalid, "Ready").orElseThrow().message).contains("spec.permissions");
  }

  @Test
  void oneBadKeyDoesNotStopTheOthers() {
    key(NS, "bad-neighbour", "ina", s -> s.validity = "1s");
    key(NS, "good-neighbour", "ina", s -> {});
    awaitKey(NS, "bad-neighbour", phase("Invalid"));
    awaitKey(NS, "good-neighbour", phase("Active"));
  }
}
