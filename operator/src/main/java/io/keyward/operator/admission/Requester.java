package io.keyward.operator.admission;

import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.validation.Excerpt;
import java.util.List;

/** Who sent the request, as the API server authenticated them (AdmissionRequest.userInfo). */
public record Requester(String username, List<String> groups) {
  private static final String SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

  public Requester {
    username = username == null ? "" : username;
    groups = groups == null ? List.of() : List.copyOf(groups);
  }

  /** Whether this requester is the owner {@code o} names. */
  public boolean is(ApiUserSpec.Owner o) {
    if (o.name == null) {
      return false;
    }
    return switch (String.valueOf(o.kind)) {
      case "User" -> username.equals(o.name);
      case "Group" -> groups.contains(o.name);
      case "ServiceAccount" ->
          o.namespace != null
              && username.equals(SERVICE_ACCOUNT_PREFIX + o.namespace + ":" + o.name);
      default -> false;
    };
  }

  /** The requester for a message: the user name, quoted and bounded. */
  public String describe() {
    return "user " + Excerpt.of(username);
  }
}
