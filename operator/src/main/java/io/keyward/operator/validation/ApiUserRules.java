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

  private static final Pattern SERVICE_ACCOUNT =
      Pattern.compile(ApiUserSpec.SERVICE_ACCOUNT_PATTERN);

  private ApiUserRules() {}

  private static void owners(List<ApiUserSpec.Owner> owners, List<String> v) {
    if (owners == null) {
      return;
    }
    if (owners.size() > ApiUserSpec.OWNERS_MAX) {
      v.add(
          "spec.owners: at most "
              + ApiUserSpec.OWNERS_MAX
              + " entries (has "
              + owners.size()
              + "; name a group for more)");
      return;
    }
    for (int i = 0; i < owners.size(); i++) {
      ApiUserSpec.Owner o = owners.get(i);
      String at = "spec.owners[" + i + "]";
      if (o == null) {
        v.add(at + ": must not be null");
        continue;
      }
      if (!List.of("User", "Group", "ServiceAccount").contains(String.valueOf(o.kind))) {
        v.add(at + ".kind: must be User, Group or ServiceAccount (was " + Excerpt.of(o.kind) + ")");
        continue;
      }
      if (o.name == null || o.name.isEmpty()) {
        v.add(at + ".name: is required");
      } else if (o.name.codePointCount(0, o.name.length()) > ApiUserSpec.OWNER_NAME_MAX) {
        v.add(at + ".name: must be at most " + ApiUserSpec.OWNER_NAME_MAX + " characters");
      } else if ("ServiceAccount".equals(o.kind) && !SERVICE_ACCOUNT.matcher(o.name).matches()) {
        v.add(
            at
                + ".name: "
                + Excerpt.of(o.name)
                + " is not a service account name (a DNS subdomain)");
      }
      if ("ServiceAccount".equals(o.kind)) {
        if (o.namespace == null
            || o.namespace.length() > ApiUserSpec.NAMESPACE_MAX
            || !DNS_LABEL.matcher(o.namespace).matches()) {
          v.add(at + ".namespace: a ServiceAccount needs its namespace (a DNS label)");
        }
      } else if (o.namespace != null) {
        v.add(at + ".namespace: only a ServiceAccount has a namespace");
      }
    }
  }

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
    owners(spec.owners, v);
    return v;
  }
}
