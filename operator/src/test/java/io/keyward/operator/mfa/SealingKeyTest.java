package io.keyward.operator.mfa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.keyward.operator.MockApiServer;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sealing key on a mock API server: made once, by create, and the same key for every operator
 * that loads it after; a Secret of that name without a 256-bit key stops the start, and no message
 * carries the key.
 */
class SealingKeyTest {
  static MockApiServer api;
  static KubernetesClient client;

  @BeforeAll
  static void start() {
    api = new MockApiServer();
    client = api.client();
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  @Test
  void theFirstLoadCreatesTheKeyAndEveryLaterOneUsesIt() {
    SeedSeal first = SealingKey.load(client, "first");
    Secret secret = client.secrets().inNamespace("first").withName(SealingKey.NAME).get();
    assertThat(secret.getType()).isEqualTo(SealingKey.TYPE);
    assertThat(secret.getImmutable()).isTrue();
    assertThat(Base64.getDecoder().decode(secret.getData().get(SealingKey.KEY))).hasSize(32);
    assertThat(secret.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "keyward")
        .containsEntry("keyward.io/purpose", "sealing-key");

    String sealed = first.seal("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "alice", "uid-1");
    SeedSeal second = SealingKey.load(client, "first");
    assertThat(second.open(sealed, "alice", "uid-1")).isEqualTo("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    assertThat(client.secrets().inNamespace("first").withName(SealingKey.NAME).get())
        .as("not written again")
        .extracting(s -> s.getMetadata().getResourceVersion())
        .isEqualTo(secret.getMetadata().getResourceVersion());
  }

  @Test
  void aSecretWithoutA256BitKeyStopsTheStart() {
    String wrong = Base64.getEncoder().encodeToString(new byte[16]);
    client
        .secrets()
        .inNamespace("short")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(SealingKey.NAME)
                .withNamespace("short")
                .endMetadata()
                .withData(Map.of(SealingKey.KEY, wrong))
                .build())
        .create();
    assertThatThrownBy(() -> SealingKey.load(client, "short"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "Secret short/keyward-sealing-key: data.key must hold 32 bytes (an AES-256 key)")
        .message()
        .doesNotContain(wrong);
  }

  @Test
  void aSecretWithNoKeyStopsTheStart() {
    client
        .secrets()
        .inNamespace("empty")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(SealingKey.NAME)
                .withNamespace("empty")
                .endMetadata()
                .withStringData(Map.of("other", "x"))
                .build())
        .create();
    assertThatThrownBy(() -> SealingKey.load(client, "empty"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("data.key must hold 32 bytes");
  }
}
