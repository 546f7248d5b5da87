package io.keyward.verifier.kube;

import static io.keyward.verifier.kube.MockCluster.fingerprint;
import static io.keyward.verifier.kube.MockCluster.hmacGrant;
import static io.keyward.verifier.kube.MockCluster.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.KeyEntry;
import io.keyward.verifier.core.KeyEntry.Standing;
import io.keyward.verifier.core.Permission;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The directory against fabric8's mock API server: entries from grants only, narrowed by what a
 * tenant can write (the ApiKey, its spec and status, the Secret), never widened.
 */
class ClusterKeyDirectoryTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  static final String SECRET = "c2VjcmV0LWtleS1vZi1ldGgtYm90LTAxMjM0NTY3ODk";
  static final String NEXT_SECRET = "bmV4dC1zZWNyZXQta2V5LW9mLWV0aC1ib3QtMDEyMzQ";

  MockCluster cluster;
  ClusterKeyDirectory directory;

  @BeforeEach
  void start() {
    cluster = new MockCluster();
  }

  @AfterEach
  void stop() {
    if (directory != null) {
      directory.close();
    }
    cluster.close();
  }

  private ClusterKeyDirectory directory(String... namespaces) {
    directory = new ClusterKeyDirectory(cluster.client(), List.of(namespaces)).start();
    await().atMost(WAIT).until(directory::ready);
    return directory;
  }

  private KeyEntry awaitEntry(String accessKey, Predicate<KeyEntry> until) {
    return await()
        .atMost(WAIT)
        .until(() -> directory.find(accessKey), e -> e != null && until.test(e));
  }

  private void awaitGone(String accessKey) {
    await().atMost(WAIT).until(() -> directory.find(accessKey) == null);
  }

  /** An issued HMAC key: its ApiKey, its Secret, and its grant in alice's ledger. */
  private String issued(String ns, String name, String accessKey, Map<String, Object> grant) {
    String uid = cluster.apiKey(ns, name, s -> {});
    cluster.secret(ns, name + "-credentials", Map.of("accessKey", accessKey, "secretKey", SECRET));
    cluster.user("alice", false, List.of(ref(ns, name, uid, grant)));
    return uid;
  }

  @Test
  void aGrantedKeyIsFoundWithTheSecretsBytesAndTheGrantsFacts() throws Exception {
    directory();
    Map<String, Object> grant = hmacGrant("eth-credentials", "KWETH", SECRET);
    grant.put("ipWhitelist", List.of("203.0.113.10", "2001:db8::1"));
    grant.put("passphraseFingerprint", fingerprint("the-passphrase"));
    String uid = issued("trading", "eth", "KWETH", grant);

    KeyEntry e = awaitEntry("KWETH", x -> x.standing() == Standing.IN_FORCE);

    assertThat(e.user()).isEqualTo("alice");
    assertThat(e.keyRef()).isEqualTo("trading/eth");
    assertThat(e.uid()).isEqualTo(uid);
    assertThat(e.algorithm()).isEqualTo(Algorithm.HMAC_SHA256);
    assertThat(e.hmacKey()).isEqualTo(SECRET.getBytes(StandardCharsets.UTF_8));
    assertThat(e.publicKey()).isNull();
    assertThat(e.passphraseFingerprint()).isEqualTo(fingerprint("the-passphrase"));
    assertThat(e.permissions()).containsExactlyInAnyOrder(Permission.READ, Permission.TRADE);
    assertThat(e.ipWhitelist())
        .containsExactly(
            InetAddress.getByName("203.0.113.10"), InetAddress.getByName("2001:db8::1"));
    assertThat(e.expiresAt()).isEqualTo(Instant.parse("2027-02-23T10:00:00Z"));
    assertThat(e.previous()).isFalse();
    assertThat(directory.size()).isEqualTo(1);
    assertThat(directory.find("KWOTHER")).isNull();
    assertThat(e.toString()).doesNotContain(SECRET);
  }

  @Test
  void onceReadyEveryKeyThatExistedBeforeTheStartIsKnown() {
    for (int i = 0; i < 20; i++) {
      String uid = cluster.apiKey("trading", "bot-" + i, s -> {});
      cluster.secret("trading", "bot-" + i + "-credentials", Map.of("secretKey", SECRET + i));
      refs.add(
          ref(
              "trading",
              "bot-" + i,
              uid,
              hmacGrant("bot-" + i + "-credentials", "KW" + i, SECRET + i)));
    }
    cluster.user("alice", false, refs);

    directory();

    // No waiting here: ready means every listed key is in (none may be refused as unknown).
    for (int i = 0; i < 20; i++) {
      assertThat(directory.find("KW" + i)).as("KW" + i).isNotNull();
      assertThat(directory.find("KW" + i).standing()).isEqualTo(Standing.IN_FORCE);
    }
    assertThat(directory.size()).isEqualTo(20);
  }

  private final List<Map<String, Object>> refs = new java.util.ArrayList<>();

  @Test
  void aSecretWhoseValueTheGrantDoesNotRecordVerifiesNothing() {
    directory();
    String uid = cluster.apiKey("trading", "eth", s -> {});
    // Planted before the key was issued (anyone who may create Secrets can set the label).
    cluster.secret("trading", "eth-credentials", Map.of("secretKey", "planted-by-a-tenant"));
    cluster.user(
        "alice",
        false,
        List.of(ref("trading", "eth", uid, hmacGrant("eth-credentials", "KWETH", SECRET))));

    KeyEntry planted = awaitEntry("KWETH", x -> x.standing() == Standing.INVALID);
    assertThat(planted.hmacKey()).isNull();

    // The operator's Secret: the grant's fingerprint, and the key verifies.
    cluster.secret("trading", "eth-credentials", Map.of("secretKey", SECRET));
    assertThat(awaitEntry("KWETH", x -> x.standing() == Standing.IN_FORCE).hmacKey())
        .isEqualTo(SECRET.getBytes(StandardCharsets.UTF_8));

    // Edited afterwards: refused again at once.
    cluster.secret("trading", "eth-credentials", Map.of("secretKey", SECRET + "x"));
    awaitEntry("KWETH", x -> x.standing() == Standing.INVALID);

    // A Secret of another type, even with the right value, is not a key's.
    cluster.secret("trading", "eth-credentials", "Opaque", Map.of(), Map.of("secretKey", SECRET));
    awaitEntry("KWETH", x -> x.standing() == Standing.INVALID);
  }

  @Test
  void theDataKeyTheSecretRecordsIsRead() {
    directory();
    String uid = cluster.apiKey("trading", "env", s -> {});
    cluster.secret(
        "trading",
        "env-credentials",
        "keyward.io/api-key",
        Map.of("keyward.io/data-keys", "accessKey=API_KEY,secretKey=API_SECRET"),
        Map.of("API_KEY", "KWENV", "API_SECRET", SECRET, "secretKey", "decoy"));
    cluster.user(
        "alice",
        false,
        List.of(ref("trading", "env", uid, hmacGrant("env-credentials", "KWENV", SECRET))));

    assertThat(awaitEntry("KWENV", x -> x.standing() == Standing.IN_FORCE).hmacKey())
        .isEqualTo(SECRET.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aPendingKeyIsNoEntryAndAKeyWithOnlyAPendingOneIsUnknown() {
    directory();
    String uid = cluster.apiKey("trading", "new", s -> {});
    Map<String, Object> grant = hmacGrant("new-credentials", "KWCURRENT", SECRET);
    grant.put(
        "pending", Map.of("accessKey", "KWPENDING", "secretFingerprint", fingerprint(NEXT_SECRET)));
    cluster.secret("trading", "new-credentials", Map.of("secretKey", NEXT_SECRET));
    String other = cluster.apiKey("trading", "first", s -> {});
    Map<String, Object> onlyPending = new java.util.LinkedHashMap<>();
    onlyPending.put("secretName", "first-credentials");
    onlyPending.put("permissions", List.of("read"));
    onlyPending.put("pending", Map.of("accessKey", "KWFIRST"));
    cluster.user(
        "alice",
        false,
        List.of(ref("trading", "new", uid, grant), ref("trading", "first", other, onlyPending)));

    // The Secret already holds the pending key: still nothing verifies with it.
    KeyEntry current = awaitEntry("KWCURRENT", x -> true);
    assertThat(current.standing()).isEqualTo(Standing.INVALID);
    assertThat(directory.find("KWPENDING")).isNull();
    assertThat(directory.find("KWFIRST")).isNull();
    assertThat(directory.size()).isEqualTo(1);
  }

  @Test
  void anEd25519KeyVerifiesWithTheGrantsPublicKeyAndNeedsNoSecret() throws Exception {
    directory();
    var pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    String pem =
        "-----BEGIN PUBLIC KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(pair.getPublic().getEncoded())
            + "\n-----END PUBLIC KEY-----\n";
    String uid = cluster.apiKey("trading", "sol", s -> s.put("algorithm", "Ed25519"));
    Map<String, Object> grant = hmacGrant("sol-credentials", "KWSOL", "unused");
    grant.put("algorithm", "Ed25519");
    grant.put("publicKey", pem);
    cluster.user("alice", false, List.of(ref("trading", "sol", uid, grant)));

    KeyEntry e = awaitEntry("KWSOL", x -> x.standing() == Standing.IN_FORCE);
    assertThat(e.algorithm()).isEqualTo(Algorithm.ED25519);
    assertThat(e.hmacKey()).isNull();
    byte[] message = "signed".getBytes(StandardCharsets.UTF_8);
    Signature signer = Signature.getInstance("Ed25519");
    signer.initSign(pair.getPrivate());
    signer.update(message);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance("Ed25519");
    verifier.initVerify(e.publicKey());
    verifier.update(message);
    assertThat(verifier.verify(signature)).isTrue();

    grant.put("publicKey", "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n");
    cluster.user("alice", false, List.of(ref("trading", "sol", uid, grant)));
    awaitEntry("KWSOL", x -> x.standing() == Standing.INVALID && x.publicKey() == null);
  }

  @Test
  void aDeletedKeyIsRevokedAtOnceEvenWithoutItsFinalizer() {
    directory();
    issued("trading", "eth", "KWETH", hmacGrant("eth-credentials", "KWETH", SECRET));
    awaitEntry("KWETH", x -> x.standing() == Standing.IN_FORCE);

    // Deleted without the operator's finalizer: the grant is still in the ledger.
    cluster
        .client()
        .genericKubernetesResources(ClusterRecords.API_KEYS)
        .inNamespace("trading")
        .withName("eth")
        .delete();

    awaitEntry("KWETH", x -> x.standing() == Standing.REVOKED);
    // The operator releases the slot with its grant: then the key is gone.
    cluster.user("alice", false, List.of());
    awaitGone("KWETH");
    assertThat(directory.size()).isZero();
  }

  @Test
  void aKeyBeingDeletedIsRevoked() {
    directory();
    String uid = cluster.apiKey("trading", "eth", s -> {});
    cluster
        .client()
        .genericKubernetesResources(ClusterRecords.API_KEYS)
        .inNamespace("trading")
        .withName("eth")
        .edit(
            k -> {
              k.getMetadata().setFinalizers(List.of("keyward.io/revoke"));
              return k;
            });
    cluster.secret("trading", "eth-credentials", Map.of("secretKey", SECRET));
    cluster.user(
        "alice",
        false,
        List.of(ref("trading", "eth", uid, hmacGrant("eth-credentials", "KWETH", SECRET))));
    awaitEntry("KWETH", x -> x.standing() == Standing.IN_FORCE);

    cluster
        .client()
        .genericKubernetesResources(ClusterRecords.API_KEYS)
        .inNamespace("trading")
        .withName("eth")
        .delete();

    assertThat(cluster.getKey("trading", "eth").getMetadata().getDeletionTimestamp()).isNotNull();
    awaitEntry("KWETH", x -> x.standing() == Standing.REVOKED);
  }

  @Test
  void aSuspendedUsersKeysAreSuspendedUntilResumed() {
    directory();
    Map<String, Object> grant = hmacGrant("eth-credentials", "KWETH", SECRET);
    String uid = issued("trading", "eth", "KWETH", grant);
    awaitEntry("KWETH", x -> x.standing() == Standing.IN_FORCE);

    cluster.user("alice", true, List.of(ref("trading", "eth", uid, grant)));
    awaitEntry("KWETH", x -> x.standing() == Standing.SUSPENDED);

    cluster.user("alice", false, List.of(ref("trading", "eth", uid, grant)));
    awaitEntry("KWETH", x -> x.standing() == Standing.IN_FORCE);
  }

  @Test
  void aPreviousKeyVerifiesUntilItsValidUntilWithItsOwnMaterial() {
    directory();
    Map<String, Object> grant = hmacGrant("eth-credentials", "KWNEW", NEXT_SECRET);
    grant.put(
        "previous",
        Map.of(
            "accessKey", "KWOLD",
            "secretFingerprint", fingerprint(SECRET),
            "algorithm", "HmacSHA256",
            "passphraseFingerprint", fingerprint("old-passphrase"),
            "validUntil", "2026-11-26T10:00:00Z"));
    String uid = cluster.apiKey("trading", "eth", s -> {});
    cluster.secret(
        "trading",
        "eth-credentials",
        Map.of(
            "accessKey",
            "KWNEW",
            "secretKey",
            NEXT_SECRET,
            "previousAccessKey",
            "KWOLD",
            "previousSecretKey",
            SECRET));
    cluster.user("alice", false, List.of(ref("trading", "eth", uid, grant)));

    KeyEntry current = awaitEntry("KWNEW", x -> x.standing() == Standing.IN_FORCE);
    KeyEntry previous = awaitEntry("KWOLD", x -> x.standing() == Standing.IN_FORCE);
    assertThat(current.previous()).isFalse();
    assertThat(current.hmacKey()).isEqualTo(NEXT_SECRET.getBytes(StandardCharsets.UTF_8));
    assertThat(previous.previous()).isTrue();
    assertThat(previous.hmacKey()).isEqualTo(SECRET.getBytes(StandardCharsets.UTF_8));
    assertThat(previous.validUntil()).isEqualTo(Instant.parse("2026-11-26T10:00:00Z"));
    assertThat(previous.expiresAt()).as("capped by the grace").isEqualTo(previous.validUntil());
    assertThat(previous.passphraseFingerprint()).isEqualTo(fingerprint("old-passphrase"));
    assertThat(previous.uid()).isEqualTo(uid);
    assertThat(directory.size()).isEqualTo(2);

    // The grace ends: the operator drops the previous key from the grant.
    grant.remove("previous");
    cluster.user("alice", false, List.of(ref("trading", "eth", uid, grant)));
    awaitGone("KWOLD");
    assertThat(directory.find("KWNEW").standing()).isEqualTo(Standing.IN_FORCE);

    // A previous key without an end is in no grace period.
    grant.put("previous", Map.of("accessKey", "KWOLD", "secretFingerprint", fingerprint(SECRET)));
    grant.put("permissions", List.of("read"));
    cluster.user("alice", false, List.of(ref("trading", "eth", uid, grant)));
    awaitEntry("KWNEW", x -> x.permissions().equals(Set.of(Permission.READ)));
    assertThat(directory.find("KWOLD")).isNull();
  }

  @Test
  void theSpecNarrowsPermissionsAndAddressesAndNeverWidens() {
    directory();
    Map<String, Object> grant = hmacGrant("eth-credentials", "KWETH", SECRET);
    grant.put("ipWhitelist", List.of("203.0.113.10", "203.0.113.11"));
    String uid =
        cluster.apiKey(
            "trading", "eth", s -> s.put("ipWhitelist", List.of("203.0.113.10", "203.0.113.11")));
    cluster.secret("trading", "eth-credentials", Map.of("secretKey", SECRET));
    cluster.user("alice", false, List.of(ref("trading", "eth", uid, grant)));
    awaitEntry("KWETH", x -> x.standing() == Standing.IN_FORCE && x.ipWhitelist().size() == 2);

    // Removing trade and an address applies at once.
    cluster.editSpec(
        "trading",
        "eth",
        s -> {
          s.put("permissions", List.of("read"));
          s.put("ipWhitelist", List.of("203.0.113.10"));
        });
    KeyEntry narrowed = awaitEntry("KWETH", x -> x.permissions().equals(Set.of(Permission.READ)));
    assertThat(narrowed.ipWhitelist()).containsExactly(ip("203.0.113.10"));

    // Adding withdraw and another address widens nothing until the grant says so.
    cluster.editSpec(
        "trading",
        "eth",
        s -> {
          s.put("permissions", List.of("read", "trade", "withdraw"));
          s.put("ipWhitelist", List.of("203.0.113.10", "198.51.100.7"));
        });
    KeyEntry added = awaitEntry("KWETH", x -> x.permissions().size() == 2);
    assertThat(added.permissions()).containsExactlyInAnyOrder(Permission.READ, Permission.TRADE);
    assertThat(added.ipWhitelist()).containsExactly(ip("203.0.113.10"));

    // No address in common: none is allowed (not any).
    cluster.editSpec("trading", "eth", s -> s.put("ipWhitelist", List.of("198.51.100.7")));
    KeyEntry none =
        awaitEntry("KWETH", x -> x.ipWhitelist().equals(List.of(EntryBuilder.NO_ADDRESS)));
    assertThat(none.standing()).isEqualTo(Standing.IN_FORCE);

    // An IPv4-mapped IPv6 address is the IPv4 address it maps.
    cluster.editSpec("trading", "eth", s -> s.put("ipWhitelist", List.of("::ffff:203.0.113.11")));
    assertThat(
            awaitEntry(
                    "KWETH",
                    x ->
                        x.ipWhitelist().size() == 1
                            && !x.ipWhitelist().equals(List.of(EntryBuilder.NO_ADDRESS)))
                .ipWhitelist())
        .containsExactly(ip("203.0.113.11"));

    // A spec without addresses narrows nothing: the grant's stay.
    cluster.editSpec("trading", "eth", s -> s.remove("ipWhitelist"));
    awaitEntry("KWETH", x -> x.ipWhitelist().size() == 2);
  }

  @Test
  void anInvalidSpecOrAnInvalidPhaseInvalidatesTheKey() {
    directory();
    Map<String, Object> grant = hmacGrant("eth-credentials", "KWETH", SECRET);
    issued("trading", "eth", "KWETH", grant);
    awaitEntry("KWETH", x -> x.standing() == Standing.IN_FORCE);

    // The mock server checks no schema: a permission the verifier does not know.
    cluster.editSpec("trading", "eth", s -> s.put("permissions", List.of("read", "admin")));
    awaitEntry("KWETH", x -> x.standing() == Standing.INVALID);
    cluster.editSpec("trading", "eth", s -> s.put("permissions", List.of("read")));
    awaitEntry("KWETH", x -> x.standing() == Standing.IN_FORCE);

    cluster.editSpec("trading", "eth", s -> s.put("algorithm", "RSA"));
    awaitEntry("KWETH", x -> x.standing() == Standing.INVALID);
    cluster.editSpec("trading", "eth", s -> s.remove("algorithm"));
    awaitEntry("KWETH", x -> x.standing() == Standing.IN_FORCE);

    cluster.editSpec("trading", "eth", s -> s.put("ipWhitelist", List.of("host.example")));
    awaitEntry("KWETH", x -> x.standing() == Standing.INVALID);
    cluster.editSpec("trading", "eth", s -> s.remove("ipWhitelist"));
    awaitEntry("KWETH", x -> x.standing() == Standing.IN_FORCE);

    // Another user in the spec than the ledger's.
    cluster.editSpec("trading", "eth", s -> s.put("user", "mallory"));
    awaitEntry("KWETH", x -> x.standing() == Standing.INVALID);
    cluster.editSpec("trading", "eth", s -> s.put("user", "alice"));
    awaitEntry("KWETH", x -> x.standing() == Standing.IN_FORCE);

    // A status can only narrow: Invalid invalidates, Active grants nothing more.
    cluster.writeKeyStatus("trading", "eth", Map.of("phase", "Invalid"));
    awaitEntry("KWETH", x -> x.standing() == Standing.INVALID);
    cluster.writeKeyStatus(
        "trading",
        "eth",
        Map.of("phase", "Active", "expiresAt", "2099-01-01T00:00:00Z", "accessKey", "KWFORGED"));
    KeyEntry e = awaitEntry("KWETH", x -> x.standing() == Standing.IN_FORCE);
    assertThat(e.expiresAt()).isEqualTo(Instant.parse("2027-02-23T10:00:00Z"));
    assertThat(directory.find("KWFORGED")).isNull();
  }

  @Test
  void onlyTheGivenNamespacesAreWatched() {
    directory("team-a");
    String a = cluster.apiKey("team-a", "bot", s -> {});
    String b = cluster.apiKey("team-b", "bot", s -> {});
    cluster.secret("team-a", "bot-credentials", Map.of("secretKey", SECRET));
    cluster.secret("team-b", "bot-credentials", Map.of("secretKey", SECRET));
    cluster.user(
        "alice",
        false,
        List.of(
            ref("team-a", "bot", a, hmacGrant("bot-credentials", "KWA", SECRET)),
            ref("team-b", "bot", b, hmacGrant("bot-credentials", "KWB", SECRET))));

    awaitEntry("KWA", x -> x.standing() == Standing.IN_FORCE);
    assertThat(directory.find("KWB")).isNull();
    assertThat(directory.size()).isEqualTo(1);
  }

  @Test
  void notReadyBeforeItsInformersListedNorAfterTheyStop() {
    directory = new ClusterKeyDirectory(cluster.client(), List.of());
    assertThat(directory.ready()).as("not started").isFalse();
    directory.start();
    await().atMost(WAIT).until(directory::ready);
    directory.close();
    await().atMost(WAIT).until(() -> !directory.ready());
  }

  private static InetAddress ip(String literal) {
    return IpLiterals.parse(literal);
  }
}
