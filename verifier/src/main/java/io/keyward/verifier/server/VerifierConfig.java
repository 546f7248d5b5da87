package io.keyward.verifier.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.keyward.verifier.core.ClientAddress;
import io.keyward.verifier.core.Permission;
import io.keyward.verifier.routes.Route;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The verifier's one typed configuration. Sources, later winning: the defaults below, the YAML file
 * ({@code KEYWARD_VERIFIER_CONFIG_FILE}, default {@code /etc/keyward-verifier/config.yaml} when
 * present), the environment ({@code proxy.maxBodyBytes} is {@code
 * KEYWARD_VERIFIER_PROXY_MAX_BODY_BYTES}). A bad value fails at start, naming the setting, its
 * variable and the rule.
 *
 * @param proxyPort the reverse proxy's port; 0: no proxy
 * @param extAuthzPort the Envoy ext_authz gRPC port; 0: none
 * @param adminPort {@code /healthz}, {@code /readyz} and {@code /metrics}; 0: none
 * @param proxyUpstream where the proxy forwards accepted requests (scheme, authority and an
 *     optional base path without a trailing slash); null when the proxy is off
 * @param proxyScheme the one scheme the proxy takes; empty: the request's own
 * @param proxyMaxBodyBytes the largest request body the proxy (and ext_authz) verifies
 * @param proxyConnectTimeout how long connecting to the upstream may take
 * @param proxyResponseTimeout how long the upstream may take to send its whole response
 * @param proxyIdleTimeout how long an idle connection (client's or upstream's) is kept
 * @param extAuthzScheme the one scheme ext_authz takes; empty: the request's own
 * @param routesPreset the preset route table; empty: only {@code routes.table}
 * @param routesTable routes tried before the preset's
 * @param trustedProxies peers whose {@code X-Forwarded-For} is believed
 * @param htxHost the host HTX clients sign; empty: the request's
 * @param recvWindowDefaultMillis the receive window of a request that names none
 * @param recvWindowMaxMillis the largest receive window a request may name
 * @param watchNamespaces the namespaces whose ApiKeys count; empty: all
 * @param recordLastUse whether a key's last use is written to its status
 * @param usageMinInterval the least time between two last-use writes of one key
 * @param replayMaxEntries the most signatures the replay guard remembers at once
 */
public record VerifierConfig(
    int proxyPort,
    int extAuthzPort,
    int adminPort,
    URI proxyUpstream,
    String proxyScheme,
    long proxyMaxBodyBytes,
    Duration proxyConnectTimeout,
    Duration proxyResponseTimeout,
    Duration proxyIdleTimeout,
    String extAuthzScheme,
    String routesPreset,
    List<Route> routesTable,
    List<ClientAddress.Range> trustedProxies,
    String htxHost,
    int recvWindowDefaultMillis,
    int recvWindowMaxMillis,
    Set<String> watchNamespaces,
    boolean recordLastUse,
    Duration usageMinInterval,
    long replayMaxEntries) {

  /** The file read when {@code KEYWARD_VERIFIER_CONFIG_FILE} is not set (if it exists). */
  public static final String DEFAULT_FILE = "/etc/keyward-verifier/config.yaml";

  /** The variable naming the configuration file. */
  public static final String FILE_VARIABLE = "KEYWARD_VERIFIER_CONFIG_FILE";

  /** The receive window no request may exceed (issue 15: at most 60000 ms). */
  public static final int RECV_WINDOW_LIMIT_MILLIS = 60_000;

  /** The largest body the verifier holds in memory for one request. */
  public static final long BODY_LIMIT_BYTES = 64L * 1024 * 1024;

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,31}");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern HOST =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(:[0-9]{1,5})?");

  public static final VerifierOption<Integer> PROXY_PORT =
      new VerifierOption<>(
          "listen.proxyPort",
          "8080",
          "Port of the reverse proxy in front of proxy.upstream; 0 turns it off.",
          VerifierConfig::port);
  public static final VerifierOption<Integer> EXT_AUTHZ_PORT =
      new VerifierOption<>(
          "listen.extAuthzPort",
          "9001",
          "Port of the Envoy external authorization gRPC service"
              + " (envoy.service.auth.v3.Authorization/Check); 0 turns it off.",
          VerifierConfig::port);
  public static final VerifierOption<Integer> ADMIN_PORT =
      new VerifierOption<>(
          "listen.adminPort",
          "9090",
          "Port of /healthz, /readyz and /metrics (Prometheus); 0 turns it off.",
          VerifierConfig::port);
  public static final VerifierOption<URI> PROXY_UPSTREAM =
      new VerifierOption<>(
          "proxy.upstream",
          "",
          "The URL accepted requests are forwarded to (http or https, optionally with a base path);"
              + " required when listen.proxyPort is not 0.",
          VerifierConfig::upstream);
  public static final VerifierOption<String> PROXY_SCHEME =
      new VerifierOption<>(
          "proxy.scheme",
          "",
          "The one signing scheme the proxy takes (keyward, binance, okx, bybit, htx); empty: the"
              + " scheme the request carries.",
          VerifierConfig::name);
  public static final VerifierOption<Long> PROXY_MAX_BODY_BYTES =
      new VerifierOption<>(
          "proxy.maxBodyBytes",
          "1048576",
          "The largest request body verified (proxy and ext_authz); a larger one is refused"
              + " BodyTooLarge without being read. At most 67108864.",
          VerifierConfig::bodyBytes);
  public static final VerifierOption<Duration> PROXY_CONNECT_TIMEOUT =
      new VerifierOption<>(
          "proxy.connectTimeout",
          "5s",
          "How long connecting to the upstream may take (then 502).",
          VerifierConfig::positiveDuration);
  public static final VerifierOption<Duration> PROXY_RESPONSE_TIMEOUT =
      new VerifierOption<>(
          "proxy.responseTimeout",
          "30s",
          "How long the upstream may take to send its whole response (then 504, or the stream is"
              + " cut).",
          VerifierConfig::positiveDuration);
  public static final VerifierOption<Duration> PROXY_IDLE_TIMEOUT =
      new VerifierOption<>(
          "proxy.idleTimeout",
          "60s",
          "How long an idle connection, a client's or the upstream's, is kept open.",
          VerifierConfig::positiveDuration);
  public static final VerifierOption<String> EXT_AUTHZ_SCHEME =
      new VerifierOption<>(
          "extAuthz.scheme",
          "",
          "The one signing scheme ext_authz takes; empty: the scheme the request carries.",
          VerifierConfig::name);
  public static final VerifierOption<String> ROUTES_PRESET =
      new VerifierOption<>(
          "routes.preset",
          "keyward",
          "The preset route table (the exchanges' public paths and the permission each needs);"
              + " empty: routes.table alone.",
          VerifierConfig::name);
  public static final VerifierOption<List<Route>> ROUTES_TABLE =
      new VerifierOption<>(
          "routes.table",
          "",
          "Routes tried before the preset's: a YAML list of {method, path, permission} (method: GET,"
              + " POST, ... or *; path: exact, * for one segment, /** for a subtree; permission:"
              + " read, trade or withdraw).",
          VerifierConfig::routes);
  public static final VerifierOption<List<ClientAddress.Range>> TRUSTED_PROXIES =
      new VerifierOption<>(
          "clientAddress.trustedProxies",
          "",
          "Comma-separated CIDR ranges of proxies whose X-Forwarded-For is believed; empty: the"
              + " client is the connection's peer (Envoy: its source address).",
          VerifierConfig::ranges);
  public static final VerifierOption<String> HTX_HOST =
      new VerifierOption<>(
          "schemes.htx.host",
          "",
          "The host name HTX clients sign (the public one); empty: the request's Host.",
          VerifierConfig::host);
  public static final VerifierOption<Integer> RECV_WINDOW_DEFAULT =
      new VerifierOption<>(
          "schemes.recvWindow.default",
          "5000",
          "The receive window in milliseconds of a request that names none.",
          VerifierConfig::window);
  public static final VerifierOption<Integer> RECV_WINDOW_MAX =
      new VerifierOption<>(
          "schemes.recvWindow.max",
          "60000",
          "The largest receive window in milliseconds a request may name (at most 60000).",
          VerifierConfig::window);
  public static final VerifierOption<Set<String>> WATCH_NAMESPACES =
      new VerifierOption<>(
          "watchNamespaces",
          "",
          "Comma-separated namespaces whose ApiKeys the verifier knows; empty means all.",
          VerifierConfig::namespaces);
  public static final VerifierOption<Boolean> RECORD_LAST_USE =
      new VerifierOption<>(
          "usage.recordLastUse",
          "true",
          "Write each key's last accepted use to its status (the only write the verifier makes).",
          VerifierConfig::bool);
  public static final VerifierOption<Duration> USAGE_MIN_INTERVAL =
      new VerifierOption<>(
          "usage.minInterval",
          "60s",
          "The least time between two last-use writes of one key.",
          VerifierConfig::positiveDuration);
  public static final VerifierOption<Long> REPLAY_MAX_ENTRIES =
      new VerifierOption<>(
          "replay.maxEntries",
          "1000000",
          "The most accepted signatures remembered at once against replay (each until its window"
              + " ends); when full, new requests are refused Unavailable.",
          VerifierConfig::entries);

  /** Every option, in documentation order. */
  public static final List<VerifierOption<?>> OPTIONS =
      List.of(
          PROXY_PORT,
          EXT_AUTHZ_PORT,
          ADMIN_PORT,
          PROXY_UPSTREAM,
          PROXY_SCHEME,
          PROXY_MAX_BODY_BYTES,
          PROXY_CONNECT_TIMEOUT,
          PROXY_RESPONSE_TIMEOUT,
          PROXY_IDLE_TIMEOUT,
          EXT_AUTHZ_SCHEME,
          ROUTES_PRESET,
          ROUTES_TABLE,
          TRUSTED_PROXIES,
          HTX_HOST,
          RECV_WINDOW_DEFAULT,
          RECV_WINDOW_MAX,
          WATCH_NAMESPACES,
          RECORD_LAST_USE,
          USAGE_MIN_INTERVAL,
          REPLAY_MAX_ENTRIES);

  public VerifierConfig {
    routesTable = List.copyOf(routesTable);
    trustedProxies = List.copyOf(trustedProxies);
    watchNamespaces = Set.copyOf(watchNamespaces);
    if (proxyPort != 0 && proxyUpstream == null) {
      throw new IllegalArgumentException(
          "configuration "
              + PROXY_UPSTREAM.path()
              + " ("
              + PROXY_UPSTREAM.envName()
              + "): required when listen.proxyPort is not 0 (set listen.proxyPort: 0 to turn the"
              + " proxy off)");
    }
    int[] ports = {proxyPort, extAuthzPort, adminPort};
    for (int i = 0; i < ports.length; i++) {
      for (int j = i + 1; j < ports.length; j++) {
        if (ports[i] != 0 && ports[i] == ports[j]) {
          throw new IllegalArgumentException(
              "configuration listen.*: listen.proxyPort, listen.extAuthzPort and"
                  + " listen.adminPort must differ (each but 0 is its own listener)");
        }
      }
    }
    if (recvWindowDefaultMillis > recvWindowMaxMillis) {
      throw new IllegalArgumentException(
          "configuration schemes.recvWindow.default must not exceed schemes.recvWindow.max");
    }
    if (routesPreset.isEmpty() && routesTable.isEmpty()) {
      throw new IllegalArgumentException(
          "configuration routes.preset and routes.table: both empty, every request would be"
              + " refused RouteNotFound; name a preset or list routes");
    }
  }

  /** The defaults alone (with the proxy off, since it has no upstream by default). */
  public static VerifierConfig defaults() {
    return from(Map.of(PROXY_PORT.path(), "0"));
  }

  /** Reads the file named by the environment (if any) and the environment itself. */
  public static VerifierConfig load(Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>();
    String file = env.getOrDefault(FILE_VARIABLE, DEFAULT_FILE);
    Path path = Path.of(file);
    if (Files.isRegularFile(path)) {
      values.putAll(readYaml(path));
    } else if (env.containsKey(FILE_VARIABLE)) {
      throw new IllegalArgumentException(FILE_VARIABLE + " names no file: " + file);
    }
    for (VerifierOption<?> option : OPTIONS) {
      String v = env.get(option.envName());
      if (v != null) {
        values.put(option.path(), v);
      }
    }
    return from(values);
  }

  /** Builds a configuration from values keyed by option path; missing ones take the default. */
  public static VerifierConfig from(Map<String, String> values) {
    Set<String> known = OPTIONS.stream().map(VerifierOption::path).collect(Collectors.toSet());
    for (String key : values.keySet()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException(
            "unknown configuration setting "
                + key
                + "; known: "
                + OPTIONS.stream().map(VerifierOption::path).collect(Collectors.joining(", ")));
      }
    }
    return new VerifierConfig(
        get(values, PROXY_PORT),
        get(values, EXT_AUTHZ_PORT),
        get(values, ADMIN_PORT),
        get(values, PROXY_UPSTREAM),
        get(values, PROXY_SCHEME),
        get(values, PROXY_MAX_BODY_BYTES),
        get(values, PROXY_CONNECT_TIMEOUT),
        get(values, PROXY_RESPONSE_TIMEOUT),
        get(values, PROXY_IDLE_TIMEOUT),
        get(values, EXT_AUTHZ_SCHEME),
        get(values, ROUTES_PRESET),
        get(values, ROUTES_TABLE),
        get(values, TRUSTED_PROXIES),
        get(values, HTX_HOST),
        get(values, RECV_WINDOW_DEFAULT),
        get(values, RECV_WINDOW_MAX),
        get(values, WATCH_NAMESPACES),
        get(values, RECORD_LAST_USE),
        get(values, USAGE_MIN_INTERVAL),
        get(values, REPLAY_MAX_ENTRIES));
  }

  /** A copy with some settings changed, keyed by option path (for tests and tools). */
  public VerifierConfig with(Map<String, String> overrides) {
    Map<String, String> values = new LinkedHashMap<>(asValues());
    values.putAll(overrides);
    return from(values);
  }

  /** The settings as a Markdown table (setting, variable, default, meaning) for the README. */
  public static String docs() {
    StringBuilder sb = new StringBuilder();
    sb.append("| setting | variable | default | what it does |\n|---|---|---|---|\n");
    for (VerifierOption<?> o : OPTIONS) {
      sb.append("| `")
          .append(o.path())
          .append("` | `")
          .append(o.envName())
          .append("` | ")
          .append(o.defaultValue().isEmpty() ? "(empty)" : "`" + o.defaultValue() + "`")
          .append(" | ")
          .append(o.description().replace("|", "\\|"))
          .append(" |\n");
    }
    return sb.toString();
  }

  private Map<String, String> asValues() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put(PROXY_PORT.path(), Integer.toString(proxyPort));
    v.put(EXT_AUTHZ_PORT.path(), Integer.toString(extAuthzPort));
    v.put(ADMIN_PORT.path(), Integer.toString(adminPort));
    v.put(PROXY_UPSTREAM.path(), proxyUpstream == null ? "" : proxyUpstream.toString());
    v.put(PROXY_SCHEME.path(), proxyScheme);
    v.put(PROXY_MAX_BODY_BYTES.path(), Long.toString(proxyMaxBodyBytes));
    v.put(PROXY_CONNECT_TIMEOUT.path(), Durations.format(proxyConnectTimeout));
    v.put(PROXY_RESPONSE_TIMEOUT.path(), Durations.format(proxyResponseTimeout));
    v.put(PROXY_IDLE_TIMEOUT.path(), Durations.format(proxyIdleTimeout));
    v.put(EXT_AUTHZ_SCHEME.path(), extAuthzScheme);
    v.put(ROUTES_PRESET.path(), routesPreset);
    List<Map<String, String>> rows = new ArrayList<>();
    for (Route r : routesTable) {
      rows.add(
          Map.of("method", r.method(), "path", r.path(), "permission", r.permission().wireName()));
    }
    try {
      v.put(ROUTES_TABLE.path(), rows.isEmpty() ? "" : JSON.writeValueAsString(rows));
    } catch (JsonProcessingException impossible) {
      throw new IllegalStateException(impossible);
    }
    v.put(
        TRUSTED_PROXIES.path(),
        trustedProxies.stream().map(Object::toString).collect(Collectors.joining(",")));
    v.put(HTX_HOST.path(), htxHost);
    v.put(RECV_WINDOW_DEFAULT.path(), Integer.toString(recvWindowDefaultMillis));
    v.put(RECV_WINDOW_MAX.path(), Integer.toString(recvWindowMaxMillis));
    v.put(WATCH_NAMESPACES.path(), String.join(",", watchNamespaces));
    v.put(RECORD_LAST_USE.path(), Boolean.toString(recordLastUse));
    v.put(USAGE_MIN_INTERVAL.path(), Durations.format(usageMinInterval));
    v.put(REPLAY_MAX_ENTRIES.path(), Long.toString(replayMaxEntries));
    return v;
  }

  private static <T> T get(Map<String, String> values, VerifierOption<T> option) {
    return option.parse(values.getOrDefault(option.path(), option.defaultValue()));
  }

  /** Flattens nested YAML maps into dotted paths; a list of objects stays one JSON value. */
  private static Map<String, String> readYaml(Path path) {
    try {
      JsonNode root = YAML.readTree(path.toFile());
      Map<String, String> out = new LinkedHashMap<>();
      if (root != null && !root.isMissingNode() && !root.isNull()) {
        if (!root.isObject()) {
          throw new IllegalArgumentException(
              "configuration file " + path + ": must be a map of settings");
        }
        flatten("", root, out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read configuration file " + path, e);
    }
  }

  private static void flatten(String prefix, JsonNode node, Map<String, String> out)
      throws JsonProcessingException {
    if (node.isObject()) {
      var fields = node.fields();
      while (fields.hasNext()) {
        var e = fields.next();
        flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
      }
    } else if (node.isArray()) {
      boolean scalars = true;
      for (JsonNode n : node) {
        scalars &= n.isValueNode();
      }
      if (scalars) {
        StringBuilder sb = new StringBuilder();
        node.forEach(n -> sb.append(sb.length() == 0 ? "" : ",").append(n.asText()));
        out.put(prefix, sb.toString());
      } else {
        out.put(prefix, JSON.writeValueAsString(node));
      }
    } else {
      out.put(prefix, node.isNull() ? "" : node.asText());
    }
  }

  private static Integer port(String s) {
    int p;
    try {
      p = Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("must be a port number (0 to 65535)");
    }
    if (p < 0 || p > 65535) {
      throw new IllegalArgumentException("must be a port number (0 to 65535), was " + p);
    }
    return p;
  }

  private static URI upstream(String s) {
    if (s.isEmpty()) {
      return null;
    }
    URI u;
    try {
      u = new URI(s);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("must be a URL such as http://trading-api:8080");
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("must be an http:// or https:// URL");
    }
    if (u.getHost() == null || u.getRawUserInfo() != null) {
      throw new IllegalArgumentException("must name a host, without user information");
    }
    if (u.getRawQuery() != null || u.getRawFragment() != null) {
      throw new IllegalArgumentException("must have no query and no fragment");
    }
    String path = u.getRawPath() == null ? "" : u.getRawPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    if (path.contains("//") || path.contains("/./") || path.contains("/../")) {
      throw new IllegalArgumentException("the base path must be in normal form");
    }
    try {
      return new URI(scheme + "://" + u.getRawAuthority() + path);
    } catch (URISyntaxException impossible) {
      throw new IllegalArgumentException("must be a URL such as http://trading-api:8080");
    }
  }

  private static String name(String s) {
    if (!s.isEmpty() && !NAME.matcher(s).matches()) {
      throw new IllegalArgumentException(
          "must be empty or a name of lower-case letters, digits and -, starting with a letter");
    }
    return s;
  }

  private static Long bodyBytes(String s) {
    long v = longValue(s);
    if (v < 1 || v > BODY_LIMIT_BYTES) {
      throw new IllegalArgumentException("must be 1 to " + BODY_LIMIT_BYTES + " bytes, was " + v);
    }
    return v;
  }

  private static Long entries(String s) {
    long v = longValue(s);
    if (v < 1 || v > 100_000_000L) {
      throw new IllegalArgumentException("must be 1 to 100000000, was " + v);
    }
    return v;
  }

  private static Integer window(String s) {
    long v = longValue(s);
    if (v < 1 || v > RECV_WINDOW_LIMIT_MILLIS) {
      throw new IllegalArgumentException(
          "must be 1 to " + RECV_WINDOW_LIMIT_MILLIS + " milliseconds, was " + v);
    }
    return (int) v;
  }

  private static long longValue(String s) {
    if (!s.matches("-?[0-9]{1,18}")) {
      throw new IllegalArgumentException("must be a whole number");
    }
    return Long.parseLong(s);
  }

  private static Duration positiveDuration(String s) {
    Duration d = Durations.parse(s);
    if (d.isZero()) {
      throw new IllegalArgumentException("must be longer than 0s");
    }
    return d;
  }

  private static Boolean bool(String s) {
    if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(s);
    }
    throw new IllegalArgumentException("must be true or false");
  }

  private static String host(String s) {
    if (!s.isEmpty() && !HOST.matcher(s).matches()) {
      throw new IllegalArgumentException("must be empty or a host name, optionally with :port");
    }
    return s.toLowerCase(Locale.ROOT);
  }

  private static Set<String> namespaces(String s) {
    Set<String> out = new LinkedHashSet<>();
    for (String n : s.split(",")) {
      String ns = n.trim();
      if (ns.isEmpty()) {
        continue;
      }
      if (!DNS_LABEL.matcher(ns).matches()) {
        throw new IllegalArgumentException(
            "each namespace must be a DNS label (lower-case letters, digits and -, at most 63)");
      }
      out.add(ns);
    }
    return out;
  }

  private static List<ClientAddress.Range> ranges(String s) {
    List<String> cidrs =
        Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    return ClientAddress.parseRanges(cidrs);
  }

  private static List<Route> routes(String s) {
    if (s.isEmpty()) {
      return List.of();
    }
    JsonNode node;
    try {
      node = YAML.readTree(s);
    } catch (IOException e) {
      throw new IllegalArgumentException("must be a YAML list of {method, path, permission}");
    }
    if (node == null || node.isNull() || node.isMissingNode()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw new IllegalArgumentException("must be a YAML list of {method, path, permission}");
    }
    List<Route> out = new ArrayList<>();
    int i = 0;
    for (JsonNode row : node) {
      i++;
      try {
        out.add(route(row));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("entry " + i + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static Route route(JsonNode row) {
    if (!row.isObject()) {
      throw new IllegalArgumentException("must be a map {method, path, permission}");
    }
    Set<String> fields = new LinkedHashSet<>();
    row.fieldNames().forEachRemaining(fields::add);
    fields.removeAll(Set.of("method", "path", "permission"));
    if (!fields.isEmpty()) {
      throw new IllegalArgumentException("only method, path and permission are allowed");
    }
    String permission = text(row, "permission");
    Permission p = permission == null ? null : Permission.fromWire(permission);
    if (permission != null && p == null) {
      throw new IllegalArgumentException("routes[].permission: read, trade or withdraw");
    }
    return new Route(text(row, "method"), text(row, "path"), p);
  }

  private static String text(JsonNode row, String field) {
    JsonNode v = row.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new IllegalArgumentException("routes[]." + field + ": must be a string");
    }
    return v.asText();
  }
}
