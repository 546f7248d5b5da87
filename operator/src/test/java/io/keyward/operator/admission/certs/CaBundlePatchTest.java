package io.keyward.operator.admission.certs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import org.junit.jupiter.api.Test;

/** The caBundle patch: guarded by the resourceVersion read, touching only the stale caBundles. */
class CaBundlePatchTest {
  @Test
  void onlyStaleCaBundlesArePatchedUnderTheReadResourceVersion() throws Exception {
    ValidatingWebhookConfiguration config = ServingCertificatesTest.configuration();
    config.getMetadata().setResourceVersion("41");
    String want = CaBundlePatch.encode("-----BEGIN CERTIFICATE-----\n...");
    config.getWebhooks().get(1).getClientConfig().setCaBundle(want);

    JsonNode ops = new ObjectMapper().readTree(CaBundlePatch.of(config, want).orElseThrow());
    assertThat(ops).hasSize(2);
    assertThat(ops.get(0).get("op").asText()).isEqualTo("test");
    assertThat(ops.get(0).get("path").asText()).isEqualTo("/metadata/resourceVersion");
    assertThat(ops.get(0).get("value").asText()).isEqualTo("41");
    assertThat(ops.get(1).get("op").asText()).isEqualTo("add");
    assertThat(ops.get(1).get("path").asText()).isEqualTo("/webhooks/0/clientConfig/caBundle");
    assertThat(ops.get(1).get("value").asText()).isEqualTo(want);
    assertThat(CaBundlePatch.stale(config, want)).isEqualTo(1);

    config.getWebhooks().get(0).getClientConfig().setCaBundle(want);
    assertThat(CaBundlePatch.of(config, want)).as("nothing to do").isEmpty();
    config.setWebhooks(null);
    assertThat(CaBundlePatch.of(config, want)).isEmpty();
  }
}
