package io.keyward.verifier.server;

import io.keyward.verifier.KeywardVerifier;
import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.KeyDirectory;
import io.keyward.verifier.core.KeyEntry;
import io.keyward.verifier.core.Permission;
import io.keyward.verifier.routes.Route;
import io.keyward.verifier.routes.RouteTable;
import io.keyward.verifier.scheme.Scheme;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Keys, schemes and routes for the front ends' tests. */
final class Fixtures {
  static final String SECRET = "test-secret-key-0123456789abcdef";
  static final String ACCESS_KEY = "KWTESTACCESSKEY1";
  static final String READ_ONLY_KEY = "KWTESTREADONLY01";

  static final TestScheme ALPHA = new TestScheme("alpha", "X-ALPHA");
  static final TestScheme BETA = new TestScheme("beta", "X-BETA");

  /** The catalog of the tests: two test schemes and one preset, "test". */
  static final KeywardVerifier.Catalog CATALOG =
      new KeywardVerifier.Catalog() {
        @Override
        public List<Scheme> schemes(VerifierConfig config, java.time.Clock clock) {
          return List.of(ALPHA, BETA);
        }

        @Override
        public RouteTable preset(String name) {
          if (!name.equals("test")) {
            throw new IllegalArgumentException("no preset " + name + "; known: test");
          }
          return new RouteTable(
              List.of(
                  new Route("GET", "/api/**", Permission.READ),
                  new Route("POST", "/api/order", Permission.TRADE),
                  new Route("POST", "/api/withdraw", Permission.WITHDRAW)));
        }
      };

  private Fixtures() {}

  /** A map of keys with a readiness switch. */
  static final class Keys implements KeyDirectory {
    final Map<String, KeyEntry> entries = new ConcurrentHashMap<>();
    volatile boolean ready = true;

    @Override
    public boolean ready() {
      return ready;
    }

    @Override
    public KeyEntry find(String accessKey) {
      return entries.get(accessKey);
    }

    Keys add(KeyEntry e) {
      entries.put(e.accessKey(), e);
      return this;
    }
  }

  static KeyEntry key(String accessKey, Set<Permission> permissions, List<InetAddress> ips) {
    return new KeyEntry(
        accessKey,
        "alice",
        "trading",
        accessKey.equals(ACCESS_KEY) ? "bot" : "reader",
        "uid-" + accessKey,
        Algorithm.HMAC_SHA256,
        SECRET.getBytes(StandardCharsets.UTF_8),
        null,
        null,
        permissions,
        ips,
        Instant.parse("2100-01-01T00:00:00Z"),
        null,
        KeyEntry.Standing.IN_FORCE);
  }

  static Keys keys() {
    return new Keys()
        .add(key(ACCESS_KEY, Set.of(Permission.TRADE, Permission.READ), List.of()))
        .add(key(READ_ONLY_KEY, Set.of(Permission.READ), List.of()));
  }

  /** Lowercase hex HMAC-SHA256, computed here and not by the verifier's code. */
  static String sign(String secret, byte[] payload) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(payload));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The test scheme's string to sign. */
  static byte[] payload(String ts, String method, String rawTarget, byte[] body) {
    byte[] head = (ts + method + rawTarget).getBytes(StandardCharsets.ISO_8859_1);
    byte[] out = new byte[head.length + body.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(body, 0, out, head.length, body.length);
    return out;
  }
}
