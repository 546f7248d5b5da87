package io.keyward.operator.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import java.util.ArrayList;
import java.util.List;

/**
 * One AdmissionReview request ({@code admission.k8s.io/v1}), as much of it as the rules read.
 * Objects are converted on first use; a body the rules cannot read is refused, never allowed.
 */
public final class Review {
  /** The operations the webhook is registered for (DELETE never is). */
  public enum Operation {
    CREATE,
    UPDATE,
    OTHER
  }

  private final ObjectMapper mapper;
  private final String uid;
  private final String group;
  private final String resource;
  private final String subResource;
  private final Operation operation;
  private final Requester requester;
  private final JsonNode object;
  private final JsonNode oldObject;

  private Review(ObjectMapper mapper, JsonNode request) {
    this.mapper = mapper;
    this.uid = text(request, "uid");
    this.group = text(request.path("resource"), "group");
    this.resource = text(request.path("resource"), "resource");
    this.subResource = text(request, "subResource");
    String op = text(request, "operation");
    this.operation =
        switch (op) {
          case "CREATE" -> Operation.CREATE;
          case "UPDATE" -> Operation.UPDATE;
          default -> Operation.OTHER;
        };
    JsonNode userInfo = request.path("userInfo");
    List<String> groups = new ArrayList<>();
    userInfo.path("groups").forEach(g -> groups.add(g.asText()));
    this.requester = new Requester(text(userInfo, "username"), groups);
    this.object = request.path("object");
    this.oldObject = request.path("oldObject");
  }

  /** Reads the request of an AdmissionReview body; throws on anything that is not one. */
  public static Review parse(ObjectMapper mapper, JsonNode review) {
    if (!"admission.k8s.io/v1".equals(review.path("apiVersion").asText())
        || !"AdmissionReview".equals(review.path("kind").asText())) {
      throw new IllegalArgumentException("not an admission.k8s.io/v1 AdmissionReview");
    }
    JsonNode request = review.path("request");
    if (!request.isObject() || text(request, "uid").isEmpty()) {
      throw new IllegalArgumentException("the AdmissionReview has no request uid");
    }
    return new Review(mapper, request);
  }

  public String uid() {
    return uid;
  }

  public String group() {
    return group;
  }

  public String resource() {
    return resource;
  }

  /** The subresource, {@code ""} for the resource itself. */
  public String subResource() {
    return subResource;
  }

  public Operation operation() {
    return operation;
  }

  public Requester requester() {
    return requester;
  }

  /** Whether the object (as it would be after this write) is being deleted. */
  public boolean terminating() {
    return !object.path("metadata").path("deletionTimestamp").asText("").isEmpty();
  }

  /** Whether this write changes the spec (compared as JSON); always at create. */
  public boolean specChanged() {
    return operation == Operation.CREATE || !object.path("spec").equals(oldObject.path("spec"));
  }

  /**
   * Whether this write changes nothing of the status but {@code status.lastUsedAt} (compared as
   * JSON, so a status field the operator's classes do not know counts as a change).
   */
  public boolean onlyLastUseChanged() {
    JsonNode before = oldObject.path("status");
    JsonNode after = object.path("status");
    if (!before.isObject() || !after.isObject()) {
      return false;
    }
    com.fasterxml.jackson.databind.node.ObjectNode b = before.deepCopy();
    com.fasterxml.jackson.databind.node.ObjectNode a = after.deepCopy();
    b.remove("lastUsedAt");
    a.remove("lastUsedAt");
    return a.equals(b);
  }

  public ApiKey key() {
    return convert(object, ApiKey.class);
  }

  public ApiKey oldKey() {
    return convert(oldObject, ApiKey.class);
  }

  public ApiUser user() {
    return convert(object, ApiUser.class);
  }

  public ApiUser oldUser() {
    return convert(oldObject, ApiUser.class);
  }

  private <T> T convert(JsonNode node, Class<T> type) {
    if (!node.isObject()) {
      throw new IllegalArgumentException("the AdmissionReview carries no object to check");
    }
    try {
      return mapper.treeToValue(node, type);
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      // The message names the field Jackson could not read, never its value.
      throw new IllegalArgumentException(
          "the " + type.getSimpleName() + " in the request cannot be read", e);
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.path(field);
    return v.isTextual() ? v.asText() : "";
  }
}
