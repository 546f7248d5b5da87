package io.keyward.operator.mfa;

import io.keyward.operator.validation.KeySettings;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * What a spec edit does to a key's access, for users with MFA: narrowing parts apply at once,
 * widening parts (a permission added, an IP address added or the binding removed) wait for a TOTP
 * code, and until then the narrower settings stay in force.
 */
public final class AccessChange {
  private AccessChange() {}

  /** The access a key grants: permissions, and the IP addresses it is bound to (empty: any). */
  public record Access(List<String> permissions, List<String> ipWhitelist) {
    public Access {
      permissions = List.copyOf(permissions);
      ipWhitelist = List.copyOf(ipWhitelist);
    }
  }

  /**
   * The result.
   *
   * @param inForce what verification enforces until a code confirms the rest
   * @param widened what the edit widens, one phrase per change (empty: nothing waits)
   */
  public record Result(Access inForce, List<String> widened) {
    public boolean widens() {
      return !widened.isEmpty();
    }
  }

  /** Compares what was authorized with what the spec asks for. */
  public static Result apply(Access authorized, Access requested) {
    List<String> widened = new ArrayList<>();
    List<String> permissions = new ArrayList<>();
    for (String p : KeySettings.PERMISSIONS) {
      boolean had = authorized.permissions().contains(p);
      boolean wants = requested.permissions().contains(p);
      if (wants && !had) {
        widened.add("adds permission " + p);
      }
      if (wants && had) {
        permissions.add(p);
      }
    }
    List<String> ips;
    var before = new HashSet<>(authorized.ipWhitelist());
    var after = new HashSet<>(requested.ipWhitelist());
    if (before.equals(after)) {
      ips = requested.ipWhitelist();
    } else if (after.isEmpty()) {
      widened.add("removes the IP binding (any address could use the key)");
      ips = authorized.ipWhitelist();
    } else if (before.isEmpty() || before.containsAll(after)) {
      // Binding an unbound key, or dropping addresses: narrower.
      ips = requested.ipWhitelist();
    } else {
      List<String> added =
          requested.ipWhitelist().stream().filter(a -> !before.contains(a)).toList();
      widened.add("adds IP " + String.join(", ", added) + " to spec.ipWhitelist");
      // Addresses dropped by the edit stop at once; with none left the old binding stays, since
      // an empty list would mean any address.
      List<String> kept = authorized.ipWhitelist().stream().filter(after::contains).toList();
      ips = kept.isEmpty() ? authorized.ipWhitelist() : kept;
    }
    return new Result(new Access(permissions, ips), widened);
  }
}
