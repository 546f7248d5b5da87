package io.keyward.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Map;

/**
 * What a user declares about a key. Every rule the schema states is checked again by the operator
 * ({@code ApiKeyRules}), because older API servers ignore CEL.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "!has(self.permissions) || !('withdraw' in self.permissions)"
            + " || (has(self.ipWhitelist) && size(self.ipWhitelist) > 0)",
    message = "spec.permissions: withdraw needs a non-empty spec.ipWhitelist")
public class ApiKeySpec {
  /** A duration such as 90d, 36h, 15m, 30s or 1d12h. */
  public static final String DURATION_PATTERN = "^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$";

  @JsonPropertyDescription("The ApiUser that owns this key. Immutable.")
  @Required
  @Size(min = 1, max = 253)
  @ValidationRule(value = "self == oldSelf", message = "spec.user is immutable")
  public String user;

  @JsonPropertyDescription("What the key is for; non-blank, at most 64 characters. Editable.")
  @Required
  @Size(min = 1, max = 64)
  @Pattern(".*\\S.*")
  public String note;

  @JsonPropertyDescription("spot (default) | margin | futures. Immutable.")
  @Default("spot")
  @Pattern("^(spot|margin|futures)$")
  @ValidationRule(value = "self == oldSelf", message = "spec.type is immutable")
  public String type;

  @JsonPropertyDescription("read (default) | trade | withdraw; withdraw needs an ipWhitelist.")
  @Default("[\"read\"]")
  @Size(min = 1, max = 3)
  @ValidationRule(
      value = "self.all(p, p == 'read' || p == 'trade' || p == 'withdraw')",
      message = "spec.permissions: each must be read, trade or withdraw")
  @ValidationRule(
      value = "self.all(x, self.exists_one(y, y == x))",
      message = "spec.permissions: no duplicates")
  public List<String> permissions;

  @JsonPropertyDescription("At most 4 IPv4 or IPv6 addresses the key may be used from. Editable.")
  @Size(max = 4)
  @ValidationRule(
      value = "self.all(x, self.exists_one(y, y == x))",
      message = "spec.ipWhitelist: no duplicates")
  public List<String> ipWhitelist;

  @JsonPropertyDescription(
      "How long a key is valid, e.g. 90d; default and bounds from the operator configuration.")
  @Size(min = 2, max = 32)
  @Pattern(DURATION_PATTERN)
  public String validity;

  @JsonPropertyDescription("What happens as expiry approaches.")
  public Renewal renewal;

  @JsonPropertyDescription("HmacSHA256 (default) | Ed25519.")
  @Default("HmacSHA256")
  @Pattern("^(HmacSHA256|Ed25519)$")
  public String algorithm;

  @JsonPropertyDescription("The Secret that receives the key material.")
  public SecretTemplate secretTemplate;

  @JsonPropertyDescription("Workloads restarted after a rotation.")
  @Size(max = 16)
  public List<WorkloadRef> rolloutRestart;

  /** Renewal policy. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Renewal {
    @JsonPropertyDescription("Rotate (default) | Extend | Never.")
    @Default("Rotate")
    @Pattern("^(Rotate|Extend|Never)$")
    public String policy;

    @JsonPropertyDescription("How long before expiresAt to act; default from configuration.")
    @Size(min = 2, max = 32)
    @Pattern(DURATION_PATTERN)
    public String before;

    @JsonPropertyDescription("Rotate: how long the previous key still verifies.")
    @Size(min = 2, max = 32)
    @Pattern(DURATION_PATTERN)
    public String gracePeriod;
  }

  /** The Secret's name, extra metadata and data key names. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class SecretTemplate {
    @JsonPropertyDescription("Default: <apikey name>-credentials. Fixed once the key is issued.")
    @Size(min = 1, max = 253)
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
    public String name;

    public Map<String, String> labels;
    public Map<String, String> annotations;

    @JsonPropertyDescription("Renames of the data keys, e.g. for envFrom.")
    public KeyNames keyNames;
  }

  /** Data key renames. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class KeyNames {
    @Size(min = 1, max = 253)
    @Pattern("^[-._a-zA-Z0-9]+$")
    public String accessKey;

    @Size(min = 1, max = 253)
    @Pattern("^[-._a-zA-Z0-9]+$")
    public String secretKey;
  }

  /** A workload to restart after a rotation. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class WorkloadRef {
    @Required
    @Pattern("^(Deployment|StatefulSet|DaemonSet)$")
    public String kind;

    @Required
    @Size(min = 1, max = 253)
    public String name;
  }
}
