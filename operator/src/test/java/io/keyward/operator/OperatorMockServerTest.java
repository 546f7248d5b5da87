package io.keyward.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.Operator;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.issuance.Fingerprint;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The operator against fabric8's mock API server (CRUD mode): fast checks of the main flow. */
@EnableKubernetesMockClient(crud = true)
class OperatorMockServerTest {
  static KubernetesClient client;
  private static Operator operator;
  private static final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T10:00:00Z"));

  @BeforeAll
  static void start() {
    ApiUser user = new ApiUser();
    user.setMetadata(new ObjectMetaBuilder().withName("mo").build());
    user.setSpec(new ApiUserSpec());
    user.getSpec().namespaces = List.of("*");
    user.getSpec().mfa = new ApiUserSpec.MfaSpec();
    user.getSpec().mfa.totp = "Disabled";
    client.resource(user).create();
    operator =
        KeywardOperator.start(
            client,
            KeywardConfig.defaults(),
            clock,
            new io.keyward.operator.metrics.KeywardMetrics(),
            false,
            "mock",
            false);
  }

  @AfterAll
  static void stop() {
    operator.stop();
  }

  private static ApiKey key(String name) {
    ApiKey k = new ApiKey();
    k.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("mock").build());
    k.setSpec(new ApiKeySpec());
    k.getSpec().user = "mo";
    k.getSpec().note = "mock bot";
    return client.resource(k).create();
  }

  private static ApiKey awaitActive(String name) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> client.resources(ApiKey.class).inNamespace("mock").withName(name).get(),
            k -> k.getStatus() != null && "Active".equals(k.getStatus().phase));
  }

  @Test
  void issuesAKeyWithTheClocksTime() {
    key("mock-bot");
    ApiKey key = awaitActive("mock-bot");
    assertThat(key.getStatus().issuedAt).isEqualTo("2026-11-25T10:00:00Z");
    assertThat(key.getStatus().expiresAt).isEqualTo("2027-02-23T10:00:00Z");
    Secret secret = client.secrets().inNamespace("mock").withName("mock-bot-credentials").get();
    assertThat(Fingerprint.of(CredentialSecret.data(secret, "secretKey").orElseThrow()))
        .isEqualTo(key.getStatus().secretFingerprint);
  }

  @Test
  void noteEditLeavesTheSecretAlone() {
    key("edit-bot");
    ApiKey issued = awaitActive("edit-bot");
    Secret before = client.secrets().inNamespace("mock").withName("edit-bot-credentials").get();
    client
        .resources(ApiKey.class)
        .inNamespace("mock")
        .withName("edit-bot")
        .edit(
            k -> {
              k.getSpec().note = "edited";
              return k;
            });
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> client.resources(ApiKey.class).inNamespace("mock").withName("edit-bot").get(),
            k -> k.getStatus().observedGeneration == k.getMetadata().getGeneration().longValue());
    Secret after = client.secrets().inNamespace("mock").withName("edit-bot-credentials").get();
    assertThat(after.getData()).isEqualTo(before.getData());
    assertThat(after.getMetadata().getResourceVersion())
        .isEqualTo(before.getMetadata().getResourceVersion());
    assertThat(
            client
                .resources(ApiKey.class)
                .inNamespace("mock")
                .withName("edit-bot")
                .get()
                .getStatus()
                .accessKey)
        .isEqualTo(issued.getStatus().accessKey);
  }
}
