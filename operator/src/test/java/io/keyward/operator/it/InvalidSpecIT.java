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
    if (RealCluster.enforcesCel()) {
      // v1.36 enforces the CRD's CEL rule, so the create itself fails (CelRulesIT: every rule).
      assertThatThrownBy(
              () ->
                  key(NS, "withdraw-bot", "ina", s -> s.permissions = List.of("read", "withdraw")))
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
          .hasMessageContaining("spec.permissions: withdraw needs a non-empty spec.ipWhitelist");
      return;
    }
    key(NS, "withdraw-bot", "ina", s -> s.permissions = List.of("read", "withdraw"));
    assertRefused("withdraw-bot", "Invalid", "InvalidSpec", "spec.permissions", "withdraw needs");
  }

  @Test
  void notAnIpAddress() {
    // Of the characters an address is written with, so the schema lets them through.
    key(NS, "ip-bot", "ina", s -> s.ipWhitelist = List.of("10.0.0.1", "999.1.1.1", "1.2.3"));
    assertRefused(
        "ip-bot",
        "Invalid",
        "InvalidSpec",
        "spec.ipWhitelist[1]",
        "999.1.1.1",
        "spec.ipWhitelist[2]");
  }

  @Test
  void theSchemaOfA120ServerEnforcesTheBounds() {
    // maxLength, maxItems, maxProperties and pattern are structural-schema rules: 1.20 enforces
    // them (not CEL). Its refusal names the list and quotes the item (the operator's own message
    // names the index: ApiKeyRulesTest; so does v1.36's).
    // 1.20 names the list, v1.36 the item.
    assertSchemaRefuses(
        s -> s.ipWhitelist = List.of("10.0.0.1", " 10.0.0.2"),
        (RealCluster.hybrid() ? "spec.ipWhitelist[1]" : "spec.ipWhitelist")
            + ": Invalid value: \" 10.0.0.2\"");
    assertSchemaRefuses(s -> s.ipWhitelist = List.of("host.example"), "spec.ipWhitelist");
    assertSchemaRefuses(s -> s.note = "n".repeat(65), "spec.note");
    assertSchemaRefuses(s -> s.note = "\u00a0\u200b\u3000", "spec.note");
    assertSchemaRefuses(s -> s.permissions = List.of("admin"), "spec.permissions");
    assertSchemaRefuses(
        s -> {
          s.secretTemplate = new io.keyward.operator.api.ApiKeySpec.SecretTemplate();
          s.secretTemplate.labels = Map.of("team", "v".repeat(64));
        },
        "spec.secretTemplate.labels");
    assertSchemaRefuses(
        s -> {
          s.secretTemplate = new io.keyward.operator.api.ApiKeySpec.SecretTemplate();
          Map<String, String> many = new java.util.HashMap<>();
          for (int i = 0; i < 33; i++) {
            many.put("a" + i, "v");
          }
          s.secretTemplate.annotations = many;
        },
        "spec.secretTemplate.annotations");
    // A note of letters and no-break spaces is not blank, and within the bound: accepted.
    key(NS, "nbsp-bot", "ina", s -> s.note = "\u00a0bot\u00a0");
    awaitKey(NS, "nbsp-bot", phase("Active"));
  }

  private static void assertSchemaRefuses(
      java.util.function.Consumer<io.keyward.operator.api.ApiKeySpec> spec, String field) {
    assertThatThrownBy(() -> key(NS, "schema-bot", "ina", spec))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
        .hasMessageContaining(field);
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
    // Withdraw with an address the schema (and CEL) let through but the operator refuses, so the
    // edit is stored on every server version and only the operator's check stops it.
    editKey(
        NS,
        "drift-bot",
        k -> {
          k.getSpec().permissions = List.of("read", "withdraw");
          k.getSpec().ipWhitelist = List.of("999.1.1.1");
          return k;
        });
    ApiKey invalid = awaitKey(NS, "drift-bot", phase("Invalid"));
    assertThat(invalid.getStatus().accessKey).isEqualTo(issued.getStatus().accessKey);
    assertThat(invalid.getStatus().effective.permissions).containsExactly("read", "trade");
    assertThat(secret(NS, "drift-bot-credentials")).isNotNull();
    assertThat(condition(invalid, "Ready").orElseThrow().message).contains("spec.ipWhitelist[0]");
  }

  @Test
  void oneBadKeyDoesNotStopTheOthers() {
    key(NS, "bad-neighbour", "ina", s -> s.validity = "1s");
    key(NS, "good-neighbour", "ina", s -> {});
    awaitKey(NS, "bad-neighbour", phase("Invalid"));
    awaitKey(NS, "good-neighbour", phase("Active"));
  }
}
