package io.keyward.verifier.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.verifier.core.KeyEntry.Standing;
import io.keyward.verifier.routes.Route;
import io.keyward.verifier.routes.RouteTable;
import io.keyward.verifier.scheme.Reply;
import io.keyward.verifier.scheme.Scheme;
import io.keyward.verifier.scheme.SignedParts;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The verification core with a scheme of the test's own ({@link HeaderScheme}): every signature is
 * computed here with plain {@code javax.crypto} and {@code java.security}, and every test asserts
 * the verdict a client would see. Several tests send a request that is wrong in more than one way,
 * to pin the order of the checks (issue 15, item 2).
 */
class VerifierTest {
  private static final Instant NOW = Instant.parse("2027-01-10T12:00:00Z");
  private static final String SECRET = "Zq3fV8sK1pX0mW7rT2yB6nH4cJ9dL5gE";
  private static final InetAddress BOUND = address("203.0.113.10");
  private static final InetAddress STRANGER = address("198.51.100.7");

  private static final RouteTable ROUTES =
      new RouteTable(
          List.of(
              new Route("GET", "/api/v1/account", Permission.READ),
              new Route("POST", "/api/v1/orders", Permission.TRADE),
              new Route("GET", "/api/v1/orders/**", Permission.READ),
              new Route("POST", "/api/v1/withdrawals", Permission.WITHDRAW)));

  private final TestClock clock = new TestClock(NOW);
  private final Directory directory = new Directory();
  private final List<Verdict> heard = new ArrayList<>();
  private final HeaderScheme scheme =
      new HeaderScheme("test", "T-", EnumSet.allOf(Algorithm.class));
  private Verifier verifier;

  @BeforeEach
  void setUp() {
    verifier = verifierWith(new ReplayGuard(10_000), scheme);
  }

  private Verifier verifierWith(ReplayGuard guard, Scheme... schemes) {
    return new Verifier(
        directory, ROUTES, List.of(schemes), guard, clock, (r, v, elapsed) -> heard.add(v));
  }

  // --- accepted -------------------------------------------------------------------------------

  @Test
  void acceptsAnHmacSignedRequestForARouteItsPermissionsAllow() {
    KeyEntry key = directory.add(hmacKey("KWHMAC"));

    Verdict verdict = verifier.verify(order("KWHMAC").sign(SECRET));

    assertThat(verdict).isInstanceOf(Verdict.Accepted.class);
    Verdict.Accepted accepted = (Verdict.Accepted) verdict;
    assertThat(accepted.key()).isSameAs(key);
    assertThat(accepted.needed()).isEqualTo(Permission.TRADE);
    assertThat(accepted.scheme()).isEqualTo("test");
  }

  @Test
  void acceptsAnEd25519SignedRequestAndRefusesOneSignedWithAnotherKey() throws Exception {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    directory.add(ed25519Key("KWED", pair));

    assertThat(verifier.verify(order("KWED").sign(pair.getPrivate())))
        .isInstanceOf(Verdict.Accepted.class);
    assertThat(reason(verifier.verify(order("KWED").body("{\"n\":2}").sign(other.getPrivate()))))
        .isEqualTo(Reason.BAD_SIGNATURE);
  }

  @Test
  void anEd25519SignatureMadeMalleableIsRefused() throws Exception {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    directory.add(ed25519Key("KWED", pair));
    Request request = order("KWED");
    RequestView genuine = request.sign(pair.getPrivate());
    byte[] sig = Base64.getDecoder().decode(genuine.headers().first("T-SIG"));
    // S + L (the group order) verifies under a lax check; RFC 8032 requires S < L.
    java.math.BigInteger order =
        java.math.BigInteger.TWO
            .pow(252)
            .add(new java.math.BigInteger("27742317777372353535851937790883648493"));
    byte[] le = java.util.Arrays.copyOfRange(sig, 32, 64);
    byte[] be = new byte[32];
    for (int i = 0; i < 32; i++) {
      be[i] = le[31 - i];
    }
    byte[] sum = new java.math.BigInteger(1, be).add(order).toByteArray();
    byte[] malleated = sig.clone();
    java.util.Arrays.fill(malleated, 32, 64, (byte) 0);
    for (int i = 0; i < sum.length && i < 32; i++) {
      malleated[32 + i] = sum[sum.length - 1 - i];
    }
    RequestView forged =
        request.header("T-SIG", Base64.getEncoder().encodeToString(malleated)).build();

    assertThat(reason(verifier.verify(forged))).isEqualTo(Reason.BAD_SIGNATURE);
    assertThat(verifier.verify(genuine)).isInstanceOf(Verdict.Accepted.class);
  }

  // --- before the key: readiness, scheme, route, the request's form --------------------------

  @Test
  void beforeTheCachesAreSyncedEveryRequestIsUnavailableNeverAnUnknownKey() {
    directory.add(hmacKey("KWKNOWN"));
    directory.ready = false;

    assertThat(reason(verifier.verify(order("KWNOBODY").sign(SECRET))))
        .isEqualTo(Reason.UNAVAILABLE);
    assertThat(reason(verifier.verify(order("KWKNOWN").sign(SECRET))))
        .isEqualTo(Reason.UNAVAILABLE);
    assertThat(reason(verifier.verify(order("KWNOBODY").path("/nowhere").sign(SECRET))))
        .isEqualTo(Reason.UNAVAILABLE);

    directory.ready = true;
    assertThat(reason(verifier.verify(order("KWNOBODY").sign(SECRET))))
        .isEqualTo(Reason.UNKNOWN_KEY);
  }

  @Test
  void aRequestNoSchemeRecognisesIsMalformedAndAnsweredInTheFirstSchemesShape() {
    RequestView unsigned =
        new RequestView(
            "GET", "api.test", "/api/v1/account", null, name -> null, new byte[0], BOUND);

    Verdict verdict = verifier.verify(unsigned);

    assertThat(reason(verdict)).isEqualTo(Reason.MALFORMED);
    assertThat(verdict.scheme()).isNull();
    assertThat(verifier.reply((Verdict.Refused) verdict))
        .isEqualTo(new Reply(400, "text/plain", "test:Malformed"));
  }

  @Test
  void aListenerPinnedToOneSchemeRefusesARequestSignedWithAnother() {
    HeaderScheme other = new HeaderScheme("other", "O-", EnumSet.allOf(Algorithm.class));
    verifier = verifierWith(new ReplayGuard(100), scheme, other);
    directory.add(hmacKey("KWHMAC"));

    Verdict pinned = verifier.verify(order("KWHMAC").sign(SECRET), other);

    assertThat(reason(pinned)).isEqualTo(Reason.MALFORMED);
    assertThat(pinned.scheme()).isEqualTo("other");
    assertThat(verifier.reply((Verdict.Refused) pinned).body()).isEqualTo("other:Malformed");
    assertThat(verifier.verify(order("KWHMAC").sign(SECRET), scheme))
        .isInstanceOf(Verdict.Accepted.class);
  }

  @Test
  void aRouteNotInTheTableIsRefusedBeforeTheKeyIsLookedAt() {
    directory.add(hmacKey("KWHMAC"));

    assertThat(reason(verifier.verify(order("KWNOBODY").path("/api/v1/unknown").sign(SECRET))))
        .isEqualTo(Reason.ROUTE_NOT_FOUND);
    assertThat(reason(verifier.verify(order("KWHMAC").method("PUT").sign(SECRET))))
        .isEqualTo(Reason.ROUTE_NOT_FOUND);
  }

  @Test
  void aPathAnUpstreamCouldReadAsAnotherIsMalformed() {
    directory.add(hmacKey("KWHMAC"));

    Verdict verdict =
        verifier.verify(order("KWHMAC").path("/api/v1/account/../orders").sign(SECRET));

    assertThat(reason(verdict)).isEqualTo(Reason.MALFORMED);
  }

  @Test
  void aMissingOrUnreadableTimestampIsMalformedWhateverTheKey() {
    directory.add(hmacKey("KWHMAC"));

    assertThat(reason(verifier.verify(order("KWNOBODY").header("T-TS", null).sign(SECRET))))
        .isEqualTo(Reason.MALFORMED);
    assertThat(reason(verifier.verify(order("KWHMAC").header("T-TS", "soon").sign(SECRET))))
        .isEqualTo(Reason.MALFORMED);
  }

  // --- the key --------------------------------------------------------------------------------

  @Test
  void anUnknownKeyIsRefusedBeforeAddressTimestampPermissionAndSignature() {
    directory.add(hmacKey("KWHMAC"));

    Verdict verdict =
        verifier.verify(
            order("KWNOBODY")
                .from(STRANGER)
                .timestamp(NOW.minusSeconds(3600))
                .path("/api/v1/withdrawals")
                .sign("not the secret"));

    assertThat(reason(verdict)).isEqualTo(Reason.UNKNOWN_KEY);
    Verdict.Refused refused = (Verdict.Refused) verdict;
    assertThat(refused.accessKey()).isEqualTo("KWNOBODY");
    assertThat(refused.key()).isNull();
  }

  @ParameterizedTest
  @CsvSource({"REVOKED, KEY_REVOKED", "INVALID, KEY_INVALID", "SUSPENDED, USER_SUSPENDED"})
  void aKeyNotInForceIsRefusedForItsStandingBeforeEveryLaterCheck(
      Standing standing, Reason expected) {
    KeyEntry key = directory.add(hmacKey("KWHMAC").standing(standing));

    Verdict wrongInEveryWay =
        verifier.verify(
            order("KWHMAC")
                .from(STRANGER)
                .timestamp(NOW.minusSeconds(3600))
                .path("/api/v1/withdrawals")
                .sign("not the secret"));
    Verdict otherwiseRight = verifier.verify(order("KWHMAC").sign(SECRET));

    assertThat(reason(wrongInEveryWay)).isEqualTo(expected);
    assertThat(((Verdict.Refused) wrongInEveryWay).key()).isSameAs(key);
    assertThat(reason(otherwiseRight)).isEqualTo(expected);
  }

  @Test
  void aKeyExpiresAtItsExpiresAtAndIsRefusedAsExpiredBeforeTheAddressCheck() {
    directory.add(hmacKey("KWHMAC").expiresAt(NOW.plusSeconds(60)));

    clock.set(NOW.plusSeconds(60).minusMillis(1));
    assertThat(verifier.verify(order("KWHMAC").timestamp(clock.instant()).sign(SECRET)))
        .isInstanceOf(Verdict.Accepted.class);

    clock.set(NOW.plusSeconds(60));
    assertThat(reason(verifier.verify(order("KWHMAC").timestamp(clock.instant()).sign(SECRET))))
        .isEqualTo(Reason.KEY_EXPIRED);
    assertThat(
            reason(
                verifier.verify(
                    order("KWHMAC").from(STRANGER).timestamp(clock.instant()).sign("wrong"))))
        .isEqualTo(Reason.KEY_EXPIRED);
  }

  @Test
  void aPreviousKeyVerifiesUntilItsGraceEndsAndIsUnknownFromThen() {
    Instant graceEnds = NOW.plus(Duration.ofHours(24));
    directory.add(hmacKey("KWPREVIOUS").validUntil(graceEnds));

    assertThat(verifier.verify(order("KWPREVIOUS").sign(SECRET)))
        .isInstanceOf(Verdict.Accepted.class);

    clock.set(graceEnds.minusMillis(1));
    assertThat(verifier.verify(order("KWPREVIOUS").timestamp(clock.instant()).sign(SECRET)))
        .isInstanceOf(Verdict.Accepted.class);

    clock.set(graceEnds);
    Verdict after = verifier.verify(order("KWPREVIOUS").timestamp(clock.instant()).sign(SECRET));
    assertThat(reason(after)).isEqualTo(Reason.UNKNOWN_KEY);
    assertThat(((Verdict.Refused) after).key()).isNull();
  }

  @Test
  void aSchemeThatCannotCarryTheKeysAlgorithmRefusesItBeforeTheAddressCheck() throws Exception {
    HeaderScheme hmacOnly = new HeaderScheme("hmaconly", "T-", EnumSet.of(Algorithm.HMAC_SHA256));
    verifier = verifierWith(new ReplayGuard(100), hmacOnly);
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    directory.add(ed25519Key("KWED", pair));

    assertThat(reason(verifier.verify(order("KWED").from(STRANGER).sign(pair.getPrivate()))))
        .isEqualTo(Reason.ALGORITHM_NOT_SUPPORTED);
  }

  // --- address --------------------------------------------------------------------------------

  @Test
  void aClientOutsideTheBindingIsRefusedBeforeTimestampPermissionAndSignature() {
    directory.add(hmacKey("KWHMAC").permissions(Permission.READ));

    assertThat(reason(verifier.verify(order("KWHMAC").from(STRANGER).sign("not the secret"))))
        .isEqualTo(Reason.IP_NOT_ALLOWED);
    assertThat(
            reason(
                verifier.verify(
                    order("KWHMAC").from(STRANGER).timestamp(NOW.minusSeconds(60)).sign(SECRET))))
        .isEqualTo(Reason.IP_NOT_ALLOWED);
    assertThat(reason(verifier.verify(order("KWHMAC").from(null).sign(SECRET))))
        .isEqualTo(Reason.IP_NOT_ALLOWED);
  }

  @Test
  void theBoundAddressSeenThroughAnIpv6SocketIsTheSameClient() throws Exception {
    directory.add(hmacKey("KWHMAC"));
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    System.arraycopy(BOUND.getAddress(), 0, mapped, 12, 4);

    assertThat(
            verifier.verify(
                order("KWHMAC").from(Inet6Address.getByAddress(null, mapped, -1)).sign(SECRET)))
        .isInstanceOf(Verdict.Accepted.class);
  }

  @Test
  void aKeyBoundToNoAddressTakesAnyClient() {
    directory.add(hmacKey("KWANY").ipWhitelist(List.of()));

    assertThat(verifier.verify(order("KWANY").from(STRANGER).sign(SECRET)))
        .isInstanceOf(Verdict.Accepted.class);
    assertThat(verifier.verify(order("KWANY").from(null).body("{\"n\":2}").sign(SECRET)))
        .isInstanceOf(Verdict.Accepted.class);
  }

  // --- timestamp ------------------------------------------------------------------------------

  @ParameterizedTest(name = "timestamp {0} ms from now, window {1}: accepted {2}")
  @CsvSource({
    "-5000, , true",
    "-5001, , false",
    "999, , true",
    "1000, , false",
    "-60000, 60000, true",
    "-60001, 60000, false",
    "-1000, 1000, true",
    "-1001, 1000, false"
  })
  void theTimestampMustLieInsideTheWindow(long offset, Long window, boolean accepted) {
    directory.add(hmacKey("KWHMAC"));
    Request request = order("KWHMAC").timestamp(NOW.plusMillis(offset));
    if (window != null) {
      request.header("T-WINDOW", Long.toString(window));
    }

    Verdict verdict = verifier.verify(request.sign(SECRET));

    if (accepted) {
      assertThat(verdict).isInstanceOf(Verdict.Accepted.class);
    } else {
      assertThat(reason(verdict)).isEqualTo(Reason.TIMESTAMP_OUTSIDE_WINDOW);
    }
  }

  @Test
  void aStaleTimestampIsRefusedBeforePermissionAndSignature() {
    directory.add(hmacKey("KWHMAC").permissions(Permission.READ));

    Verdict verdict =
        verifier.verify(
            order("KWHMAC")
                .timestamp(NOW.minusMillis(5001))
                .path("/api/v1/withdrawals")
                .sign("not the secret"));

    assertThat(reason(verdict)).isEqualTo(Reason.TIMESTAMP_OUTSIDE_WINDOW);
  }

  // --- permission -----------------------------------------------------------------------------

  @Test
  void aRouteNeedsItsPermissionAndAMissingOneIsRefusedBeforeTheSignature() {
    directory.add(hmacKey("KWREAD").permissions(Permission.READ));
    directory.add(hmacKey("KWTRADE").permissions(Permission.READ, Permission.TRADE));

    assertThat(reason(verifier.verify(order("KWREAD").sign("not the secret"))))
        .isEqualTo(Reason.PERMISSION_DENIED);
    assertThat(reason(verifier.verify(order("KWREAD").sign(SECRET))))
        .isEqualTo(Reason.PERMISSION_DENIED);
    assertThat(
            verifier.verify(order("KWREAD").method("GET").path("/api/v1/orders/42").sign(SECRET)))
        .isInstanceOf(Verdict.Accepted.class);
    assertThat(reason(verifier.verify(order("KWTRADE").path("/api/v1/withdrawals").sign(SECRET))))
        .isEqualTo(Reason.PERMISSION_DENIED);
    assertThat(verifier.verify(order("KWTRADE").sign(SECRET))).isInstanceOf(Verdict.Accepted.class);
  }

  // --- passphrase and signature ---------------------------------------------------------------

  @Test
  void thePassphraseMustBeTheKeysAndIsCheckedBeforeTheSignature() {
    directory.add(hmacKey("KWPASS").passphrase("correct horse"));
    directory.add(hmacKey("KWNOPASS"));

    assertThat(verifier.verify(order("KWPASS").header("T-PASS", "correct horse").sign(SECRET)))
        .isInstanceOf(Verdict.Accepted.class);
    assertThat(
            reason(
                verifier.verify(order("KWPASS").header("T-PASS", "correct horse!").sign(SECRET))))
        .isEqualTo(Reason.BAD_PASSPHRASE);
    assertThat(reason(verifier.verify(order("KWPASS").header("T-PASS", "wrong").sign("wrong"))))
        .isEqualTo(Reason.BAD_PASSPHRASE);
    assertThat(
            reason(
                verifier.verify(order("KWNOPASS").header("T-PASS", "correct horse").sign(SECRET))))
        .isEqualTo(Reason.BAD_PASSPHRASE);
    // A key with a passphrase is not taken without it (through a scheme that sends none).
    assertThat(reason(verifier.verify(order("KWPASS").sign(SECRET))))
        .isEqualTo(Reason.BAD_PASSPHRASE);
  }

  @Test
  void aMethodThatIsNotAnUpperCaseTokenIsMalformed() {
    directory.add(hmacKey("KWHMAC"));
    // The upstream gets the method as sent: "get" verified as a read could act as anything.
    assertThat(reason(verifier.verify(order("KWHMAC").method("get").sign(SECRET))))
        .isEqualTo(Reason.MALFORMED);
    assertThat(reason(verifier.verify(order("KWHMAC").method("P0ST").sign(SECRET))))
        .isEqualTo(Reason.MALFORMED);
  }

  @Test
  void aVerifierStartedAgainTakesNothingSignedBeforeItStarted() {
    directory.add(hmacKey("KWHMAC"));
    RequestView before = order("KWHMAC").timestamp(NOW.minusMillis(1)).sign(SECRET);
    assertThat(verifier.verify(before)).isInstanceOf(Verdict.Accepted.class);

    // A restart: the replay memory is empty, so what was signed before the start is refused
    // (Unavailable: the client signs anew), and what is signed from the start is accepted.
    Verifier restarted =
        new Verifier(
            directory,
            ROUTES,
            List.of(scheme),
            new ReplayGuard(10_000),
            clock,
            (r, v, e) -> {},
            NOW.toEpochMilli());
    assertThat(reason(restarted.verify(before))).isEqualTo(Reason.UNAVAILABLE);
    assertThat(restarted.verify(order("KWHMAC").timestamp(NOW).sign(SECRET)))
        .isInstanceOf(Verdict.Accepted.class);
  }

  @Test
  void aSignatureOverOtherBytesOrWithAnotherSecretIsRefused() {
    directory.add(hmacKey("KWHMAC"));

    assertThat(reason(verifier.verify(order("KWHMAC").sign("not the secret"))))
        .isEqualTo(Reason.BAD_SIGNATURE);
    assertThat(reason(verifier.verify(withBody(order("KWHMAC").sign(SECRET), "{\"qty\":1000}"))))
        .isEqualTo(Reason.BAD_SIGNATURE);
    assertThat(reason(verifier.verify(order("KWHMAC").header("T-SIG", "AAAA").build())))
        .isEqualTo(Reason.BAD_SIGNATURE);
  }

  // --- replay ---------------------------------------------------------------------------------

  @Test
  void aSignatureIsAcceptedOnceAndItsReplayRefused() {
    KeyEntry key = directory.add(hmacKey("KWHMAC"));
    RequestView request = order("KWHMAC").sign(SECRET);

    assertThat(verifier.verify(request)).isInstanceOf(Verdict.Accepted.class);
    clock.set(NOW.plusMillis(4999));
    Verdict replay = verifier.verify(request);

    assertThat(reason(replay)).isEqualTo(Reason.REPLAYED);
    assertThat(((Verdict.Refused) replay).key()).isSameAs(key);
  }

  @Test
  void aRefusedAttemptDoesNotUseTheSignatureUp() {
    directory.add(hmacKey("KWHMAC"));
    RequestView genuine = order("KWHMAC").sign(SECRET);

    assertThat(reason(verifier.verify(withBody(genuine, "{\"qty\":1000}"))))
        .isEqualTo(Reason.BAD_SIGNATURE);
    assertThat(reason(verifier.verify(withClient(genuine, STRANGER))))
        .isEqualTo(Reason.IP_NOT_ALLOWED);
    assertThat(verifier.verify(genuine)).isInstanceOf(Verdict.Accepted.class);
    assertThat(reason(verifier.verify(genuine))).isEqualTo(Reason.REPLAYED);
  }

  @Test
  void aReplayWithALargerUnsignedWindowAfterTheFirstWindowIsStillRefused() {
    directory.add(hmacKey("KWHMAC"));
    Request request = order("KWHMAC");
    RequestView first = request.sign(SECRET);
    assertThat(verifier.verify(first)).isInstanceOf(Verdict.Accepted.class);

    // The window header is not signed in this scheme (as KW-RECV-WINDOW is not): a captured
    // request sent again after its 5 s, asking for 60 s, passes the window check.
    clock.set(NOW.plusSeconds(30));
    RequestView widened = request.header("T-WINDOW", "60000").build();

    assertThat(reason(verifier.verify(widened))).isEqualTo(Reason.REPLAYED);
  }

  @Test
  void whenTheReplayMemoryIsFullANewSignatureIsUnavailableNotForgotten() {
    verifier = verifierWith(new ReplayGuard(1), scheme);
    directory.add(hmacKey("KWHMAC"));
    RequestView first = order("KWHMAC").sign(SECRET);

    assertThat(verifier.verify(first)).isInstanceOf(Verdict.Accepted.class);
    assertThat(reason(verifier.verify(order("KWHMAC").body("{\"n\":2}").sign(SECRET))))
        .isEqualTo(Reason.UNAVAILABLE);
    assertThat(reason(verifier.verify(first))).isEqualTo(Reason.REPLAYED);
  }

  // --- the listener ---------------------------------------------------------------------------

  @Test
  void theListenerHearsEveryVerdictAsItIsReturned() {
    directory.add(hmacKey("KWHMAC"));
    List<Verdict> returned = new ArrayList<>();
    List<Long> elapsed = new ArrayList<>();
    List<RequestView> requests = new ArrayList<>();
    List<RequestView> heardRequests = new ArrayList<>();
    verifier =
        new Verifier(
            directory,
            ROUTES,
            List.of(scheme),
            new ReplayGuard(100),
            clock,
            (r, v, nanos) -> {
              heardRequests.add(r);
              heard.add(v);
              elapsed.add(nanos);
            });
    RequestView genuine = order("KWHMAC").sign(SECRET);
    requests.add(genuine);
    requests.add(genuine);
    requests.add(order("KWNOBODY").sign(SECRET));
    requests.add(order("KWHMAC").path("/nowhere").sign(SECRET));

    for (RequestView r : requests) {
      returned.add(verifier.verify(r));
    }

    assertThat(heard).containsExactlyElementsOf(returned);
    assertThat(heardRequests).containsExactlyElementsOf(requests);
    assertThat(elapsed).allMatch(n -> n >= 0);
    assertThat(returned.stream().map(VerifierTest::reason))
        .containsExactly(null, Reason.REPLAYED, Reason.UNKNOWN_KEY, Reason.ROUTE_NOT_FOUND);
  }

  // --- helpers --------------------------------------------------------------------------------

  private static Reason reason(Verdict verdict) {
    return verdict instanceof Verdict.Refused r ? r.reason() : null;
  }

  /** The same request with another body, as a client tampering with it would send it. */
  private static RequestView withBody(RequestView r, String body) {
    return new RequestView(
        r.method(),
        r.host(),
        r.rawPath(),
        r.rawQuery(),
        r.headers(),
        body.getBytes(StandardCharsets.UTF_8),
        r.clientAddress());
  }

  /** The same request from another address. */
  private static RequestView withClient(RequestView r, InetAddress client) {
    return new RequestView(
        r.method(), r.host(), r.rawPath(), r.rawQuery(), r.headers(), r.body(), client);
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A trade request: POST /api/v1/orders from the bound address, signed now. */
  private Request order(String accessKey) {
    return new Request()
        .header("T-KEY", accessKey)
        .timestamp(clock.instant())
        .body("{\"symbol\":\"ETHUSDT\",\"qty\":1}");
  }

  private static KeyBuilder hmacKey(String accessKey) {
    return new KeyBuilder(accessKey, Algorithm.HMAC_SHA256);
  }

  private static KeyEntry ed25519Key(String accessKey, KeyPair pair) {
    KeyBuilder b = new KeyBuilder(accessKey, Algorithm.ED25519);
    b.pair = pair;
    return b.build();
  }

  /** A key entry as the directory would build it; by default HMAC, read and trade, bound. */
  private static final class KeyBuilder {
    private final String accessKey;
    private final Algorithm algorithm;
    private KeyPair pair;
    private Set<Permission> permissions = EnumSet.of(Permission.READ, Permission.TRADE);
    private List<InetAddress> ipWhitelist = List.of(BOUND);
    private Instant expiresAt = NOW.plus(Duration.ofDays(90));
    private Instant validUntil;
    private Standing standing = Standing.IN_FORCE;
    private String passphraseFingerprint;

    KeyBuilder(String accessKey, Algorithm algorithm) {
      this.accessKey = accessKey;
      this.algorithm = algorithm;
    }

    KeyBuilder permissions(Permission first, Permission... rest) {
      permissions = EnumSet.of(first, rest);
      return this;
    }

    KeyBuilder ipWhitelist(List<InetAddress> addresses) {
      ipWhitelist = addresses;
      return this;
    }

    KeyBuilder expiresAt(Instant at) {
      expiresAt = at;
      return this;
    }

    KeyBuilder validUntil(Instant at) {
      validUntil = at;
      return this;
    }

    KeyBuilder standing(Standing s) {
      standing = s;
      return this;
    }

    KeyBuilder passphrase(String passphrase) {
      passphraseFingerprint = "sha256:" + HexFormat.of().formatHex(sha256(passphrase));
      return this;
    }

    KeyEntry build() {
      return new KeyEntry(
          accessKey,
          "alice",
          "trading",
          accessKey.toLowerCase(),
          "uid-" + accessKey,
          algorithm,
          algorithm == Algorithm.HMAC_SHA256 ? SECRET.getBytes(StandardCharsets.UTF_8) : null,
          pair != null ? pair.getPublic() : null,
          passphraseFingerprint,
          permissions,
          ipWhitelist,
          expiresAt,
          validUntil,
          standing);
    }
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A request being written, then signed by the test's own code. */
  private static final class Request {
    private String method = "POST";
    private String path = "/api/v1/orders";
    private String query;
    private byte[] body = new byte[0];
    private InetAddress client = BOUND;
    private final Map<String, String> headers = new HashMap<>();

    Request method(String m) {
      method = m;
      return this;
    }

    Request path(String p) {
      path = p;
      return this;
    }

    Request body(String b) {
      body = b.getBytes(StandardCharsets.UTF_8);
      return this;
    }

    Request from(InetAddress a) {
      client = a;
      return this;
    }

    Request timestamp(Instant at) {
      return header("T-TS", Long.toString(at.toEpochMilli()));
    }

    Request header(String name, String value) {
      if (value == null) {
        headers.remove(name);
      } else {
        headers.put(name, value);
      }
      return this;
    }

    /** The bytes the test scheme signs: timestamp, method, path, query and body, one a line. */
    byte[] payload() {
      String head =
          headers.getOrDefault("T-TS", "")
              + "\n"
              + method
              + "\n"
              + path
              + "\n"
              + (query == null ? "" : query)
              + "\n";
      byte[] h = head.getBytes(StandardCharsets.UTF_8);
      byte[] all = new byte[h.length + body.length];
      System.arraycopy(h, 0, all, 0, h.length);
      System.arraycopy(body, 0, all, h.length, body.length);
      return all;
    }

    RequestView sign(String secret) {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        header("T-SIG", Base64.getEncoder().encodeToString(mac.doFinal(payload())));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
      return build();
    }

    RequestView sign(PrivateKey key) {
      try {
        Signature ed = Signature.getInstance("Ed25519");
        ed.initSign(key);
        ed.update(payload());
        header("T-SIG", Base64.getEncoder().encodeToString(ed.sign()));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
      return build();
    }

    RequestView build() {
      Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      h.putAll(headers);
      return new RequestView(method, "api.test", path, query, h::get, body, client);
    }
  }

  /**
   * The test's own scheme: the access key, timestamp (epoch ms), window (optional, not signed) and
   * signature (base64) in headers named with a prefix, and an optional passphrase.
   */
  static final class HeaderScheme implements Scheme {
    private final String name;
    private final String prefix;
    private final Set<Algorithm> algorithms;

    HeaderScheme(String name, String prefix, Set<Algorithm> algorithms) {
      this.name = name;
      this.prefix = prefix;
      this.algorithms = algorithms;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public boolean claims(RequestView request) {
      return request.headers().first(prefix + "KEY") != null;
    }

    @Override
    public SignedParts read(RequestView request) throws Malformed {
      String ts = request.headers().first(prefix + "TS");
      String sig = request.headers().first(prefix + "SIG");
      String window = request.headers().first(prefix + "WINDOW");
      if (ts == null || !ts.matches("[0-9]{1,15}")) {
        throw new Malformed(prefix + "TS: required, epoch milliseconds");
      }
      if (sig == null) {
        throw new Malformed(prefix + "SIG: required");
      }
      byte[] signature;
      try {
        signature = Base64.getDecoder().decode(sig);
      } catch (IllegalArgumentException e) {
        throw new Malformed(prefix + "SIG: base64");
      }
      String head =
          ts
              + "\n"
              + request.method()
              + "\n"
              + request.rawPath()
              + "\n"
              + (request.rawQuery() == null ? "" : request.rawQuery())
              + "\n";
      byte[] h = head.getBytes(StandardCharsets.UTF_8);
      byte[] payload = new byte[h.length + request.body().length];
      System.arraycopy(h, 0, payload, 0, h.length);
      System.arraycopy(request.body(), 0, payload, h.length, request.body().length);
      return new SignedParts(
          request.headers().first(prefix + "KEY"),
          Long.parseLong(ts),
          window == null ? 5000 : Long.parseLong(window),
          1000,
          signature,
          payload,
          request.headers().first(prefix + "PASS"));
    }

    @Override
    public boolean supports(Algorithm algorithm) {
      return algorithms.contains(algorithm);
    }

    @Override
    public Reply refusal(Reason reason) {
      return new Reply(reason.httpStatus(), "text/plain", name + ":" + reason.label());
    }
  }

  /** A fixed set of keys, ready or not. */
  private static final class Directory implements KeyDirectory {
    private final Map<String, KeyEntry> keys = new HashMap<>();
    private volatile boolean ready = true;

    KeyEntry add(KeyBuilder builder) {
      return add(builder.build());
    }

    KeyEntry add(KeyEntry entry) {
      keys.put(entry.accessKey(), entry);
      return entry;
    }

    @Override
    public boolean ready() {
      return ready;
    }

    @Override
    public KeyEntry find(String accessKey) {
      return keys.get(accessKey);
    }
  }

  /** The verifier's clock, moved by the test. */
  private static final class TestClock extends Clock {
    private Instant now;

    TestClock(Instant now) {
      this.now = now;
    }

    void set(Instant at) {
      now = at;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
