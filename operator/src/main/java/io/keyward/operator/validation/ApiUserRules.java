package io.keyward.operator.validation;

import io.keyward.operator.api.ApiUserSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The rules of an ApiUser spec, checked by the operator as well as the schema (a CRD applied by an
 * older chart may lack a bound). A message quotes a value only as an {@link Excerpt}.
 */
public final class ApiUserRules {
  private static final Pattern DNS_LABEL = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");

  /** Namespace entries one refusal reports; the rest are counted. */
  static final int REPORTED = 20;

  private ApiUserRules() {}

  /** Each broken rule as "field: rule"; empty when valid. */
  public static List<String> validate(ApiUserSpec spec) {
    List<String> v = new ArrayList<>();
    if (spec == null) {
      v.add("spec: is required");
      return v;
    }
    if (spec.displayName != null) {
      int length = spec.displayName.codePointCount(0, spec.displayName.length());
      if (length > ApiUserSpec.DISPLAY_NAME_MAX) {
        v.add(
            "spec.displayName: must be at most "
                + ApiUserSpec.DISPLAY_NAME_MAX
                + " characters (has "
                + length
                + "): "
                + Excerpt.of(spec.displayName));
      }
    }
    if (spec.namespaces == null || spec.namespaces.isEmpty()) {
      v.add("spec.namespaces: is required (list namespaces, or [\"*\"] for any)");
    } else if (spec.namespaces.size() > ApiUserSpec.NAMESPACES_MAX) {
      v.add(
          "spec.namespaces: at most "
              + ApiUserSpec.NAMESPACES_MAX
              + " entries (has "
              + spec.namespaces.size()
              + "; [\"*\"] allows any)");
    } else {
      int bad = 0;
      for (int i = 0; i < spec.namespaces.size(); i++) {
        String ns = spec.namespaces.get(i);
        if ("*".equals(ns)
            || (ns != null
                && ns.length() <= ApiUserSpec.NAMESPACE_MAX
                && DNS_LABEL.matcher(ns).matches())) {
          continue;
        }
        if (++bad <= REPORTED) {
          v.add(
              "spec.namespaces["
                  + i
                  + "]: "
                  + Excerpt.of(ns)
                  + " is not a namespace name (a DNS label of at most "
                  + ApiUserSpec.NAMESPACE_MAX
                  + " characters) or \"*\"");
        }
      }
      if (bad > REPORTED) {
        v.add("spec.namespaces: and " + (bad - REPORTED) + " more entries that are no namespace");
      }
    }
    if (spec.maxKeys != null && (spec.maxKeys < 0 || spec.maxKeys > 1000)) {
      v.add("spec.maxKeys: must lie between 0 and 1000");
    }
    if (spec.mfa != null
        && spec.mfa.totp != null
        && !List.of("Required", "Disabled").contains(spec.mfa.totp)) {
      v.add("spec.mfa.totp: must be Required or Disabled (was " + Excerpt.of(spec.mfa.totp) + ")");
    }
    return v;
  }
}
