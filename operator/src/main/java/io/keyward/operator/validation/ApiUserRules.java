package io.keyward.operator.validation;

import io.keyward.operator.api.ApiUserSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The rules of an ApiUser spec, checked by the operator as well as the schema. */
public final class ApiUserRules {
  private static final Pattern DNS_LABEL = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");

  private ApiUserRules() {}

  /** Each broken rule as "field: rule"; empty when valid. */
  public static List<String> validate(ApiUserSpec spec) {
    List<String> v = new ArrayList<>();
    if (spec == null) {
      v.add("spec: is required");
      return v;
    }
    if (spec.namespaces == null || spec.namespaces.isEmpty()) {
      v.add("spec.namespaces: is required (list namespaces, or [\"*\"] for any)");
    } else {
      for (int i = 0; i < spec.namespaces.size(); i++) {
        String ns = spec.namespaces.get(i);
        if (!"*".equals(ns)
            && (ns == null || ns.length() > 63 || !DNS_LABEL.matcher(ns).matches())) {
          v.add("spec.namespaces[" + i + "]: '" + ns + "' is not a namespace name or \"*\"");
        }
      }
    }
    if (spec.maxKeys != null && (spec.maxKeys < 0 || spec.maxKeys > 1000)) {
      v.add("spec.maxKeys: must lie between 0 and 1000");
    }
    if (spec.mfa != null
        && spec.mfa.totp != null
        && !List.of("Required", "Disabled").contains(spec.mfa.totp)) {
      v.add("spec.mfa.totp: must be Required or Disabled");
    }
    return v;
  }
}
