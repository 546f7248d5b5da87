package io.keyward.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * What the platform team declares about an account. Every string and list has a size bound, which
 * the operator checks again ({@code ApiUserRules}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ApiUserSpec {
  public static final int DISPLAY_NAME_MAX = 128;
  public static final int NAMESPACES_MAX = 256;
  public static final int OWNERS_MAX = 32;

  /** A user or group name, as Kubernetes authenticators hand them over. */
  public static final int OWNER_NAME_MAX = 253;

  /** A service account name is a DNS subdomain. */
  public static final String SERVICE_ACCOUNT_PATTERN =
      "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

  /** A namespace name is a DNS label. */
  public static final int NAMESPACE_MAX = 63;

  /** A namespace name (a DNS label), or {@code *} for any. */
  public static final String NAMESPACE_PATTERN = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?|\\*)$";

  @JsonPropertyDescription("A human-readable name for the account; at most 128 characters.")
  @Size(max = DISPLAY_NAME_MAX)
  public String displayName;

  @JsonPropertyDescription(
      "The namespaces where this user's keys may live (at most 256); [\"*\"] means any"
          + " namespace.")
  @Required
  @Size(min = 1, max = NAMESPACES_MAX)
  public List<@Size(min = 1, max = NAMESPACE_MAX) @Pattern(NAMESPACE_PATTERN) String> namespaces;

  @JsonPropertyDescription(
      "How many keys may hold a slot at once, across key types; default from the operator"
          + " configuration (limits.keysPerUser).")
  @Min(0)
  @Max(1000)
  public Integer maxKeys;

  @JsonPropertyDescription("Multi-factor authentication for issuing this user's keys.")
  public MfaSpec mfa;

  @JsonPropertyDescription(
      "true: every key of the user stops verifying and none is issued; nothing is deleted.")
  public Boolean suspended;

  @JsonPropertyDescription(
      "Who holds this account (at most 32): when set, only these users, groups and service"
          + " accounts may create or change ApiKeys that name this user and hand in its TOTP"
          + " codes (checked by the admission webhook); unset: whoever RBAC lets.")
  @Size(max = OWNERS_MAX)
  public List<Owner> owners;

  /** One holder of the account, named as in an RBAC subject. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "self.kind == 'ServiceAccount' ? has(self.namespace) : !has(self.namespace)",
      message = "spec.owners: namespace is required for a ServiceAccount and not allowed otherwise")
  @ValidationRule(
      value =
          "self.kind != 'ServiceAccount' || self.name.matches('"
              + "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
              + "')",
      message = "spec.owners: a ServiceAccount's name is a DNS subdomain")
  public static class Owner {
    @JsonPropertyDescription("User, Group or ServiceAccount.")
    @Required
    @Pattern("^(User|Group|ServiceAccount)$")
    public String kind;

    @JsonPropertyDescription(
        "The user name, group name or service account name, as the API server authenticates"
            + " it; at most 253 characters.")
    @Required
    @Size(min = 1, max = OWNER_NAME_MAX)
    public String name;

    @JsonPropertyDescription("The service account's namespace (ServiceAccount only).")
    @Size(min = 1, max = NAMESPACE_MAX)
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    public String namespace;

    public Owner() {}

    public Owner(String kind, String name, String namespace) {
      this.kind = kind;
      this.name = name;
      this.namespace = namespace;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Owner o
          && java.util.Objects.equals(kind, o.kind)
          && java.util.Objects.equals(name, o.name)
          && java.util.Objects.equals(namespace, o.namespace);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(kind, name, namespace);
    }
  }

  /** MFA settings. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class MfaSpec {
    @JsonPropertyDescription("Required (default): keys are confirmed with a TOTP code. Disabled.")
    @Pattern("^(Required|Disabled)$")
    @io.fabric8.generator.annotation.Default("Required")
    public String totp;

    @Override
    public boolean equals(Object other) {
      return other instanceof MfaSpec o && java.util.Objects.equals(totp, o.totp);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(totp);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ApiUserSpec o
        && java.util.Objects.equals(displayName, o.displayName)
        && java.util.Objects.equals(namespaces, o.namespaces)
        && java.util.Objects.equals(maxKeys, o.maxKeys)
        && java.util.Objects.equals(mfa, o.mfa)
        && java.util.Objects.equals(suspended, o.suspended)
        && java.util.Objects.equals(owners, o.owners);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(displayName, namespaces, maxKeys, mfa, suspended, owners);
  }
}
