package io.keyward.verifier.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a Secret offers as HMAC material, and that only a fingerprint picks it. */
class SecretMaterialTest {
  private static Secret secret(String type, Map<String, String> data) {
    SecretBuilder b =
        new SecretBuilder().withNewMetadata().withName("s").endMetadata().withType(type);
    data.forEach(
        (k, v) ->
            b.addToData(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return b.build();
  }

  @Test
  void aValueIsGivenOnlyForItsFingerprint() {
    SecretMaterial m =
        SecretMaterial.of(
            secret(
                "keyward.io/api-key",
                Map.of("secretKey", "current-key", "previousSecretKey", "previous-key")));
    assertThat(m.matching(MockCluster.fingerprint("current-key")))
        .isEqualTo("current-key".getBytes(StandardCharsets.UTF_8));
    assertThat(m.matching(MockCluster.fingerprint("previous-key")))
        .isEqualTo("previous-key".getBytes(StandardCharsets.UTF_8));
    assertThat(m.matching(MockCluster.fingerprint("other"))).isNull();
    assertThat(m.matching("sha256:" + "0".repeat(64))).isNull();
    assertThat(m.matching(null)).isNull();
    assertThat(m.toString()).doesNotContain("current-key").doesNotContain("previous-key");
  }

  @Test
  void otherTypesOversizedValuesAndSecretsWithoutAKeyOfferNothing() {
    assertThat(SecretMaterial.of(secret("Opaque", Map.of("secretKey", "k")))).isNull();
    assertThat(SecretMaterial.of(secret("keyward.io/api-key", Map.of("other", "k")))).isNull();
    String big = "x".repeat(SecretMaterial.MAX_VALUE_BYTES + 1);
    assertThat(SecretMaterial.of(secret("keyward.io/api-key", Map.of("secretKey", big)))).isNull();
    String largest = "x".repeat(SecretMaterial.MAX_VALUE_BYTES);
    assertThat(SecretMaterial.of(secret("keyward.io/api-key", Map.of("secretKey", largest))))
        .isNotNull();
  }
}
