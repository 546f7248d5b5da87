package io.keyward.operator.admission;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** AdmissionReviews and ApiKeys as JSON, as the API server sends them to the webhook. */
final class AdmissionFixtures {
  static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private AdmissionFixtures() {}

  /** A valid ApiKey for {@code user}. */
  static ObjectNode key(String ns, String name, String user) {
    ObjectNode k = JSON.createObjectNode();
    k.put("apiVersion", "keyward.io/v1alpha1");
    k.put("kind", "ApiKey");
    k.putObject("metadata").put("name", name).put("namespace", ns).put("uid", "uid-" + name);
    ObjectNode spec = k.putObject("spec");
    spec.put("user", user);
    spec.put("note", "trading bot");
    spec.putArray("permissions").add("read");
    return k;
  }

  /** The review of one write; {@code sub} and {@code old} may be null. */
  static ObjectNode review(
      String op,
      String resource,
      String sub,
      String username,
      List<String> groups,
      JsonNode obj,
      JsonNode old) {
    ObjectNode r = JSON.createObjectNode();
    r.put("apiVersion", "admission.k8s.io/v1");
    r.put("kind", "AdmissionReview");
    ObjectNode req = r.putObject("request");
    req.put("uid", "review-1");
    req.putObject("resource")
        .put("group", "keyward.io")
        .put("version", "v1alpha1")
        .put("resource", resource);
    if (sub != null) {
      req.put("subResource", sub);
    }
    req.put("operation", op);
    req.put("namespace", obj.path("metadata").path("namespace").asText());
    req.put("name", obj.path("metadata").path("name").asText());
    ObjectNode info = req.putObject("userInfo");
    info.put("username", username);
    groups.forEach(info.putArray("groups")::add);
    req.set("object", obj);
    if (old != null) {
      req.set("oldObject", old);
    }
    return r;
  }
}
