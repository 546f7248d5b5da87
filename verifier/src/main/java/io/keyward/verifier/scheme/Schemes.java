package io.keyward.verifier.scheme;

import io.keyward.verifier.core.RequestView;
import java.time.Clock;
import java.util.List;
import java.util.stream.Collectors;

/** The signing schemes the verifier speaks, and how a request is matched to one. */
public final class Schemes {
  private final List<Scheme> all;

  private Schemes(List<Scheme> all) {
    this.all = List.copyOf(all);
  }

  /**
   * Keyward's own scheme and the four exchanges', with the system clock for the one field of an
   * error reply that tells the time (Bybit's {@code time}); no check reads it.
   */
  public static Schemes standard(SchemeSettings settings) {
    return standard(settings, Clock.systemUTC());
  }

  /** Keyward's own scheme and the four exchanges'. */
  public static Schemes standard(SchemeSettings settings, Clock clock) {
    return new Schemes(
        List.of(
            new KeywardScheme(settings),
            new BinanceScheme(settings),
            new OkxScheme(settings),
            new BybitScheme(settings, clock),
            new HtxScheme(settings)));
  }

  /**
   * The scheme whose key header or parameter the request carries; null when none does, and null
   * when more than one does. Each scheme claims by a marker no other scheme uses ({@code
   * KW-ACCESS-KEY}, {@code X-MBX-APIKEY}, {@code OK-ACCESS-KEY}, {@code X-BAPI-API-KEY}, the query
   * parameter {@code AccessKeyId}), so a request that carries two is refused as malformed rather
   * than read by whichever comes first: the upstream would see the other scheme's fields too,
   * unchecked.
   */
  public Scheme detect(RequestView request) {
    Scheme found = null;
    for (Scheme scheme : all) {
      if (scheme.claims(request)) {
        if (found != null) {
          return null;
        }
        found = scheme;
      }
    }
    return found;
  }

  /**
   * The scheme of this name, for a listener pinned to one.
   *
   * @throws IllegalArgumentException when no scheme has the name, naming the ones there are
   */
  public Scheme named(String name) {
    for (Scheme scheme : all) {
      if (scheme.name().equals(name)) {
        return scheme;
      }
    }
    throw new IllegalArgumentException(
        "scheme: unknown name; known: "
            + all.stream().map(Scheme::name).collect(Collectors.joining(", ")));
  }

  /** Every scheme, in a fixed order: keyward, binance, okx, bybit, htx. */
  public List<Scheme> all() {
    return all;
  }
}
