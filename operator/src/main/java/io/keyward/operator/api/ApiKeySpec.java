package io.keyward.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.keyward.operator.validation.Blank;
import java.util.List;
import java.util.Map;

/**
 * What a user declares about a key. Every rule the schema states is checked again by the operator
 * ({@code ApiKeyRules}), because older API servers ignore CEL and a CRD applied by an older chart
 * (or with {@code --validate=false}) may lack a bound. Every string, list and map has a size bound
 * (the constants below; docs/api.md lists them); map keys, which a structural schema cannot bound,
 * are bounded by the operator alone.
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

  /** A DNS subdomain name (RFC 1123), as Kubernetes names objects. */
  public static final String DNS_SUBDOMAIN_PATTERN =
      "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

  /** The characters an IPv4 or IPv6 literal is written with: no spaces, names, ranges or zones. */
  public static final String IP_CHARACTERS_PATTERN = "^[0-9A-Fa-f:.]+$";

  /** A label value as Kubernetes allows it (may be empty). */
  public static final String LABEL_VALUE_PATTERN = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";

  public static final int NAME_MAX = 253;
  public static final int NOTE_MAX = 64;
  public static final int PERMISSIONS_MAX = 3;
  public static final int IPS_MAX = 4;

  /**
   * The longest IPv6 literal with an IPv4 tail, {@code
   * ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255}.
   */
  public static final int IP_MAX = 45;

  public static final int DURATION_MAX = 32;
  public static final int LABELS_MAX = 32;
  public static final int ANNOTATIONS_MAX = 32;

  /** A qualified key: a DNS subdomain prefix (253), a slash and a name (63). */
  public static final int METADATA_KEY_MAX = 317;

  public static final int LABEL_VALUE_MAX = 63;
  public static final int ANNOTATION_VALUE_MAX = 2048;
  public static final int ROLLOUT_RESTART_MAX = 16;

  @JsonPropertyDescription("The ApiUser that owns this key. Immutable.")
  @Required
  @Size(min = 1, max = NAME_MAX)
  @ValidationRule(value = "self == oldSelf", message = "spec.user is immutable")
  public String user;

  @JsonPropertyDescription(
      "What the key is for; at most 64 characters, not blank (spaces of any kind, zero-width and"
          + " control characters alone are blank). Editable.")
  @Required
  @Size(min = 1, max = NOTE_MAX)
  @Pattern(Blank.SCHEMA_PATTERN)
  public String note;

  @JsonPropertyDescription("spot (default) | margin | futures. Immutable.")
  @Default("spot")
  @Pattern("^(spot|margin|futures)$")
  @ValidationRule(value = "self == oldSelf", message = "spec.type is immutable")
  public String type;

  @JsonPropertyDescription("read (default) | trade | withdraw; withdraw needs an ipWhitelist.")
  @Default("[\"read\"]")
  @Size(min = 1, max = PERMISSIONS_MAX)
  @ValidationRule(
      value = "self.all(p, p == 'read' || p == 'trade' || p == 'withdraw')",
      message = "spec.permissions: each must be read, trade or withdraw")
  @ValidationRule(
      value = "self.all(x, self.exists_one(y, y == x))",
      message = "spec.permissions: no duplicates")
  public List<@Pattern("^(read|trade|withdraw)$") String> permissions;

  @JsonPropertyDescription(
      "At most 4 IPv4 or IPv6 addresses the key may be used from, each exactly as written (no"
          + " spaces). Editable.")
  @Size(max = IPS_MAX)
  @ValidationRule(
      value = "self.all(x, self.exists_one(y, y == x))",
      message = "spec.ipWhitelist: no duplicates")
  public List<@Size(min = 2, max = IP_MAX) @Pattern(IP_CHARACTERS_PATTERN) String> ipWhitelist;

  @JsonPropertyDescription(
      "How long a key is valid, e.g. 90d; default and bounds from the operator configuration.")
  @Size(min = 2, max = DURATION_MAX)
  @Pattern(DURATION_PATTERN)
  public String validity;

  @JsonPropertyDescription("What happens as expiry approaches.")
  public Renewal renewal;

  @JsonPropertyDescription("HmacSHA256 (default) | Ed25519.")
  @Default("HmacSHA256")
  @Pattern("^(HmacSHA256|Ed25519)$")
  public String algorithm;

  @JsonPropertyDescription(
      "Generate a passphrase with the key, for OKX-compatible signing (OK-ACCESS-PASSPHRASE)")
  @Default("false")
  public Boolean passphrase;

  @JsonPropertyDescription("The Secret that receives the key material.")
  public SecretTemplate secretTemplate;

  @JsonPropertyDescription("Workloads restarted after a rotation.")
  @Size(max = ROLLOUT_RESTART_MAX)
  public List<WorkloadRef> rolloutRestart;

  /** Renewal policy. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Renewal {
    @JsonPropertyDescription("Rotate (default) | Extend | Never.")
    @Default("Rotate")
    @Pattern("^(Rotate|Extend|Never)$")
    public String policy;

    @JsonPropertyDescription(
        "How long before expiresAt to act; default from configuration. Rotate and Extend: must"
            + " leave limits.minRotationInterval between issuance and renewal.")
    @Size(min = 2, max = DURATION_MAX)
    @Pattern(DURATION_PATTERN)
    public String before;

    @JsonPropertyDescription("Rotate: how long the previous key still verifies.")
    @Size(min = 2, max = DURATION_MAX)
    @Pattern(DURATION_PATTERN)
    public String gracePeriod;
  }

  /** The Secret's name, extra metadata and data key names. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class SecretTemplate {
    @JsonPropertyDescription("Default: <apikey name>-credentials. Fixed once the key is issued.")
    @Size(min = 1, max = NAME_MAX)
    @Pattern(DNS_SUBDOMAIN_PATTERN)
    public String name;

    @JsonPropertyDescription(
        "Extra labels of the Secret: at most 32, Kubernetes label keys and values (at most 63"
            + " characters); none under keyward.io/.")
    @Size(max = LABELS_MAX)
    public Map<String, @Size(max = LABEL_VALUE_MAX) @Pattern(LABEL_VALUE_PATTERN) String> labels;

    @JsonPropertyDescription(
        "Extra annotations of the Secret: at most 32, values at most 2048 characters; none under"
            + " keyward.io/.")
    @Size(max = ANNOTATIONS_MAX)
    public Map<String, @Size(max = ANNOTATION_VALUE_MAX) String> annotations;

    @JsonPropertyDescription("Renames of the data keys, e.g. for envFrom.")
    public KeyNames keyNames;
  }

  /** Data key renames. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class KeyNames {
    @Size(min = 1, max = NAME_MAX)
    @Pattern("^[-._a-zA-Z0-9]+$")
    public String accessKey;

    @Size(min = 1, max = NAME_MAX)
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
    @Size(min = 1, max = NAME_MAX)
    @Pattern(DNS_SUBDOMAIN_PATTERN)
    public String name;
  }
}
