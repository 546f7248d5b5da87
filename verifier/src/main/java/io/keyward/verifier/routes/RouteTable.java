package io.keyward.verifier.routes;

import io.keyward.verifier.core.Permission;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Maps a request's method and path to the permission it needs; the first route that covers the
 * request decides, and a request no route covers is refused. Paths are compared as sent, segment by
 * segment, so a path that an upstream could read as another one is refused before any route is
 * looked at: dot segments ({@code .}, {@code ..}, also percent-encoded), empty segments ({@code
 * //}), encoded slashes or backslashes ({@code %2F}, {@code %5C}, {@code \}). Without this, {@code
 * /api/v3/account/../order} would be matched as an account read and forwarded as an order.
 */
public final class RouteTable {
  private final List<Route> routes;
  private final Compiled[] compiled;

  public RouteTable(List<Route> routes) {
    this.routes = List.copyOf(routes);
    this.compiled = this.routes.stream().map(Compiled::of).toArray(Compiled[]::new);
  }

  /** The routes, in the order they are tried. */
  public List<Route> routes() {
    return routes;
  }

  /** The outcome of looking a request up. */
  public sealed interface Lookup {
    /** A route covers the request. */
    record Found(Permission permission) implements Lookup {}

    /** No route covers it. */
    record NotFound() implements Lookup {}

    /** The path is not in normal form (see the class comment). */
    record Ambiguous() implements Lookup {}
  }

  /** Looks up the permission a request needs. */
  public Lookup lookup(String method, String rawPath) {
    if (!normal(rawPath)) {
      return new Lookup.Ambiguous();
    }
    String[] segments = segments(rawPath);
    for (Compiled c : compiled) {
      if (c.covers(method, segments)) {
        return new Lookup.Found(c.route().permission());
      }
    }
    return new Lookup.NotFound();
  }

  /** The permission a request needs, when a route covers it and its path is normal. */
  public Optional<Permission> permissionFor(String method, String rawPath) {
    return lookup(method, rawPath) instanceof Lookup.Found f
        ? Optional.of(f.permission())
        : Optional.empty();
  }

  static String[] segments(String path) {
    if (path.equals("/")) {
      return new String[0];
    }
    return path.substring(1).split("/", -1);
  }

  /** Whether a raw path reads the same to every upstream: see the class comment. */
  static boolean normal(String rawPath) {
    if (rawPath == null || !rawPath.startsWith("/") || rawPath.indexOf('\\') >= 0) {
      return false;
    }
    String lower = rawPath.toLowerCase(Locale.ROOT);
    if (lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00")) {
      return false;
    }
    if (rawPath.equals("/")) {
      return true;
    }
    for (String s : segments(rawPath)) {
      String decoded = s.toLowerCase(Locale.ROOT).replace("%2e", ".");
      if (s.isEmpty() || decoded.equals(".") || decoded.equals("..")) {
        return false;
      }
    }
    return true;
  }

  /** A route with its path split once. */
  private record Compiled(Route route, String[] segments, boolean subtree) {
    static Compiled of(Route r) {
      boolean subtree = r.path().endsWith("/**");
      String path = subtree ? r.path().substring(0, r.path().length() - 3) : r.path();
      return new Compiled(r, RouteTable.segments(path.isEmpty() ? "/" : path), subtree);
    }

    boolean covers(String method, String[] request) {
      if (!route.method().equals("*") && !route.method().equals(method)) {
        return false;
      }
      if (subtree ? request.length < segments.length : request.length != segments.length) {
        return false;
      }
      for (int i = 0; i < segments.length; i++) {
        if (!segments[i].equals("*") && !segments[i].equals(request[i])) {
          return false;
        }
      }
      return true;
    }
  }
}
