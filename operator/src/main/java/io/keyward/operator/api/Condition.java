package io.keyward.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Required;

/** A Kubernetes-style condition. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Condition {
  @Required public String type;

  @Required
  @io.fabric8.generator.annotation.Pattern("^(True|False|Unknown)$")
  public String status;

  public String reason;
  public String message;
  public String lastTransitionTime;
  public Long observedGeneration;

  public Condition() {}

  public Condition(String type, String status, String reason, String message) {
    this.type = type;
    this.status = status;
    this.reason = reason;
    this.message = message;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Condition o
        && java.util.Objects.equals(type, o.type)
        && java.util.Objects.equals(status, o.status)
        && java.util.Objects.equals(reason, o.reason)
        && java.util.Objects.equals(message, o.message)
        && java.util.Objects.equals(lastTransitionTime, o.lastTransitionTime)
        && java.util.Objects.equals(observedGeneration, o.observedGeneration);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(
        type, status, reason, message, lastTransitionTime, observedGeneration);
  }
}
