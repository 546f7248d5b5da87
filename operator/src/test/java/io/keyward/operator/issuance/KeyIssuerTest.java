package io.keyward.operator.issuance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.StatusCauseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.keyward.operator.MockApiServer;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.expiry.ExpiryPlan;
import io.keyward.operator.validation.ApiKeyRules;
import io.keyward.operator.validation.KeySettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Secret writes of issuance against a mock API server: create never overwrites, a rotation is a
 * compare and swap on the Secret as read, metadata syncs never touch the material, and neither an
 * exception nor a log carries material or the server's answer.
 */
class KeyIssuerTest {
  static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
  static final String SECRET_LOOKING = "c2VjcmV0LWtleS1tYXRlcmlhbA";
  static MockApiServer api;
  static KubernetesClient client;

  /** What the SecretWrites hook was told: the Secret written and the one it replaced. */
  final List<Secret[]> told = new ArrayList<>();

  KeyIssuer issuer;

  @BeforeAll
  static void start() {
    api = new MockApiServer();
    client = api.client();
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  @BeforeEach
  void issuer() {
    issuer = new KeyIssuer(client, new KeyGenerator(), (w, b) -> told.add(new Secret[] {w, b}));
  }

  // --- create ---

  @Test
  void createWritesTheSecretLayoutAndTellsTheHook() {
    ApiKey key = key("layout");
    KeySettings settings =
        settings(
            "layout",
            s -> {
              s.secretTemplate = new ApiKeySpec.SecretTemplate();
              s.secretTemplate.labels = Map.of("team", "eth");
              s.secretTemplate.annotations = Map.of("owner", "bob");
              s.secretTemplate.keyNames = new ApiKeySpec.KeyNames();
              s.secretTemplate.keyNames.accessKey = "API_KEY";
              s.secretTemplate.keyNames.secretKey = "API_SECRET";
            });
    ExpiryPlan expiry = ExpiryPlan.forIssuance(T0, settings);
    KeyIssuer.Prepared p = issuer.prepare(settings, expiry, "Issue", null, null);

    Secret created = issuer.create(key, settings, p);

    Secret stored = client.secrets().inNamespace("ns").withName("layout-credentials").get();
    assertThat(stored.getType()).isEqualTo("keyward.io/api-key");
    assertThat(stored.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "keyward")
        .containsEntry("keyward.io/apikey", "layout")
        .containsEntry("keyward.io/user", "alice")
        .containsEntry("team", "eth");
    assertThat(stored.getMetadata().getAnnotations())
        .containsEntry("keyward.io/access-key", p.material().accessKey())
        .containsEntry("keyward.io/fingerprint", p.material().fingerprint())
        .containsEntry("keyward.io/issued-at", T0.toString())
        .containsEntry("keyward.io/expires-at", T0.plus(Duration.ofDays(90)).toString())
        .containsEntry("keyward.io/data-keys", "accessKey=API_KEY,secretKey=API_SECRET")
        .containsEntry("owner", "bob");
    OwnerReference owner = stored.getMetadata().getOwnerReferences().get(0);
    assertThat(owner.getUid()).isEqualTo("uid-layout");
    assertThat(owner.getKind()).isEqualTo("ApiKey");
    assertThat(owner.getController()).isTrue();
    assertThat(stored.getData())
        .containsOnlyKeys("API_KEY", "API_SECRET", "algorithm", "expiresAt");
    assertThat(CredentialSecret.data(stored, "API_KEY")).contains(p.material().accessKey());
    assertThat(CredentialSecret.data(stored, "API_SECRET")).contains(p.material().secretKey());
    assertThat(CredentialSecret.data(stored, "algorithm")).contains("HmacSHA256");
    assertThat(CredentialSecret.data(stored, "expiresAt"))
        .contains(T0.plus(Duration.ofDays(90)).toString());
    // Status records the public facts of what the Secret holds.
    assertThat(p.record().accessKey).isEqualTo(p.material().accessKey());
    assertThat(p.record().secretFingerprint)
        .isEqualTo(Fingerprint.of(CredentialSecret.data(stored, "API_SECRET").orElseThrow()));
    assertThat(told).hasSize(1);
    assertThat(told.get(0)[0].getMetadata().getUid()).isEqualTo(created.getMetadata().getUid());
    assertThat(told.get(0)[1]).as("created, nothing replaced").isNull();
  }

  @Test
  void aSecondCreateOfTheSameNameIsAStaleReadAndOverwritesNothing() {
    ApiKey key = key("twice");
    KeySettings settings = settings("twice", s -> {});
    ExpiryPlan expiry = ExpiryPlan.forIssuance(T0, settings);
    issuer.create(key, settings, issuer.prepare(settings, expiry, "Issue", null, null));
    Map<String, String> data = stored("twice-credentials").getData();

    KeyIssuer.Prepared second = issuer.prepare(settings, expiry, "Issue", null, null);
    assertThatThrownBy(() -> issuer.create(key, settings, second))
        .isInstanceOf(KeyIssuer.StaleReadException.class)
        .hasMessage("Secret ns/twice-credentials exists");

    assertThat(stored("twice-credentials").getData()).isEqualTo(data);
    assertThat(told).hasSize(1);
  }

  @Test
  void aKeyWithAPassphraseRecordsItsFingerprintBeforeTheSecretAndMovesItOnRotation() {
    ApiKey key = key("okx");
    KeySettings settings = settings("okx", s -> s.passphrase = true);
    KeyIssuer.Prepared first =
        issuer.prepare(settings, ExpiryPlan.forIssuance(T0, settings), "Issue", null, null);
    assertThat(first.record().passphraseFingerprint)
        .as("the pending record names the passphrase, never holds it")
        .isEqualTo(first.material().passphraseFingerprint())
        .startsWith("sha256:");
    assertThat(first.toString()).doesNotContain(first.material().passphrase());

    Secret read = issuer.create(key, settings, first);
    String passphrase = CredentialSecret.data(read, "passphrase").orElseThrow();
    assertThat(passphrase).isEqualTo(first.material().passphrase());
    assertThat(Fingerprint.of(passphrase)).isEqualTo(first.record().passphraseFingerprint);
    ApiKeyStatus status = new ApiKeyStatus();
    status.accessKey = first.record().accessKey;
    status.secretFingerprint = first.record().secretFingerprint;
    status.passphraseFingerprint = first.record().passphraseFingerprint;
    assertThat(KeyIssuer.decide(key, status, settings, read)).isEqualTo(SecretCheck.Verdict.STEADY);

    KeyIssuer.Prepared next =
        issuer.prepare(
            settings,
            ExpiryPlan.forIssuance(T0.plusSeconds(60), settings),
            "Rotate",
            "c",
            T0.plus(Duration.ofHours(1)));
    issuer.rotate(key, read, settings, next);
    Secret rotated = stored("okx-credentials");
    assertThat(CredentialSecret.data(rotated, "passphrase")).contains(next.material().passphrase());
    assertThat(CredentialSecret.data(rotated, "previousPassphrase")).contains(passphrase);
    assertThat(KeyIssuer.decide(key, status, settings, rotated))
        .as("the old record no longer names what the Secret holds")
        .isEqualTo(SecretCheck.Verdict.REPLACE_TAMPERED);

    // A passphrase edited in the Secret is not the key that was issued.
    status.accessKey = next.record().accessKey;
    status.secretFingerprint = next.record().secretFingerprint;
    status.passphraseFingerprint = next.record().passphraseFingerprint;
    assertThat(KeyIssuer.decide(key, status, settings, rotated))
        .isEqualTo(SecretCheck.Verdict.STEADY);
    Secret edited =
        new SecretBuilder(rotated).addToData("passphrase", CredentialSecret.b64("mine")).build();
    assertThat(KeyIssuer.decide(key, status, settings, edited))
        .isEqualTo(SecretCheck.Verdict.REPLACE_TAMPERED);
  }

  @Test
  void aRefusedCreateNamesStepSecretStatusAndFieldsButNotTheServersText() {
    ApiKey key = key("refused");
    KeySettings settings = settings("refused", s -> {});
    api.server()
        .expect()
        .post()
        .withPath("/api/v1/namespaces/ns/secrets")
        .andReturn(422, refusal())
        .once();
    KeyIssuer.Prepared p =
        issuer.prepare(settings, ExpiryPlan.forIssuance(T0, settings), "Issue", null, null);

    assertThatThrownBy(() -> issuer.create(key, settings, p))
        .isInstanceOfSatisfying(
            IssuanceException.class,
            e -> {
              assertThat(e.code()).isEqualTo(422);
              assertThat(e.getMessage())
                  .startsWith("cannot create Secret ns/refused-credentials: HTTP 422")
                  .contains("metadata.labels: FieldValueInvalid")
                  .contains("check spec.secretTemplate labels and annotations")
                  .doesNotContain(SECRET_LOOKING)
                  .doesNotContain("Invalid value")
                  .doesNotContain(p.material().secretKey());
              assertThat(e.getCause()).isNull();
            });
    assertThat(told).isEmpty();
  }

  // --- rotate ---

  @Test
  void aRotationOnAStaleSecretIsRefusedAndLeavesItsDataAlone() {
    ApiKey key = key("stale");
    KeySettings settings = settings("stale", s -> {});
    Secret read = issue(key, settings);
    // The Secret changes after it was read (someone labels it).
    client
        .secrets()
        .inNamespace("ns")
        .withName("stale-credentials")
        .edit(s -> new SecretBuilder(s).editMetadata().addToLabels("x", "y").endMetadata().build());
    Map<String, String> data = stored("stale-credentials").getData();
    told.clear();

    KeyIssuer.Prepared next =
        issuer.prepare(
            settings, ExpiryPlan.forIssuance(T0.plusSeconds(60), settings), "Rotate", "c", null);
    assertThatThrownBy(() -> issuer.rotate(key, read, settings, next))
        .isInstanceOf(KeyIssuer.StaleReadException.class);

    assertThat(stored("stale-credentials").getData()).isEqualTo(data);
    assertThat(told).isEmpty();
  }

  @Test
  void aRotationOfADeletedSecretIsAStaleRead() {
    ApiKey key = key("gone");
    KeySettings settings = settings("gone", s -> {});
    Secret read = issue(key, settings);
    client.secrets().inNamespace("ns").withName("gone-credentials").delete();
    KeyIssuer.Prepared next =
        issuer.prepare(settings, ExpiryPlan.forIssuance(T0, settings), "Rotate", "c", null);
    assertThatThrownBy(() -> issuer.rotate(key, read, settings, next))
        .isInstanceOf(KeyIssuer.StaleReadException.class);
    assertThat(client.secrets().inNamespace("ns").withName("gone-credentials").get()).isNull();
  }

  @Test
  void aRotationWithGraceKeepsTheReplacedKeyAsPrevious() {
    ApiKey key = key("grace");
    KeySettings settings = settings("grace", s -> {});
    Secret read = issue(key, settings);
    String oldAccess = CredentialSecret.data(read, "accessKey").orElseThrow();
    String oldSecret = CredentialSecret.data(read, "secretKey").orElseThrow();
    Instant until = T0.plus(Duration.ofHours(25));
    KeyIssuer.Prepared next =
        issuer.prepare(
            settings,
            ExpiryPlan.forIssuance(T0.plusSeconds(3600), settings),
            "Rotate",
            "keyward.io/rotate=1",
            until);
    told.clear();

    issuer.rotate(key, read, settings, next);

    Secret s = stored("grace-credentials");
    assertThat(CredentialSecret.data(s, "accessKey")).contains(next.material().accessKey());
    assertThat(CredentialSecret.data(s, "secretKey")).contains(next.material().secretKey());
    assertThat(CredentialSecret.data(s, "previousAccessKey")).contains(oldAccess);
    assertThat(CredentialSecret.data(s, "previousSecretKey")).contains(oldSecret);
    assertThat(s.getMetadata().getAnnotations())
        .containsEntry("keyward.io/access-key", next.material().accessKey())
        .containsEntry("keyward.io/previous-access-key", oldAccess)
        .containsEntry("keyward.io/previous-valid-until", until.toString());
    assertThat(told).hasSize(1);
    assertThat(told.get(0)[1]).as("the Secret it replaced").isSameAs(read);
  }

  @Test
  void aRotationWithoutGraceDropsTheReplacedKeyAndAnyOlderOne() {
    ApiKey key = key("nograce");
    KeySettings settings = settings("nograce", s -> {});
    Secret read = issue(key, settings);
    // A first rotation with grace leaves a previous key ...
    issuer.rotate(
        key,
        read,
        settings,
        issuer.prepare(settings, ExpiryPlan.forIssuance(T0, settings), "Rotate", "c", T0));
    Secret withPrevious = stored("nograce-credentials");
    assertThat(CredentialSecret.hasPrevious(withPrevious)).isTrue();

    // ... which a rotation without grace does not keep.
    KeyIssuer.Prepared next =
        issuer.prepare(settings, ExpiryPlan.forIssuance(T0, settings), "Rotate", "c", null);
    issuer.rotate(key, withPrevious, settings, next);

    Secret s = stored("nograce-credentials");
    assertThat(CredentialSecret.hasPrevious(s)).isFalse();
    assertThat(s.getData()).containsOnlyKeys("accessKey", "secretKey", "algorithm", "expiresAt");
    assertThat(s.getMetadata().getAnnotations())
        .doesNotContainKeys("keyward.io/previous-access-key", "keyward.io/previous-valid-until");
    assertThat(CredentialSecret.data(s, "secretKey")).contains(next.material().secretKey());
  }

  @Test
  void aRefusedUpdateNamesTheStepAndNotTheServersText() {
    ApiKey key = key("refused-update");
    KeySettings settings = settings("refused-update", s -> {});
    Secret read = issue(key, settings);
    api.server()
        .expect()
        .put()
        .withPath("/api/v1/namespaces/ns/secrets/refused-update-credentials")
        .andReturn(422, refusal())
        .once();
    KeyIssuer.Prepared next =
        issuer.prepare(settings, ExpiryPlan.forIssuance(T0, settings), "Rotate", "c", null);
    assertThatThrownBy(() -> issuer.rotate(key, read, settings, next))
        .isInstanceOfSatisfying(
            IssuanceException.class,
            e ->
                assertThat(e.getMessage())
                    .startsWith("cannot update Secret ns/refused-update-credentials: HTTP 422")
                    .contains("metadata.labels: FieldValueInvalid")
                    .doesNotContain(SECRET_LOOKING)
                    .doesNotContain(next.material().secretKey()));
  }

  // --- dropPrevious ---

  @Test
  void dropPreviousRemovesThePreviousKeyOnly() {
    ApiKey key = key("drop");
    KeySettings settings = settings("drop", s -> {});
    Secret read = issue(key, settings);
    KeyIssuer.Prepared next =
        issuer.prepare(settings, ExpiryPlan.forIssuance(T0, settings), "Rotate", "c", T0);
    issuer.rotate(key, read, settings, next);

    issuer.dropPrevious(key, stored("drop-credentials"));

    Secret s = stored("drop-credentials");
    assertThat(CredentialSecret.hasPrevious(s)).isFalse();
    assertThat(s.getMetadata().getAnnotations())
        .doesNotContainKeys("keyward.io/previous-access-key", "keyward.io/previous-valid-until")
        .containsEntry("keyward.io/access-key", next.material().accessKey());
    assertThat(CredentialSecret.data(s, "secretKey")).contains(next.material().secretKey());

    // Nothing left to drop, or not this key's Secret: no write.
    int writes = api.writes().size();
    issuer.dropPrevious(key, s);
    issuer.dropPrevious(key("other-drop"), stored("drop-credentials"));
    issuer.dropPrevious(key, null);
    assertThat(api.writes()).hasSize(writes);
  }

  // --- syncMetadata ---

  @Test
  void syncMetadataBringsLabelsAnnotationsAndExpiryInLineButNeverTheMaterial() {
    ApiKey key = key("sync");
    KeySettings before = settings("sync", s -> {});
    Secret read = issue(key, before);
    ApiKeyStatus status = statusOf(read);
    status.expiresAt = T0.plus(Duration.ofDays(180)).toString(); // extended
    KeySettings after =
        settings(
            "sync",
            s -> {
              s.secretTemplate = new ApiKeySpec.SecretTemplate();
              s.secretTemplate.labels = Map.of("team", "btc");
              s.secretTemplate.annotations = Map.of("owner", "carol");
            });
    assertThat(KeyIssuer.drifted(key, after, status, read)).isTrue();

    issuer.syncMetadata(key, after, status);

    Secret s = stored("sync-credentials");
    assertThat(s.getMetadata().getLabels()).containsEntry("team", "btc");
    assertThat(s.getMetadata().getAnnotations())
        .containsEntry("owner", "carol")
        .containsEntry("keyward.io/expires-at", status.expiresAt);
    assertThat(CredentialSecret.data(s, "expiresAt")).contains(status.expiresAt);
    assertThat(s.getData().get("secretKey")).isEqualTo(read.getData().get("secretKey"));
    assertThat(s.getData().get("accessKey")).isEqualTo(read.getData().get("accessKey"));
    assertThat(KeyIssuer.drifted(key, after, status, s)).isFalse();

    // In line already: nothing is written.
    int writes = api.writes().size();
    issuer.syncMetadata(key, after, status);
    assertThat(api.writes()).hasSize(writes);
  }

  @Test
  void syncMetadataRefusesASecretThatNoLongerHoldsTheStatussKey() {
    ApiKey key = key("sync-stale");
    KeySettings settings = settings("sync-stale", s -> {});
    Secret read = issue(key, settings);
    ApiKeyStatus status = statusOf(read);
    // The Secret was rotated since the status was read.
    issuer.rotate(
        key,
        read,
        settings,
        issuer.prepare(settings, ExpiryPlan.forIssuance(T0, settings), "Rotate", "c", null));
    Secret rotated = stored("sync-stale-credentials");
    KeySettings labelled =
        settings(
            "sync-stale",
            s -> {
              s.secretTemplate = new ApiKeySpec.SecretTemplate();
              s.secretTemplate.labels = Map.of("team", "eth");
            });

    assertThatThrownBy(() -> issuer.syncMetadata(key, labelled, status))
        .isInstanceOf(KeyIssuer.StaleReadException.class);
    assertThat(stored("sync-stale-credentials").getMetadata().getResourceVersion())
        .isEqualTo(rotated.getMetadata().getResourceVersion());

    client.secrets().inNamespace("ns").withName("sync-stale-credentials").delete();
    assertThatThrownBy(() -> issuer.syncMetadata(key, labelled, status))
        .isInstanceOf(KeyIssuer.StaleReadException.class);
  }

  // --- delete ---

  @Test
  void deleteRemovesOnlyASecretThisKeyControls() {
    ApiKey owner = key("mine");
    KeySettings settings = settings("mine", s -> {});
    issue(owner, settings);

    issuer.delete(key("not-the-owner"), "mine-credentials");
    assertThat(client.secrets().inNamespace("ns").withName("mine-credentials").get()).isNotNull();

    issuer.delete(owner, "mine-credentials");
    assertThat(client.secrets().inNamespace("ns").withName("mine-credentials").get()).isNull();

    // Already gone: nothing to do.
    issuer.delete(owner, "mine-credentials");
  }

  // --- prepare ---

  @Test
  void aPreparedKeyNeverShowsItsSecretKey() {
    for (String algorithm : List.of("HmacSHA256", "Ed25519")) {
      KeySettings settings = settings("shown", s -> s.algorithm = algorithm);
      KeyIssuer.Prepared p =
          issuer.prepare(
              settings, ExpiryPlan.forIssuance(T0, settings), "Rotate", "c", T0.plusSeconds(9));
      String secretKey = p.material().secretKey();
      assertThat(p.toString()).doesNotContain(secretKey).contains(p.material().accessKey());
      assertThat(p.material().toString()).doesNotContain(secretKey);
      // For Ed25519 not even a line of the PEM.
      for (String line : secretKey.split("\n")) {
        if (line.length() > 8 && !line.startsWith("-----")) {
          assertThat(p.toString()).doesNotContain(line);
        }
      }
      // The record is public: fingerprint, not material.
      assertThat(p.record().secretFingerprint).isEqualTo(Fingerprint.of(secretKey));
      assertThat(p.record().reason).isEqualTo("Rotate");
      assertThat(p.record().previousValidUntil).isEqualTo(T0.plusSeconds(9).toString());
      assertThat(p.record().algorithm).isEqualTo(algorithm);
    }
  }

  // --- helpers ---

  /** Issues a first key into the key's Secret and returns the Secret as stored. */
  private Secret issue(ApiKey key, KeySettings settings) {
    return issuer.create(
        key,
        settings,
        issuer.prepare(settings, ExpiryPlan.forIssuance(T0, settings), "Issue", null, null));
  }

  private static ApiKeyStatus statusOf(Secret s) {
    ApiKeyStatus status = new ApiKeyStatus();
    status.accessKey = CredentialSecret.annotation(s, CredentialSecret.ANN_ACCESS_KEY);
    status.secretFingerprint = CredentialSecret.annotation(s, CredentialSecret.ANN_FINGERPRINT);
    status.issuedAt = CredentialSecret.annotation(s, CredentialSecret.ANN_ISSUED_AT);
    status.expiresAt = CredentialSecret.annotation(s, CredentialSecret.ANN_EXPIRES_AT);
    return status;
  }

  private static Secret stored(String name) {
    return client.secrets().inNamespace("ns").withName(name).get();
  }

  /** A 422 whose message quotes a secret-looking value, as an API server's can. */
  private static io.fabric8.kubernetes.api.model.Status refusal() {
    return new StatusBuilder()
        .withStatus("Failure")
        .withCode(422)
        .withReason("Invalid")
        .withMessage(
            "Secret \"x\" is invalid: metadata.labels: Invalid value: \"" + SECRET_LOOKING + "\"")
        .withNewDetails()
        .withKind("Secret")
        .withCauses(
            new StatusCauseBuilder()
                .withField("metadata.labels")
                .withReason("FieldValueInvalid")
                .withMessage("Invalid value: \"" + SECRET_LOOKING + "\"")
                .build())
        .endDetails()
        .build();
  }

  private static ApiKey key(String name) {
    ApiKey k = new ApiKey();
    k.setMetadata(
        new ObjectMetaBuilder().withName(name).withNamespace("ns").withUid("uid-" + name).build());
    return k;
  }

  private static KeySettings settings(String keyName, Consumer<ApiKeySpec> edit) {
    ApiKeySpec spec = new ApiKeySpec();
    spec.user = "alice";
    spec.note = "bot";
    edit.accept(spec);
    ApiKeyRules.Result r =
        new ApiKeyRules(KeywardConfig.defaults()).validate(keyName, spec, ApiKeyRules.Prior.NONE);
    assertThat(r.valid()).as(r.message()).isTrue();
    return r.settings();
  }
}
