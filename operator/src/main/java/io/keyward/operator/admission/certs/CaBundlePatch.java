package io.keyward.operator.admission.certs;

import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The JSON patch (RFC 6902) that sets the caBundle of every webhook of a configuration, and nothing
 * else. It starts with a test of the resourceVersion read, so a configuration changed since (a
 * webhook added, removed or moved, which shifts the indices) makes the API server refuse it instead
 * of writing the bundle into the wrong webhook; the caller reads again and decides again.
 */
final class CaBundlePatch {
  private CaBundlePatch() {}

  /** A caBundle field's value for PEM text: its base64. */
  static String encode(String pem) {
    return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * The patch that makes every webhook's caBundle {@code caBundle} (base64), or empty when all of
   * them already hold it (or there are none).
   */
  static Optional<String> of(ValidatingWebhookConfiguration config, String caBundle) {
    List<ValidatingWebhook> webhooks = config.getWebhooks();
    if (webhooks == null || webhooks.isEmpty()) {
      return Optional.empty();
    }
    List<Map<String, Object>> ops = new ArrayList<>();
    ops.add(op("test", "/metadata/resourceVersion", config.getMetadata().getResourceVersion()));
    for (int i = 0; i < webhooks.size(); i++) {
      ValidatingWebhook w = webhooks.get(i);
      String held = w.getClientConfig() == null ? null : w.getClientConfig().getCaBundle();
      if (caBundle.equals(held)) {
        continue;
      }
      // "add" replaces a member that exists and creates one that does not.
      ops.add(op("add", "/webhooks/" + i + "/clientConfig/caBundle", caBundle));
    }
    return ops.size() == 1 ? Optional.empty() : Optional.of(Serialization.asJson(ops));
  }

  /** How many webhooks of {@code config} hold another caBundle than {@code caBundle}. */
  static long stale(ValidatingWebhookConfiguration config, String caBundle) {
    if (config.getWebhooks() == null) {
      return 0;
    }
    return config.getWebhooks().stream()
        .filter(
            w -> w.getClientConfig() == null || !caBundle.equals(w.getClientConfig().getCaBundle()))
        .count();
  }

  private static Map<String, Object> op(String op, String path, Object value) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("op", op);
    m.put("path", path);
    m.put("value", value);
    return m;
  }
}
