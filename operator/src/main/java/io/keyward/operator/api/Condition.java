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
}
