package io.keyward.verifier.routes;

import io.keyward.verifier.core.Permission;
import java.util.Locale;

/**
 * One row of the route table: which requests it covers and the permission they need.
 *
 * @param method an HTTP method (upper case), or {@code *} for any
 * @param path a path: exact ({@code /api/v3/order}); with {@code *} for exactly one segment ({@code
 *     /api/v3/orders/*}); or ending in {@code /**} for the path before it and everything below
 *     ({@code /sapi/v1/capital/withdraw/**})
 * @param permission what a key needs for these requests
 */
public record Route(String method, String path, Permission permission) {
  public Route {
    if (method == null || method.isBlank()) {
      throw new IllegalArgumentException("routes[].method: required (GET, POST, ... or *)");
    }
    method = method.toUpperCase(Locale.ROOT);
    if (!method.equals("*") && !method.matches("[A-Z]{1,16}")) {
      throw new IllegalArgumentException("routes[].method: an HTTP method or *");
    }
    if (path == null || !path.startsWith("/")) {
      throw new IllegalArgumentException("routes[].path: required, starting with /");
    }
    if (path.length() > 1 && path.endsWith("/") && !path.endsWith("/**")) {
      throw new IllegalArgumentException("routes[].path: no trailing / (use /** for a subtree)");
    }
    String fixed = path.endsWith("/**") ? path.substring(0, path.length() - 3) : path;
    for (String segment : fixed.isEmpty() ? new String[0] : RouteTable.segments(fixed)) {
      if (segment.contains("*") && !segment.equals("*")) {
        throw new IllegalArgumentException(
            "routes[].path: * stands for one whole segment, and /** may only end the path");
      }
    }
    if (!fixed.isEmpty() && !RouteTable.normal(fixed)) {
      // Such a route could never match: requests in this form are refused before lookup.
      throw new IllegalArgumentException(
          "routes[].path: no empty or dot segments, no ; # \\ or raw non-ASCII, and no"
              + " percent-escapes of letters, digits, -._~ or /");
    }
    if (permission == null) {
      throw new IllegalArgumentException("routes[].permission: read, trade or withdraw");
    }
  }
}
