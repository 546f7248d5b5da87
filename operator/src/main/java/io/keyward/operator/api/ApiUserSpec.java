package io.keyward.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/**
 * What the platform team declares about an account. Every string and list has a size bound, which
 * the operator checks again ({@code ApiUserRules}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ApiUserSpec {
  public static final int DISPLAY_NAME_MAX = 128;
  public static final int NAMESPACES_MAX = 256;

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
        && java.util.Objects.equals(suspended, o.suspended);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(displayName, namespaces, maxKeys, mfa, suspended);
  }
}
