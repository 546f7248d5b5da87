package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.apikey.ApiKeyReconciler;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.issuance.Fingerprint;
import io.keyward.operator.issuance.KeyAlgorithm;
import io.keyward.operator.issuance.KeyGenerator;
import io.keyward.operator.issuance.KeyMaterial;
import io.keyward.operator.kube.StatusWriter;
import io.keyward.operator.rollout.RestartConsent;
import io.keyward.operator.rollout.WorkloadRestarter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Lifecycle step 4 on the real API server: Rotate with a grace period, Extend up to the lifetime
 * cap, Never, the manual triggers, exact deadlines, and interrupted rotations. Validities are short
 * (the configuration lowers {@code limits.minValidity}); where a deadline is far, the operator's
 * clock is moved and the key poked, and one rotation runs in real time to measure its lag.
 */
@ExtendWith(RealCluster.class)
@Order(8)
class ExpiryIT {
  private static final String NS = "expiry";
  private static final String USER = "eve";
  private static final AtomicInteger POKES = new AtomicInteger();
  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    RealCluster.namespace(NS);
    user(USER, NS);
    editUser(
        USER,
        u -> {
          u.getSpec().maxKeys = 20;
          return u;
        });
    operator =
        RunningOperator.start(
            Map.of(
                "limits.minValidity", "5s",
                "limits.maxValidity", "1h",
                "limits.maxKeyLifetime", "2h30m",
                "defaults.validity", "1h"));
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  private static Consumer<ApiKeySpec> renewal(
      String policy, String validity, String before, String grace) {
    return s -> {
      s.validity = validity;
      s.renewal = new ApiKeySpec.Renewal();
      s.renewal.policy = policy;
      s.renewal.before = before;
      s.renewal.gracePeriod = grace;
    };
  }

  /** Makes the operator look at a key now (after the clock moved past a far deadline). */
  private static void poke(String name) {
    annotateKey(NS, name, "test.keyward.io/poke", String.valueOf(POKES.incrementAndGet()));
  }

  private static Secret credentials(String name) {
    return secret(NS, name + "-credentials");
  }

  private static String data(Secret s, String key) {
    return CredentialSecret.data(s, key).orElse(null);
  }

  @Test
  void rotationLandsWithinOneSecondOfRenewAtAndTheGraceEndsOnTime() throws Exception {
    // The bot consents to restarts by the key (its own annotation names it).
    client()
        .apps()
        .deployments()
        .inNamespace(NS)
        .resource(deployment("rotating-bot", "rotating"))
        .create();
    key(
        NS,
        "rotating",
        USER,
        renewal("Rotate", "12s", "6s", "3s")
            .andThen(
                s -> {
                  ApiKeySpec.WorkloadRef bot = new ApiKeySpec.WorkloadRef();
                  bot.kind = "Deployment";
                  bot.name = "rotating-bot";
                  ApiKeySpec.WorkloadRef ghost = new ApiKeySpec.WorkloadRef();
                  ghost.kind = "StatefulSet";
                  ghost.name = "ghost";
                  s.rolloutRestart = List.of(bot, ghost);
                }));
    ApiKey first = awaitKey(NS, "rotating", phase("Active"));
    String oldAccessKey = first.getStatus().accessKey;
    Secret before = credentials("rotating");
    String oldSecretKey = data(before, "secretKey");
    Instant renewAt = Instant.parse(first.getStatus().renewAt);
    assertThat(renewAt).isEqualTo(Instant.parse(first.getStatus().expiresAt).minusSeconds(6));

    // When the test sees the Secret change, by the operator's clock (the deadlines are in its
    // time).
    List<String> changes = new CopyOnWriteArrayList<>();
    List<Instant> rotatedAt = new CopyOnWriteArrayList<>();
    List<Instant> graceEndedAt = new CopyOnWriteArrayList<>();
    try (Watch watch =
        client()
            .secrets()
            .inNamespace(NS)
            .withName("rotating-credentials")
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Secret s) {
                    Instant now = operator.clock().instant();
                    boolean hasPrevious = CredentialSecret.hasPrevious(s);
                    changes.add(action + " previous=" + hasPrevious + " at " + now);
                    if (hasPrevious && rotatedAt.isEmpty()) {
                      rotatedAt.add(now);
                    }
                    if (!hasPrevious && !rotatedAt.isEmpty() && graceEndedAt.isEmpty()) {
                      graceEndedAt.add(now);
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                })) {
      await().atMost(Duration.ofSeconds(30)).until(() -> !graceEndedAt.isEmpty());
    }
    System.out.printf(
        "rotation seen %d ms after renewAt (%s)%n",
        Duration.between(renewAt, rotatedAt.get(0)).toMillis(), changes);

    // How late the deadlines were met, from what the operator and the server recorded rather than
    // from when this test got to see it (a busy machine delays the test, not the deadline).
    ApiKey rotated = get(NS, "rotating");
    ApiKeyStatus st = rotated.getStatus();
    assertThat(st.accessKey).isNotEqualTo(oldAccessKey);
    Instant issuedAt = Instant.parse(st.issuedAt);
    // Not before renewAt: the operator issued the new key at or after it, by its own clock.
    assertThat(issuedAt).as("the new key's issuedAt").isAfterOrEqualTo(renewAt);
    // Within 1 s: the Rotated event, written after the Secret, was created (the server's clock, to
    // the second) in a second that began no later than renewAt, so less than 1 s after renewAt.
    Event rotatedEvent = only(awaitEvents(NS, "rotating", "Rotated"));
    Instant rotationSecond = serverSecond(rotatedEvent);
    System.out.printf(
        "Rotated event created in the second from %s; renewAt %s%n", rotationSecond, renewAt);
    assertThat(rotationSecond)
        .as("the second the Rotated event was created in, by the operator's clock (%s)", changes)
        .isBeforeOrEqualTo(renewAt)
        .isAfter(renewAt.minusSeconds(1));

    // The end of the grace period, validUntil (issuedAt + 3s). Not before it: the Secret lost the
    // previous key no earlier than the test saw it lose it (seeing it late only makes this pass).
    Instant validUntil = issuedAt.plusSeconds(3);
    assertThat(graceEndedAt.get(0)).as("%s", changes).isAfterOrEqualTo(validUntil);
    // Within 1 s: the Revoked event, written after the Secret, was created in a second that began
    // no later than validUntil.
    Event revokedEvent = only(awaitEvents(NS, "rotating", "Revoked"));
    Instant graceSecond = serverSecond(revokedEvent);
    System.out.printf(
        "Revoked event created in the second from %s; validUntil %s%n", graceSecond, validUntil);
    assertThat(graceSecond)
        .as("the second the Revoked event was created in, by the operator's clock (%s)", changes)
        .isBeforeOrEqualTo(validUntil)
        .isAfter(validUntil.minusSeconds(1));

    assertThat(rotatedEvent.getMessage())
        .contains(st.accessKey)
        .contains("renewAt " + renewAt + " reached")
        .contains(oldAccessKey + " still verifies until " + validUntil);
    assertThat(revokedEvent.getMessage())
        .contains("previous access key " + oldAccessKey + " revoked")
        .contains("grace period ended at " + validUntil);

    // The rollout restart: the Deployment's pod template changed; the missing target is an event.
    Deployment bot = client().apps().deployments().inNamespace(NS).withName("rotating-bot").get();
    assertThat(bot.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsKey(WorkloadRestarter.RESTARTED_AT);
    assertThat(awaitEvents(NS, "rotating", "RolloutRestartFailed").get(0).getMessage())
        .contains("StatefulSet/ghost (not found)");
    assertThat(awaitEvents(NS, "rotating", "RolloutRestarted").get(0).getMessage())
        .contains("Deployment/rotating-bot");
    // The old key is gone from the Secret for good, and the new one is what status says.
    Secret after = credentials("rotating");
    assertThat(data(after, "accessKey")).isEqualTo(st.accessKey);
    assertThat(after.getData().values())
        .doesNotContain(before.getData().get("secretKey"), before.getData().get("accessKey"));
    assertThat(oldSecretKey).isNotNull();
    client().resources(ApiKey.class).inNamespace(NS).withName("rotating").delete();
  }

  @Test
  void rotationDuringGraceKeepsBothKeysInTheSecret() {
    key(
        NS,
        "graceful",
        USER,
        renewal("Rotate", "1h", "10m", "30m").andThen(s -> s.passphrase = true));
    ApiKey first = awaitKey(NS, "graceful", phase("Active"));
    String oldAccessKey = first.getStatus().accessKey;
    String oldSecretKey = data(credentials("graceful"), "secretKey");
    // A key with a passphrase: in its Secret, its fingerprint in the grant (the status mirrors it).
    String oldPassphrase = data(credentials("graceful"), "passphrase");
    assertThat(oldPassphrase).matches("[A-Za-z0-9_-]{32}");
    ApiUserStatus.KeyGrant granted =
        await()
            .atMost(WAIT)
            .until(() -> grantOf(first), g -> g != null && oldAccessKey.equals(g.accessKey));
    assertThat(granted.passphraseFingerprint).isEqualTo(Fingerprint.of(oldPassphrase));
    assertThat(first.getStatus().passphraseFingerprint).isEqualTo(Fingerprint.of(oldPassphrase));

    operator.clock().advance(Duration.ofMinutes(50));
    poke("graceful");
    ApiKey rotated = awaitKey(NS, "graceful", k -> !oldAccessKey.equals(k.getStatus().accessKey));
    ApiKeyStatus st = rotated.getStatus();
    assertThat(st.phase).isEqualTo("Active");
    assertThat(st.previous.accessKey).isEqualTo(oldAccessKey);
    assertThat(st.previous.secretFingerprint).isEqualTo(first.getStatus().secretFingerprint);
    assertThat(Instant.parse(st.previous.validUntil))
        .as("the 30m grace is cut at the old key's own expiry")
        .isEqualTo(Instant.parse(first.getStatus().expiresAt));
    Secret s = credentials("graceful");
    assertThat(data(s, "accessKey")).isEqualTo(st.accessKey);
    assertThat(data(s, "previousAccessKey")).isEqualTo(oldAccessKey);
    assertThat(data(s, "previousSecretKey")).isEqualTo(oldSecretKey);
    assertThat(data(s, "secretKey")).isNotEqualTo(oldSecretKey);
    assertThat(s.getMetadata().getAnnotations())
        .containsEntry(CredentialSecret.ANN_PREVIOUS_ACCESS_KEY, oldAccessKey)
        .containsEntry(CredentialSecret.ANN_ACCESS_KEY, st.accessKey);
    assertThat(Instant.parse(st.renewAt)).isEqualTo(Instant.parse(st.expiresAt).minusSeconds(600));
    // The passphrase moves with its key; the new key has its own.
    assertThat(data(s, "previousPassphrase")).isEqualTo(oldPassphrase);
    String newPassphrase = data(s, "passphrase");
    assertThat(newPassphrase).isNotNull().isNotEqualTo(oldPassphrase);
    ApiUserStatus.KeyGrant grant =
        await()
            .atMost(WAIT)
            .until(() -> grantOf(rotated), g -> g != null && st.accessKey.equals(g.accessKey));
    assertThat(grant.passphraseFingerprint).isEqualTo(Fingerprint.of(newPassphrase));
    assertThat(grant.previous.passphraseFingerprint).isEqualTo(Fingerprint.of(oldPassphrase));
    assertThat(st.previous.passphraseFingerprint).isEqualTo(Fingerprint.of(oldPassphrase));
  }

  /** The key's grant in its user's ledger. */
  private static ApiUserStatus.KeyGrant grantOf(ApiKey key) {
    return getUser(USER).getStatus().keyRefs.stream()
        .filter(r -> key.getMetadata().getUid().equals(r.uid))
        .findFirst()
        .map(r -> r.grant)
        .orElse(null);
  }

  @Test
  void extendMovesExpiryUntilTheLifetimeCapThenRotates() {
    key(NS, "extending", USER, renewal("Extend", "1h", "10m", "5m"));
    ApiKey first = awaitKey(NS, "extending", phase("Active"));
    String accessKey = first.getStatus().accessKey;
    Instant issuedAt = Instant.parse(first.getStatus().issuedAt);
    Secret secretBefore = credentials("extending");

    operator.clock().advance(Duration.ofMinutes(50));
    poke("extending");
    ApiKey extended =
        awaitKey(
            NS,
            "extending",
            k -> Instant.parse(k.getStatus().expiresAt).equals(issuedAt.plus(Duration.ofHours(2))));
    assertThat(extended.getStatus().accessKey).isEqualTo(accessKey);
    assertThat(extended.getStatus().issuedAt).isEqualTo(first.getStatus().issuedAt);
    assertThat(extended.getStatus().phase).isEqualTo("Active");
    assertThat(awaitEvents(NS, "extending", "Extended").get(0).getMessage())
        .contains("extended until " + issuedAt.plus(Duration.ofHours(2)));
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Secret s = credentials("extending");
              assertThat(data(s, "expiresAt")).isEqualTo(extended.getStatus().expiresAt);
              assertThat(s.getMetadata().getAnnotations())
                  .containsEntry(CredentialSecret.ANN_EXPIRES_AT, extended.getStatus().expiresAt);
              assertThat(s.getData().get("secretKey"))
                  .isEqualTo(secretBefore.getData().get("secretKey"));
            });

    // The second extension is cut at the cap: 2h30m since issuance.
    operator.clock().advance(Duration.ofHours(1));
    poke("extending");
    awaitKey(
        NS,
        "extending",
        k -> Instant.parse(k.getStatus().expiresAt).equals(issuedAt.plus(Duration.ofMinutes(150))));

    // At its renewAt no extension is left: a rotation is forced.
    operator.clock().advance(Duration.ofMinutes(30));
    poke("extending");
    ApiKey rotated = awaitKey(NS, "extending", k -> !accessKey.equals(k.getStatus().accessKey));
    assertThat(Instant.parse(rotated.getStatus().issuedAt)).isAfter(issuedAt);
    assertThat(rotated.getStatus().previous.accessKey).isEqualTo(accessKey);
    assertThat(awaitEvents(NS, "extending", "Rotated").get(0).getMessage())
        .contains("limits.maxKeyLifetime (2h30m");
  }

  @Test
  void neverExpiresReleasesTheSlotAndRenewIssuesANewKey() {
    String user = "nora";
    user(user, NS);
    editUser(
        user,
        u -> {
          u.getSpec().maxKeys = 1;
          return u;
        });
    key(NS, "once", user, renewal("Never", "1h", "10m", null));
    ApiKey first = awaitKey(NS, "once", phase("Active"));
    String accessKey = first.getStatus().accessKey;
    key(NS, "later", user, s -> {});
    awaitKey(NS, "later", condition("QuotaAvailable", "False", "KeyLimitReached"));

    operator.clock().advance(Duration.ofMinutes(50));
    poke("once");
    ApiKey expiring = awaitKey(NS, "once", phase("Expiring"));
    assertThat(expiring.getStatus().accessKey).isEqualTo(accessKey);
    assertThat(condition(expiring, "Ready").orElseThrow().status).isEqualTo("True");
    assertThat(awaitEvents(NS, "once", "Expiring").get(0).getMessage())
        .contains("policy Never will not renew it");

    operator.clock().advance(Duration.ofMinutes(10));
    poke("once");
    ApiKey expired = awaitKey(NS, "once", phase("Expired"));
    assertThat(condition(expired, "Ready").orElseThrow().reason).isEqualTo("Expired");
    assertThat(expired.getStatus().accessKey).as("kept as the record").isEqualTo(accessKey);
    assertThat(awaitEvents(NS, "once", "Expired").get(0).getMessage())
        .contains(accessKey + " expired at " + first.getStatus().expiresAt);
    await().atMost(WAIT).until(() -> credentials("once") == null);
    // Its slot went to the waiting key.
    ApiKey later = awaitKey(NS, "later", phase("Active"));
    assertThat(getUser(user).getStatus().keyRefs).extracting(r -> r.name).containsExactly("later");
    assertThat(get(NS, "once")).as("the ApiKey stays").isNotNull();

    // Renew: the expired key starts over and waits for a slot like a new key.
    annotateKey(NS, "once", ApiKeyReconciler.RENEW_ANNOTATION, "r1");
    awaitKey(NS, "once", condition("QuotaAvailable", "False", "KeyLimitReached"));
    assertThat(credentials("once")).isNull();
    client().resources(ApiKey.class).inNamespace(NS).withName("later").delete();
    ApiKey renewed = awaitKey(NS, "once", phase("Active"));
    assertThat(renewed.getStatus().accessKey).isNotEqualTo(accessKey);
    assertThat(renewed.getStatus().lastHandledRenew).isEqualTo("r1");
    assertThat(data(credentials("once"), "accessKey")).isEqualTo(renewed.getStatus().accessKey);
    assertThat(later.getStatus().accessKey).isNotNull();

    // The same value again (a re-applied manifest) does nothing.
    String rv = credentials("once").getMetadata().getResourceVersion();
    poke("once");
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(1).plus(WAIT))
        .until(() -> renewed.getStatus().accessKey.equals(get(NS, "once").getStatus().accessKey));
    assertThat(credentials("once").getMetadata().getResourceVersion()).isEqualTo(rv);
  }

  @Test
  void eachNewTriggerValueActsOnceAndAManifestThatCarriesOneFromTheStartDoesNot() {
    ApiKey k = new ApiKey();
    k.setMetadata(
        new ObjectMetaBuilder()
            .withName("manual")
            .withNamespace(NS)
            .withAnnotations(
                Map.of(
                    ApiKeyReconciler.ROTATE_ANNOTATION,
                    "v1",
                    ApiKeyReconciler.RENEW_ANNOTATION,
                    "v1"))
            .build());
    ApiKeySpec spec = new ApiKeySpec();
    spec.user = USER;
    spec.note = "manual triggers";
    renewal("Rotate", "1h", "10m", "5m").accept(spec);
    k.setSpec(spec);
    client().resource(k).create();
    ApiKey first = awaitKey(NS, "manual", phase("Active"));
    String key1 = first.getStatus().accessKey;
    assertThat(first.getStatus().lastHandledRotate).isEqualTo("v1");
    assertThat(first.getStatus().lastHandledRenew).isEqualTo("v1");

    annotateKey(NS, "manual", ApiKeyReconciler.ROTATE_ANNOTATION, "v2");
    ApiKey second = awaitKey(NS, "manual", x -> !key1.equals(x.getStatus().accessKey));
    String key2 = second.getStatus().accessKey;
    assertThat(second.getStatus().lastHandledRotate).isEqualTo("v2");
    assertThat(second.getStatus().previous.accessKey).isEqualTo(key1);
    assertThat(awaitEvents(NS, "manual", "Rotated").get(0).getMessage())
        .contains("keyward.io/rotate=v2");

    // Other edits with the same trigger values change nothing.
    poke("manual");
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(1).plus(WAIT))
        .until(() -> key2.equals(get(NS, "manual").getStatus().accessKey));

    annotateKey(NS, "manual", ApiKeyReconciler.RENEW_ANNOTATION, "v2");
    ApiKey extended = awaitKey(NS, "manual", x -> "v2".equals(x.getStatus().lastHandledRenew));
    assertThat(extended.getStatus().accessKey).isEqualTo(key2);
    assertThat(Instant.parse(extended.getStatus().expiresAt))
        .isEqualTo(Instant.parse(second.getStatus().expiresAt).plus(Duration.ofHours(1)));

    // A rotation within the grace period ends the earlier grace: never more than two keys.
    annotateKey(NS, "manual", ApiKeyReconciler.ROTATE_ANNOTATION, "v3");
    ApiKey third = awaitKey(NS, "manual", x -> "v3".equals(x.getStatus().lastHandledRotate));
    assertThat(third.getStatus().previous.accessKey).isEqualTo(key2);
    Secret s = credentials("manual");
    assertThat(data(s, "accessKey")).isEqualTo(third.getStatus().accessKey);
    assertThat(data(s, "previousAccessKey")).isEqualTo(key2);
    assertThat(s.getData().values().stream().map(v -> v).toList())
        .doesNotContain(CredentialSecret.b64(key1));
  }

  @Test
  void anOperatorThatStartsAfterTheDeadlineActsAtOnce() {
    key(NS, "late", USER, renewal("Rotate", "1h", "10m", "5m"));
    String accessKey = awaitKey(NS, "late", phase("Active")).getStatus().accessKey;
    operator.pause();
    try {
      operator.clock().advance(Duration.ofMinutes(55));
    } finally {
      operator.resume();
    }
    // No poke: the start finds the passed deadline.
    ApiKey rotated = awaitKey(NS, "late", k -> !accessKey.equals(k.getStatus().accessKey));
    assertThat(rotated.getStatus().previous.accessKey).isEqualTo(accessKey);
  }

  /** Records a pending key in the key's grant, as the operator does before a Secret write. */
  private static void recordPending(ApiKey k, ApiKeyStatus.PendingKey pending) {
    editUserStatus(
        USER,
        status ->
            status.keyRefs.stream()
                    .filter(r -> k.getMetadata().getUid().equals(r.uid))
                    .findFirst()
                    .orElseThrow()
                    .grant
                    .pending =
                pending);
  }

  /** The pending key the ledger records for a key, or null. */
  private static ApiKeyStatus.PendingKey pendingOf(ApiKey k) {
    return getUser(USER).getStatus().keyRefs.stream()
        .filter(r -> k.getMetadata().getUid().equals(r.uid))
        .findFirst()
        .map(r -> r.grant == null ? null : r.grant.pending)
        .orElse(null);
  }

  @Test
  void aRotationInterruptedBeforeTheSecretWriteDropsThePendingKey() {
    key(NS, "crash-early", USER, renewal("Rotate", "1h", "10m", "5m"));
    ApiKey first = awaitKey(NS, "crash-early", phase("Active"));
    Secret before = credentials("crash-early");
    KeyMaterial never = new KeyGenerator().generate(KeyAlgorithm.HMAC_SHA256);
    operator.pause();
    try {
      // As if the operator died right after recording the pending key.
      ApiKey k = get(NS, "crash-early");
      ApiKeyStatus st = StatusWriter.copyOf(k);
      st.pending = pending(never, "Rotate");
      st.pending.previousValidUntil = operator.clock().instant().plusSeconds(300).toString();
      recordPending(k, st.pending);
    } finally {
      operator.resume();
    }
    await().atMost(WAIT).until(() -> pendingOf(first) == null);
    ApiKey after = get(NS, "crash-early");
    assertThat(after.getStatus().accessKey).isEqualTo(first.getStatus().accessKey);
    assertThat(after.getStatus().previous).isNull();
    Secret s = credentials("crash-early");
    assertThat(s.getData()).isEqualTo(before.getData());
  }

  @Test
  void aRotationInterruptedAfterTheSecretWriteIsFinishedNotRepeated() {
    key(NS, "crash-late", USER, renewal("Rotate", "1h", "10m", "5m"));
    ApiKey first = awaitKey(NS, "crash-late", phase("Active"));
    String oldAccessKey = first.getStatus().accessKey;
    KeyMaterial next = new KeyGenerator().generate(KeyAlgorithm.HMAC_SHA256);
    String validUntil;
    operator.pause();
    try {
      // As if the operator died after writing the rotated Secret, before the status said so.
      ApiKey k = get(NS, "crash-late");
      ApiKeyStatus st = StatusWriter.copyOf(k);
      st.pending = pending(next, "Rotate");
      validUntil =
          operator
              .clock()
              .instant()
              .plusSeconds(300)
              .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
              .toString();
      st.pending.previousValidUntil = validUntil;
      st.pending.cause = "keyward.io/rotate=crash";
      recordPending(k, st.pending);
      editSecret(
          NS,
          "crash-late-credentials",
          s -> {
            Map<String, String> d = s.getData();
            d.put("previousAccessKey", d.get("accessKey"));
            d.put("previousSecretKey", d.get("secretKey"));
            d.put("accessKey", CredentialSecret.b64(next.accessKey()));
            d.put("secretKey", CredentialSecret.b64(next.secretKey()));
            return s;
          });
    } finally {
      operator.resume();
    }
    ApiKey after =
        awaitKey(
            NS,
            "crash-late",
            k -> next.accessKey().equals(k.getStatus().accessKey) && pendingOf(k) == null);
    assertThat(after.getStatus().accessKey).isEqualTo(next.accessKey());
    assertThat(after.getStatus().secretFingerprint).isEqualTo(next.fingerprint());
    assertThat(after.getStatus().previous.accessKey).isEqualTo(oldAccessKey);
    assertThat(after.getStatus().previous.validUntil).isEqualTo(validUntil);
    Secret s = credentials("crash-late");
    assertThat(data(s, "accessKey")).isEqualTo(next.accessKey());
    assertThat(data(s, "previousAccessKey")).isEqualTo(oldAccessKey);
    // Only metadata may follow (annotations for the new key); the data is what was written.
    assertThat(s.getData().get("secretKey")).isEqualTo(CredentialSecret.b64(next.secretKey()));
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(credentials("crash-late").getMetadata().getAnnotations())
                    .containsEntry(CredentialSecret.ANN_ACCESS_KEY, next.accessKey())
                    .containsEntry(CredentialSecret.ANN_FINGERPRINT, next.fingerprint()));
    assertThat(awaitEvents(NS, "crash-late", "Rotated").get(0).getMessage())
        .contains("keyward.io/rotate=crash");
  }

  @Test
  void metricsShowExpiryPerKeyAndKeysByPhase() {
    key(NS, "measured", USER, renewal("Rotate", "1h", "10m", "5m"));
    ApiKey k = awaitKey(NS, "measured", phase("Active"));
    long expires = Instant.parse(k.getStatus().expiresAt).getEpochSecond();
    String scrape = operator.metrics().scrape();
    String series =
        "keyward_apikey_expiration_timestamp_seconds{name=\"measured\",namespace=\""
            + NS
            + "\",user=\""
            + USER
            + "\"} ";
    String line =
        scrape
            .lines()
            .filter(l -> l.startsWith(series))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no " + series + " in\n" + scrape));
    assertThat(Double.parseDouble(line.substring(series.length()))).isEqualTo((double) expires);
    assertThat(scrape).contains("keyward_apikeys{phase=\"Active\",type=\"spot\"}");
    assertThat(scrape).contains("keyward_apikeys{phase=\"Invalid\",type=\"futures\"} 0.0");
    assertThat(scrape).containsPattern("keyward_apikeys_expiring_soon [1-9]");
    assertThat(scrape).contains("keyward_apikey_issuance_seconds_count");
  }

  private static Event only(List<Event> events) {
    assertThat(events).hasSize(1);
    return events.get(0);
  }

  /**
   * The second the API server created an event in (its creationTimestamp is whole seconds), as the
   * operator's clock tells it: the server's clock is this machine's, the operator's is moved on by
   * the test.
   */
  private static Instant serverSecond(Event event) {
    assertThat(event.getCount()).as("one event, created for this occurrence").isIn(null, 1);
    return Instant.parse(event.getMetadata().getCreationTimestamp())
        .plus(operator.clock().offset());
  }

  private static ApiKeyStatus.PendingKey pending(KeyMaterial m, String reason) {
    ApiKeyStatus.PendingKey p = new ApiKeyStatus.PendingKey();
    p.accessKey = m.accessKey();
    p.secretFingerprint = m.fingerprint();
    p.algorithm = m.algorithm().wireName();
    Instant now = operator.clock().instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    p.issuedAt = now.toString();
    p.expiresAt = now.plus(Duration.ofHours(1)).toString();
    p.reason = reason;
    return p;
  }

  /** A Deployment of no pods that consents to restarts by the ApiKey {@code restartedBy}. */
  private static Deployment deployment(String name, String restartedBy) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(name)
        .addToAnnotations(RestartConsent.ANNOTATION, restartedBy)
        .endMetadata()
        .withNewSpec()
        .withReplicas(0)
        .withNewSelector()
        .addToMatchLabels("app", name)
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .addToLabels("app", name)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("bot")
        .withImage("example.invalid/bot:1")
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }
}
