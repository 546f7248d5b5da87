package io.keyward.bench.verifier;

import io.keyward.bench.verifier.BotSigner.BotKey;
import io.keyward.bench.verifier.BotSigner.Kind;
import io.keyward.verifier.core.ReplayGuard;
import io.keyward.verifier.core.RequestView;
import io.keyward.verifier.core.Verdict;
import io.keyward.verifier.core.Verifier;
import io.keyward.verifier.routes.Presets;
import io.keyward.verifier.routes.RouteTable;
import io.keyward.verifier.scheme.Scheme;
import io.keyward.verifier.scheme.SchemeSettings;
import io.keyward.verifier.scheme.Schemes;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One full {@link Verifier#verify(RequestView)} per scheme, on one thread: scheme detection among
 * all five, route lookup in the exchange's preset, reading the signed parts from the raw request,
 * the key lookup among 5,000 keys, standing, address, window and permission checks, the signature
 * (and OKX's passphrase), and the replay guard. Next to it, in the same run, the cryptography alone
 * over the very same bytes: {@code macBare} is a bare {@code Mac.doFinal} on a Mac keyed once,
 * {@code macKeyed} keys the Mac with the request's own secret first and compares the result as the
 * verifier must (for Ed25519 both are one {@code Signature} verify with the request's key).
 *
 * <p>Requests are pre-signed by {@link BotSigner} (plain javax.crypto) against a fixed clock:
 * {@value #REQUESTS} order placements over the keys in turn, each with its own client order id
 * (HTX, which signs no body and only whole seconds, with its own second), so every signature is
 * distinct. The replay guard accepts a signature once; after every pass over the set the verifier
 * is built again with an empty guard (one allocation in {@value #REQUESTS} calls), so each measured
 * call is an acceptance, as in production, and the guard holds at most {@value #REQUESTS}
 * signatures. A call that is not an acceptance fails the run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(1)
public class VerifyBenchmark {
  static final int HMAC_KEYS = 4_000;
  static final int ED25519_KEYS = 1_000;
  static final int REQUESTS = 8_192;
  static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
  static final String HOST = "api.gateway.example";

  @Param({"keyward-hmac", "keyward-ed25519", "binance-hmac", "okx", "bybit", "htx"})
  public String scheme;

  private Kind kind;
  private MemoryKeys keys;
  private RouteTable routes;
  private List<Scheme> schemes;
  private Clock clock;
  private Verifier verifier;
  private RequestView[] requests;
  private byte[][] payloads;
  private byte[][] signatures;
  private SecretKeySpec[] macKeys;
  private PublicKey[] publicKeys;
  private Mac bareMac;
  private Mac keyedMac;
  private Signature ed25519;
  private int next;
  private long refused;
  private Verdict lastRefusal;

  @Setup(Level.Trial)
  public void setUp() throws GeneralSecurityException {
    kind = Kind.ofLabel(scheme);
    clock = Clock.fixed(NOW, ZoneOffset.UTC);
    keys = new MemoryKeys(HMAC_KEYS, ED25519_KEYS, kind == Kind.OKX, NOW.plus(Duration.ofDays(30)));
    routes = Presets.named(kind.preset);
    schemes = Schemes.standard(SchemeSettings.defaults(), clock).all();
    List<BotKey> bots = keys.bots(kind.ed25519());
    requests = new RequestView[REQUESTS];
    payloads = new byte[REQUESTS][];
    signatures = new byte[REQUESTS][];
    macKeys = new SecretKeySpec[REQUESTS];
    publicKeys = new PublicKey[REQUESTS];
    for (int i = 0; i < REQUESTS; i++) {
      BotKey bot = bots.get(i % bots.size());
      long ts =
          kind == Kind.HTX
              ? NOW.toEpochMilli() - 1000L * (1 + i / bots.size())
              : NOW.toEpochMilli() - 1 - (i % 3000);
      BotSigner.Signed signed = BotSigner.sign(kind, bot, ts, i, HOST);
      requests[i] = signed.request().view(MemoryKeys.BOT_ADDRESS);
      payloads[i] = signed.payload();
      if (kind.ed25519()) {
        publicKeys[i] = keys.find(bot.accessKey()).publicKey();
        signatures[i] = BotSigner.ed25519(bot.privateKey(), payloads[i]);
      } else {
        macKeys[i] = new SecretKeySpec(bot.secret().getBytes(StandardCharsets.UTF_8), "HmacSHA256");
        signatures[i] = BotSigner.hmac(bot.secret(), payloads[i]);
      }
    }
    // Every request must be accepted, or the figures would be of a refusal.
    Verifier check = newVerifier();
    for (int i = 0; i < REQUESTS; i++) {
      Verdict v = check.verify(requests[i]);
      if (!(v instanceof Verdict.Accepted)) {
        throw new IllegalStateException(scheme + ": request " + i + " was not accepted: " + v);
      }
    }
    verifier = newVerifier();
    bareMac = Mac.getInstance("HmacSHA256");
    bareMac.init(kind.ed25519() ? new SecretKeySpec(new byte[32], "HmacSHA256") : macKeys[0]);
    keyedMac = Mac.getInstance("HmacSHA256");
    ed25519 = Signature.getInstance("Ed25519");
  }

  private Verifier newVerifier() {
    return new Verifier(
        keys, routes, schemes, new ReplayGuard(1_000_000), clock, (request, verdict, ns) -> {});
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (refused > 0) {
      throw new IllegalStateException(
          scheme + ": " + refused + " measured calls were refused, the last: " + lastRefusal);
    }
  }

  /** One full verification. */
  @Benchmark
  public Verdict verify() {
    if (next == REQUESTS) {
      next = 0;
      verifier = newVerifier();
    }
    Verdict v = verifier.verify(requests[next++]);
    if (!(v instanceof Verdict.Accepted)) {
      refused++;
      lastRefusal = v;
    }
    return v;
  }

  /** The cryptography alone: a bare {@code Mac.doFinal} over the same payload (Ed25519: verify). */
  @Benchmark
  public Object macBare() throws GeneralSecurityException {
    if (next == REQUESTS) {
      next = 0;
    }
    int i = next++;
    if (kind.ed25519()) {
      return ed25519Verifies(i);
    }
    return bareMac.doFinal(payloads[i]);
  }

  /**
   * What any verifier of per-key secrets must do at least: key the Mac with the request's secret,
   * MAC the payload, compare in constant time (Ed25519: verify with the request's key).
   */
  @Benchmark
  public boolean macKeyed() throws GeneralSecurityException {
    if (next == REQUESTS) {
      next = 0;
    }
    int i = next++;
    if (kind.ed25519()) {
      return ed25519Verifies(i);
    }
    keyedMac.init(macKeys[i]);
    return MessageDigest.isEqual(keyedMac.doFinal(payloads[i]), signatures[i]);
  }

  private boolean ed25519Verifies(int i) throws GeneralSecurityException {
    ed25519.initVerify(publicKeys[i]);
    ed25519.update(payloads[i]);
    return ed25519.verify(signatures[i]);
  }
}
