package io.keyward.verifier.routes;

import io.keyward.verifier.core.Permission;
import java.util.List;
import java.util.Optional;

/**
 * Maps a request's method and path to the permission it needs; the first route that covers the
 * request decides, and a request no route covers is refused. Paths are compared as sent, segment by
 * segment, and without regard to ASCII case (a case-insensitive upstream, ASP.NET Core's routing
 * for one, reads {@code /API/V3/ORDER} as {@code /api/v3/order}: it must not fall through to a
 * weaker, more general route). A path that an upstream could read as another one is refused before
 * any route is looked at:
 *
 * <ul>
 *   <li>dot segments ({@code .}, {@code ..}) and empty segments ({@code //}, a trailing {@code /});
 *   <li>a percent-escape of a character that needs none (letters, digits, {@code -._~}: {@code
 *       %2e%2e}, {@code /api/v3/%6Frder}), since upstreams decode them before routing;
 *   <li>an escaped or raw slash or backslash ({@code %2F}, {@code %5C}, {@code \}), an escaped
 *       {@code %} ({@code %25}, which an upstream that decodes twice would read as an escape), an
 *       escaped control character ({@code %00}), or a malformed escape;
 *   <li>{@code ;} (Tomcat, Jetty and Spring strip {@code ;name=value} path parameters, so {@code
 *       /api/v3/order;x} is routed as {@code /api/v3/order}), {@code #}, and any raw character that
 *       is a control, a space or not ASCII.
 * </ul>
 *
 * Without this, {@code /api/v3/account/../order} would be matched as an account read and forwarded
 * as an order.
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
    if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/') {
      return false;
    }
    if (rawPath.length() == 1) {
      return true;
    }
    int segmentStart = 1;
    int length = rawPath.length();
    for (int i = 1; i <= length; i++) {
      char c = i < length ? rawPath.charAt(i) : '/';
      if (c == '/') {
        if (!normalSegment(rawPath, segmentStart, i)) {
          return false;
        }
        segmentStart = i + 1;
      } else if (c == '%') {
        if (i + 2 >= length) {
          return false;
        }
        int high = Character.digit(rawPath.charAt(i + 1), 16);
        int low = Character.digit(rawPath.charAt(i + 2), 16);
        if (high < 0 || low < 0 || !escapeAllowed((high << 4) | low)) {
          return false;
        }
        i += 2;
      } else if (c <= 0x20 || c >= 0x7f || c == '\\' || c == ';' || c == '#') {
        return false;
      }
    }
    return true;
  }

  /** A segment is not empty and not a dot segment (escaped dots are refused as escapes). */
  private static boolean normalSegment(String path, int start, int end) {
    int n = end - start;
    if (n == 0) {
      return false;
    }
    return !(path.charAt(start) == '.' && (n == 1 || (n == 2 && path.charAt(start + 1) == '.')));
  }

  /** Whether a percent-escaped byte is one every upstream keeps as data. */
  private static boolean escapeAllowed(int b) {
    boolean unreserved =
        (b >= 'a' && b <= 'z')
            || (b >= 'A' && b <= 'Z')
            || (b >= '0' && b <= '9')
            || b == '-'
            || b == '.'
            || b == '_'
            || b == '~';
    return !unreserved && b > 0x1f && b != 0x7f && b != '/' && b != '\\' && b != '%';
  }

  /** A route with its path split once. */
  private record Compiled(Route route, String[] segments, boolean subtree) {
    static Compiled of(Route r) {
      boolean subtree = r.path().endsWith("/**");
      String path = subtree ? r.path().substring(0, r.path().length() - 3) : r.path();
      return new Compiled(r, RouteTable.segments(path.isEmpty() ? "/" : path), subtree);
    }

    boolean covers(String method, String[] request) {
      if (!route.method().equals("*") && !route.method().equalsIgnoreCase(method)) {
        return false;
      }
      if (subtree ? request.length < segments.length : request.length != segments.length) {
        return false;
      }
      for (int i = 0; i < segments.length; i++) {
        if (!segments[i].equals("*") && !segments[i].equalsIgnoreCase(request[i])) {
          return false;
        }
      }
      return true;
    }
  }
}
