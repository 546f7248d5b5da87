package io.keyward.verifier;

import io.keyward.verifier.core.ClientAddress;
import io.keyward.verifier.core.KeyDirectory;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.ReplayGuard;
import io.keyward.verifier.core.RequestView;
import io.keyward.verifier.core.Verdict;
import io.keyward.verifier.core.VerificationListener;
import io.keyward.verifier.core.Verifier;
import io.keyward.verifier.routes.Route;
import io.keyward.verifier.routes.RouteTable;
import io.keyward.verifier.scheme.Reply;
import io.keyward.verifier.scheme.Scheme;
import io.keyward.verifier.server.VerifierConfig;
import io.keyward.verifier.server.VerifierOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Verifies requests signed with Keyward's keys in process: the same checks, in the same order, as
 * the verifier's reverse proxy and its Envoy ext_authz service, for a service that verifies the
 * requests it receives itself.
 *
 * <pre>{@code
 * KeywardVerifier verifier =
 *     KeywardVerifier.create(VerifierConfig.load(System.getenv()), directory, Clock.systemUTC(),
 *         catalog);
 * RequestView request =
 *     new RequestView("POST", host, rawPath, rawQuery, headers::first, body, clientAddress);
 * Verdict verdict = verifier.verify(request);
 * if (verdict instanceof Verdict.Accepted accepted) {
 *   handle(request, accepted.key().user(), accepted.key().permissions());
 * } else {
 *   Reply reply = verifier.reply((Verdict.Refused) verdict); // the scheme's own error shape
 *   respond(reply.status(), reply.contentType(), reply.body());
 * }
 * }</pre>
 *
 * <p>The request's path and query must be the raw bytes the client sent (not decoded and encoded
 * again) and its body whole: the client signed exactly those. Its client address is the
 * connection's peer, or what {@link #clientAddress()} makes of a trusted proxy's {@code
 * X-Forwarded-For}. A verifier is safe to share between threads.
 */
public final class KeywardVerifier {
  /**
   * What a configuration names that is defined elsewhere: the signing schemes (with the
   * configuration's receive windows and HTX host) and the preset route tables.
   */
  public interface Catalog {
    /** The schemes, in the order a request is offered to them, reading time from {@code clock}. */
    List<Scheme> schemes(VerifierConfig config, Clock clock);

    /**
     * The preset route table of a name.
     *
     * @throws IllegalArgumentException when there is no such preset (naming those there are)
     */
    RouteTable preset(String name);
  }

  private final VerifierConfig config;
  private final KeyDirectory keys;
  private final Verifier verifier;
  private final List<Scheme> schemes;
  private final ReplayGuard replay;
  private final VerificationListener listener;
  private final ClientAddress clientAddress;
  private final Scheme proxyScheme;
  private final Scheme extAuthzScheme;

  /**
   * A verifier of the configuration's schemes and routes (the ones that ship with it), telling no
   * one of its verdicts.
   */
  public static KeywardVerifier create(VerifierConfig config, KeyDirectory keys, Clock clock) {
    return create(config, keys, clock, new StandardCatalog());
  }

  /** A verifier of the configuration's schemes and routes, telling no one of its verdicts. */
  public static KeywardVerifier create(
      VerifierConfig config, KeyDirectory keys, Clock clock, Catalog catalog) {
    return create(config, keys, clock, catalog, (request, verdict, elapsed) -> {});
  }

  /** A verifier of the configuration's schemes and routes that tells {@code listener} of each. */
  public static KeywardVerifier create(
      VerifierConfig config,
      KeyDirectory keys,
      Clock clock,
      Catalog catalog,
      VerificationListener listener) {
    return new KeywardVerifier(
        config,
        keys,
        clock,
        catalog.schemes(config, clock),
        routes(config, catalog),
        new ReplayGuard(config.replayMaxEntries()),
        listener);
  }

  /**
   * A verifier of resolved parts (the server builds its metrics from the same schemes and replay
   * guard).
   *
   * @throws IllegalArgumentException when {@code proxy.scheme} or {@code extAuthz.scheme} names no
   *     scheme of {@code schemes}
   */
  public KeywardVerifier(
      VerifierConfig config,
      KeyDirectory keys,
      Clock clock,
      List<Scheme> schemes,
      RouteTable routes,
      ReplayGuard replay,
      VerificationListener listener) {
    this(config, keys, clock, schemes, routes, replay, listener, Long.MIN_VALUE);
  }

  /**
   * As above, for a process whose replay memory starts empty now: requests signed before {@code
   * signedNotBeforeMillis} are answered Unavailable (see {@link Verifier}), so a signature the
   * process before a restart accepted is not accepted again.
   */
  public KeywardVerifier(
      VerifierConfig config,
      KeyDirectory keys,
      Clock clock,
      List<Scheme> schemes,
      RouteTable routes,
      ReplayGuard replay,
      VerificationListener listener,
      long signedNotBeforeMillis) {
    this.config = config;
    this.keys = keys;
    this.schemes = List.copyOf(schemes);
    this.replay = replay;
    this.listener = listener;
    this.verifier =
        new Verifier(keys, routes, this.schemes, replay, clock, listener, signedNotBeforeMillis);
    this.clientAddress = ClientAddress.trusting(config.trustedProxies());
    this.proxyScheme = pinned(VerifierConfig.PROXY_SCHEME, config.proxyScheme());
    this.extAuthzScheme = pinned(VerifierConfig.EXT_AUTHZ_SCHEME, config.extAuthzScheme());
  }

  /**
   * The route table of a configuration: {@code routes.table} first, then the preset's routes.
   *
   * @throws IllegalArgumentException when {@code routes.preset} names no preset
   */
  public static RouteTable routes(VerifierConfig config, Catalog catalog) {
    List<Route> routes = new ArrayList<>(config.routesTable());
    if (!config.routesPreset().isEmpty()) {
      try {
        routes.addAll(catalog.preset(config.routesPreset()).routes());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "configuration "
                + VerifierConfig.ROUTES_PRESET.path()
                + " ("
                + VerifierConfig.ROUTES_PRESET.envName()
                + "): "
                + e.getMessage(),
            e);
      }
    }
    return new RouteTable(routes);
  }

  /** Verifies a request signed with whichever scheme it carries. */
  public Verdict verify(RequestView request) {
    return verifier.verify(request, null);
  }

  /**
   * Verifies a request.
   *
   * @param pinned the only scheme taken, or null to pick it from the request
   */
  public Verdict verify(RequestView request, Scheme pinned) {
    return verifier.verify(request, pinned);
  }

  /**
   * Refuses a request before verification, for a reason a front end found (a body over the bound),
   * and tells the listeners as of any verdict. The request's body is not read.
   */
  public Verdict.Refused refuse(RequestView request, Scheme pinned, Reason reason) {
    long start = System.nanoTime();
    Scheme scheme = pinned;
    if (scheme == null) {
      for (Scheme s : schemes) {
        if (s.claims(request)) {
          scheme = s;
          break;
        }
      }
    }
    Verdict.Refused refused =
        new Verdict.Refused(scheme == null ? null : scheme.name(), reason, null, null);
    listener.verdict(request, refused, System.nanoTime() - start);
    return refused;
  }

  /** The error response of a refusal, in its scheme's shape. */
  public Reply reply(Verdict.Refused refused) {
    return verifier.reply(refused);
  }

  /** Whether the key directory knows every key; before, every request is refused Unavailable. */
  public boolean ready() {
    return keys.ready();
  }

  /** How many accepted signatures the replay guard remembers now. */
  public long replayEntries() {
    return replay.size();
  }

  /** How a client's address is found (the configuration's trusted proxies). */
  public ClientAddress clientAddress() {
    return clientAddress;
  }

  /** The scheme the reverse proxy is pinned to, or null when it takes the request's own. */
  public Scheme proxyScheme() {
    return proxyScheme;
  }

  /** The scheme ext_authz is pinned to, or null when it takes the request's own. */
  public Scheme extAuthzScheme() {
    return extAuthzScheme;
  }

  /** The schemes, in the order a request is offered to them. */
  public List<Scheme> schemes() {
    return schemes;
  }

  /** The configuration this verifier was built from. */
  public VerifierConfig config() {
    return config;
  }

  private Scheme pinned(VerifierOption<String> option, String name) {
    if (name.isEmpty()) {
      return null;
    }
    for (Scheme s : schemes) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "configuration "
            + option.path()
            + " ("
            + option.envName()
            + "): no scheme is named so; known: "
            + schemes.stream().map(Scheme::name).collect(Collectors.joining(", ")));
  }
}
