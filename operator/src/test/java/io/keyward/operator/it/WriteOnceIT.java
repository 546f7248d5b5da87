package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.expiry.ExpiryPlan;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.issuance.KeyAlgorithm;
import io.keyward.operator.issuance.KeyGenerator;
import io.keyward.operator.issuance.KeyMaterial;
import io.keyward.operator.validation.ApiKeyRules;
import io.keyward.operator.validation.KeySettings;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Secret is written once: edits, restarts and re-applies never rewrite it, and an issuance
 * interrupted between the Secret and the status is finished from what the Secret holds.
 */
@ExtendWith(RealCluster.class)
@Order(2)
class WriteOnceIT {
  private static final String NS = "write-once";
  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    RealCluster.namespace(NS);
    user("walt", NS);
    // More keys than the default limit of 5: the limit is QuotaIT's subject, not this test's.
    editUser(
        "walt",
        u -> {
          u.getSpec().maxKeys = 50;
          return u;
        });
    operator = RunningOperator.start(Map.of());
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  @Test
  void noteAndIpEditsChangeStatusAndLeaveTheSecretUntouched() {
    key(NS, "edit-bot", "walt", s -> s.ipWhitelist = List.of("198.51.100.7"));
    ApiKey issued = awaitKey(NS, "edit-bot", phase("Active"));
    Secret before = secret(NS, "edit-bot-credentials");

    editKey(
        NS,
        "edit-bot",
        k -> {
          k.getSpec().note = "renamed bot";
          k.getSpec().ipWhitelist = List.of("198.51.100.7", "198.51.100.8");
          return k;
        });
    ApiKey edited =
        awaitKey(
            NS,
            "edit-bot",
            k ->
                k.getStatus().observedGeneration == k.getMetadata().getGeneration().longValue()
                    && k.getStatus().effective.ipWhitelist.size() == 2);
    assertThat(edited.getStatus().accessKey).isEqualTo(issued.getStatus().accessKey);
    assertThat(edited.getStatus().effective.ipWhitelist)
        .containsExactly("198.51.100.7", "198.51.100.8");
    Secret after = secret(NS, "edit-bot-credentials");
    assertThat(after.getMetadata().getResourceVersion())
        .isEqualTo(before.getMetadata().getResourceVersion());
    assertThat(after.getData()).isEqualTo(before.getData());
  }

  @Test
  void restartAndReapplyNeverIssueASecondKey() {
    try (SecretHistory history = SecretHistory.of(NS, List.of("steady-bot-credentials"))) {
      key(NS, "steady-bot", "walt", s -> {});
      ApiKey issued = awaitKey(NS, "steady-bot", phase("Active"));
      Secret before = secret(NS, "steady-bot-credentials");
      // The pass that issued it ends with the grant and the event, after the status: a restart
      // before them is a crash case of its own (issuanceInterrupted... below).
      awaitEvents(NS, "steady-bot", "Issued");

      operator.restart();
      // Re-apply the manifest, as a GitOps tool does on every sync: its sync annotation, and here
      // an edited note. An unchanged manifest leaves nothing to see, but the note is a spec change:
      // its generation can be reported as observed only by an operator that reconciled the key
      // after the re-apply, and the one from before the restart is stopped.
      ApiKey reapplied =
          editKey(
              NS,
              "steady-bot",
              k -> {
                k.getMetadata().setAnnotations(Map.of("argocd.argoproj.io/sync", "1"));
                k.getSpec().note = "Bot steady-bot, synced";
                return k;
              });
      long generation = reapplied.getMetadata().getGeneration();
      assertThat(generation).isGreaterThan(issued.getMetadata().getGeneration());
      ApiKey now =
          awaitKey(
              NS,
              "steady-bot",
              k ->
                  k.getStatus() != null
                      && Long.valueOf(generation).equals(k.getStatus().observedGeneration)
                      && condition(k, "Ready")
                          .filter(c -> Long.valueOf(generation).equals(c.observedGeneration))
                          .isPresent());

      assertThat(now.getStatus().phase).isEqualTo("Active");
      assertThat(now.getStatus().accessKey).isEqualTo(issued.getStatus().accessKey);
      Secret after = secret(NS, "steady-bot-credentials");
      assertThat(after.getMetadata().getResourceVersion())
          .isEqualTo(before.getMetadata().getResourceVersion());
      // Not only the same at the end: written once, from before the key existed until now.
      await()
          .during(Duration.ofSeconds(2))
          .atMost(Duration.ofSeconds(2).plus(WAIT))
          .untilAsserted(history::assertEachWrittenOnce);
      assertThat(events(NS, "steady-bot", "Issued")).hasSize(1);
    }
  }

  /** A key's settings, and material and deadlines as an issuance now would make them. */
  private record Material(KeySettings settings, KeyMaterial material, ExpiryPlan plan) {}

  /** Creates the key's Secret as an issuance would, with that material. */
  private static Secret writeSecret(ApiKey key, Material m) {
    return client()
        .secrets()
        .inNamespace(NS)
        .resource(CredentialSecret.build(key, m.settings(), m.material(), m.plan()))
        .create();
  }

  /**
   * Restarts the operator and expects it to finish the issuance with the Secret as written: that
   * key in status, its deadlines, no pending key, the Secret untouched, one Issued event.
   */
  private void restartAndAwaitFinishedWith(ApiKey key, Material m, Secret written) {
    String name = key.getMetadata().getName();
    operator.restart();
    ApiKey finished = awaitKey(NS, name, phase("Active"));
    assertThat(finished.getStatus().accessKey).isEqualTo(m.material().accessKey());
    assertThat(finished.getStatus().secretFingerprint).isEqualTo(m.material().fingerprint());
    assertThat(finished.getStatus().expiresAt).isEqualTo(m.plan().expiresAt().toString());
    assertThat(finished.getStatus().pending).isNull();
    assertThat(secret(NS, name + "-credentials").getMetadata().getResourceVersion())
        .isEqualTo(written.getMetadata().getResourceVersion());
    assertThat(awaitEvents(NS, name, "Issued")).hasSize(1);
  }

  private static Material material(ApiKey key) {
    KeySettings settings =
        new ApiKeyRules(KeywardConfig.defaults())
            .validate(key.getMetadata().getName(), key.getSpec(), ApiKeyRules.Prior.NONE)
            .settings();
    return new Material(
        settings,
        new KeyGenerator().generate(KeyAlgorithm.HMAC_SHA256),
        ExpiryPlan.forIssuance(Instant.now().truncatedTo(ChronoUnit.SECONDS), settings));
  }

  /**
   * The operator died after writing the Secret and before recording the key as issued: the ledger
   * holds the pending key, the Secret holds its material. The next run finishes the issuance with
   * that key.
   */
  @Test
  void issuanceInterruptedAfterTheSecretIsFinishedNotRepeated() {
    operator.close();
    try {
      ApiKey key = key(NS, "crash-bot", "walt", s -> {});
      Material m = material(key);
      KeyMaterial material = m.material();
      ExpiryPlan plan = m.plan();
      ApiKeyStatus.PendingKey pending = new ApiKeyStatus.PendingKey();
      pending.accessKey = material.accessKey();
      pending.secretFingerprint = material.fingerprint();
      pending.algorithm = "HmacSHA256";
      pending.issuedAt = plan.issuedAt().toString();
      pending.expiresAt = plan.expiresAt().toString();
      pending.reason = "Issue";
      recordPending(key, pending);
      Secret written = writeSecret(key, m);

      restartAndAwaitFinishedWith(key, m, written);
    } finally {
      operator.restart();
    }
  }

  /**
   * A Secret that carries this key's ownerReference and consistent fingerprint annotations, but
   * that no pending record names (anyone who may create Secrets in the namespace can make one):
   * never adopted. It is replaced by a key of the operator's own, recorded before it is written.
   */
  @Test
  void aSecretNoRecordNamesIsReplacedNotAdopted() {
    operator.close();
    try {
      ApiKey key = key(NS, "first-crash", "walt", s -> {});
      Material m = material(key);
      writeSecret(key, m);

      operator.restart();
      ApiKey finished = awaitKey(NS, "first-crash", phase("Active"));
      assertThat(finished.getStatus().accessKey).isNotEqualTo(m.material().accessKey());
      assertThat(finished.getStatus().secretFingerprint).isNotEqualTo(m.material().fingerprint());
      Secret secret = secret(NS, "first-crash-credentials");
      assertThat(CredentialSecret.data(secret, "accessKey"))
          .contains(finished.getStatus().accessKey);
      await()
          .atMost(WAIT)
          .until(
              () -> ledgerEntry(key).grant.accessKey,
              a -> a.equals(finished.getStatus().accessKey));
    } finally {
      operator.restart();
    }
  }

  /**
   * The operator died after recording the pending key and before writing the Secret: that key's
   * material existed only in memory, so a new key is issued and the pending one is dropped.
   */
  @Test
  void issuanceInterruptedBeforeTheSecretIssuesOnce() {
    operator.close();
    try {
      ApiKey key = key(NS, "early-crash", "walt", s -> {});
      ApiKeyStatus.PendingKey pending = new ApiKeyStatus.PendingKey();
      pending.accessKey = "KWNEVERWRITTEN";
      pending.secretFingerprint = "sha256:00";
      pending.reason = "Issue";
      recordPending(key, pending);

      operator.restart();
      ApiKey finished = awaitKey(NS, "early-crash", phase("Active"));
      assertThat(finished.getStatus().accessKey).isNotEqualTo("KWNEVERWRITTEN");
      assertThat(finished.getStatus().pending).isNull();
      // The status is written first, then the grant it mirrors.
      await()
          .atMost(WAIT)
          .until(
              () -> ledgerEntry(key).grant,
              g -> g.pending == null && finished.getStatus().accessKey.equals(g.accessKey));
      Secret secret = secret(NS, "early-crash-credentials");
      assertThat(CredentialSecret.data(secret, "accessKey"))
          .contains(finished.getStatus().accessKey);
    } finally {
      operator.restart();
    }
  }

  /** Writes what the operator writes before a Secret: the key's slot with its pending record. */
  private static void recordPending(ApiKey key, ApiKeyStatus.PendingKey pending) {
    editUserStatus(
        "walt",
        status -> {
          status.keyRefs.removeIf(r -> key.getMetadata().getUid().equals(r.uid));
          ApiUserStatus.KeyRef ref = new ApiUserStatus.KeyRef();
          ref.namespace = NS;
          ref.name = key.getMetadata().getName();
          ref.uid = key.getMetadata().getUid();
          ref.type = "spot";
          ref.grant = new ApiUserStatus.KeyGrant();
          ref.grant.secretName = key.getMetadata().getName() + "-credentials";
          ref.grant.pending = pending;
          status.keyRefs.add(ref);
        });
  }

  private static ApiUserStatus.KeyRef ledgerEntry(ApiKey key) {
    return getUser("walt").getStatus().keyRefs.stream()
        .filter(r -> key.getMetadata().getUid().equals(r.uid))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void secretsAreCreatedOncePerKeyUnderConcurrentReconciles() {
    List<String> names = IntStream.range(0, 10).mapToObj(i -> "burst-" + i).toList();
    try (SecretHistory history =
        SecretHistory.of(NS, names.stream().map(n -> n + "-credentials").toList())) {
      for (String name : names) {
        key(NS, name, "walt", s -> {});
      }
      for (String name : names) {
        awaitKey(NS, name, phase("Active"));
      }
      // Every key's Secret, over the whole test: one Secret, one data version (no second key, no
      // rewrite), and it stays so while duplicate work would have time to show.
      await()
          .during(Duration.ofSeconds(2))
          .atMost(Duration.ofSeconds(2).plus(WAIT))
          .untilAsserted(history::assertEachWrittenOnce);
      for (String name : names) {
        ApiKey k = get(NS, name);
        Map<String, String> data = history.data(name + "-credentials");
        assertThat(data.get("accessKey")).isEqualTo(CredentialSecret.b64(k.getStatus().accessKey));
        assertThat(CredentialSecret.data(secret(NS, name + "-credentials"), "secretKey"))
            .map(io.keyward.operator.issuance.Fingerprint::of)
            .contains(k.getStatus().secretFingerprint);
        assertThat(events(NS, name, "Issued")).as(name).hasSize(1);
      }
    }
  }
}
