package io.keyward.operator.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.expiry.ExpiryPlan;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.issuance.KeyAlgorithm;
import io.keyward.operator.issuance.KeyGenerator;
import io.keyward.operator.issuance.KeyMaterial;
import io.keyward.operator.issuance.SecretCheck;
import io.keyward.operator.mfa.EnrolmentSecret;
import io.keyward.operator.mfa.Totp;
import io.keyward.operator.validation.ApiKeyRules;
import io.keyward.operator.validation.KeySettings;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the informer caches keep of Secrets anyone may label {@code
 * app.kubernetes.io/managed-by=keyward}: Keyward's own whole, every other one as a data-less stub.
 */
class SecretStubTest {
  private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
  private static final String BIG = Base64.getEncoder().encodeToString(new byte[75_000]);

  private final LeanItemStore<Secret> store = new LeanItemStore<>();

  private static ApiKey key() {
    ApiKey k = new ApiKey();
    k.setMetadata(
        new ObjectMetaBuilder().withName("eth-bot").withNamespace("bots").withUid("u-1").build());
    return k;
  }

  private static KeySettings settings() {
    ApiKeySpec spec = new ApiKeySpec();
    spec.user = "alice";
    spec.note = "bot";
    return new ApiKeyRules(KeywardConfig.defaults())
        .validate("eth-bot", spec, ApiKeyRules.Prior.NONE)
        .settings();
  }

  /** The key's own Secret, as the operator writes it. */
  private static Secret keySecret(KeyMaterial m) {
    Secret s = CredentialSecret.build(key(), settings(), m, ExpiryPlan.forIssuance(T0, settings()));
    s.getMetadata().setUid("s-1");
    s.getMetadata().setResourceVersion("7");
    return s;
  }

  /** A tenant's Secret that carries the label the operator's informer selects on. */
  private static Secret lookAlike(String name, String type) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("bots")
        .withUid("uid-" + name)
        .withResourceVersion("3")
        .withLabels(
            Map.of(CredentialSecret.MANAGED_BY, "keyward", "app", "x".repeat(63), "other", "y"))
        .withAnnotations(Map.of("big", "z".repeat(60_000)))
        .withFinalizers(List.of("example.com/hold"))
        .withOwnerReferences(
            new OwnerReferenceBuilder()
                .withApiVersion("v1")
                .withKind("ConfigMap")
                .withName("cm")
                .withUid("cm-1")
                .build())
        .endMetadata()
        .withType(type)
        .withData(Map.of("payload", BIG))
        .build();
  }

  @Test
  void aKeysOwnSecretIsCachedWhole() {
    KeyMaterial m = new KeyGenerator().generate(KeyAlgorithm.ED25519);
    store.put("bots/eth-bot-credentials", keySecret(m));
    Secret cached = store.get("bots/eth-bot-credentials");
    assertThat(SecretStub.is(cached)).isFalse();
    assertThat(CredentialSecret.data(cached, "accessKey")).contains(m.accessKey());
    assertThat(SecretStub.size(cached)).isLessThan(SecretStub.MAX_SIZE / 8);
  }

  @Test
  void anEnrolmentSecretWithItsQrCodeIsCachedWhole() {
    ApiUser user = new ApiUser();
    user.setMetadata(new ObjectMetaBuilder().withName("bob").withUid("user-1").build());
    Secret enrolment = EnrolmentSecret.build(user, "keyward-system", new Totp().newSecret());
    assertThat(SecretStub.whyNotWhole(enrolment)).isNull();
    assertThat(SecretStub.size(enrolment)).isLessThan(SecretStub.MAX_SIZE / 4);
  }

  @Test
  void aLookAlikeIsKeptAsAStubWithoutItsData() {
    for (String type : List.of("Opaque", CredentialSecret.TYPE, EnrolmentSecret.TYPE)) {
      store.put("bots/fake", lookAlike("fake", type));
      Secret stub = store.get("bots/fake");
      assertThat(SecretStub.is(stub)).as(type).isTrue();
      assertThat(stub.getData()).as(type).isNullOrEmpty();
      assertThat(stub.getType()).isEqualTo(type);
      assertThat(stub.getMetadata().getName()).isEqualTo("fake");
      assertThat(stub.getMetadata().getUid()).isEqualTo("uid-fake");
      assertThat(stub.getMetadata().getResourceVersion()).isEqualTo("3");
      // Only Keyward's own labels, only the marker, no finalizer and no reference that controls.
      assertThat(stub.getMetadata().getLabels()).containsOnlyKeys(CredentialSecret.MANAGED_BY);
      assertThat(stub.getMetadata().getAnnotations()).containsOnlyKeys(SecretStub.MARKER);
      assertThat(stub.getMetadata().getFinalizers()).isEmpty();
      assertThat(stub.getMetadata().getOwnerReferences()).isEmpty();
      assertThat(SecretStub.size(stub)).isLessThan(200);
    }
    assertThat(store.get("bots/fake").getMetadata().getAnnotations().get(SecretStub.MARKER))
        .isEqualTo("not controlled by a keyward.io ApiUser");
  }

  @Test
  void aSecretOfTheKeyTypeAndControlledByAKeyIsStillAStubWhenItIsLarge() {
    KeyMaterial m = new KeyGenerator().generate(KeyAlgorithm.HMAC_SHA256);
    Secret grown = keySecret(m);
    Map<String, String> data = new LinkedHashMap<>(grown.getData());
    data.put("extra", BIG);
    grown.setData(data);
    store.put("bots/eth-bot-credentials", grown);
    Secret stub = store.get("bots/eth-bot-credentials");
    assertThat(SecretStub.is(stub)).isTrue();
    assertThat(stub.getData()).isNullOrEmpty();
    assertThat(stub.getMetadata().getAnnotations().get(SecretStub.MARKER))
        .startsWith("100")
        .endsWith("characters of data and metadata (at most 32768 are cached)");
    // What the operator needs to find and map it stays: the controller reference and its labels.
    assertThat(stub.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getUid()).isEqualTo("u-1"));
    assertThat(stub.getMetadata().getLabels())
        .containsOnlyKeys(
            CredentialSecret.MANAGED_BY,
            CredentialSecret.LABEL_APIKEY,
            CredentialSecret.LABEL_USER);

    // A stub shows the key rules no key: never the settled verdict, so the controller reads the
    // Secret from the API server before it decides anything.
    SecretCheck.KeyRecord current = new SecretCheck.KeyRecord(m.accessKey(), m.fingerprint());
    SecretCheck.Observed seen = CredentialSecret.observe(stub, key(), settings());
    assertThat(SecretCheck.decide(current, null, seen))
        .isEqualTo(SecretCheck.Verdict.REPLACE_TAMPERED);
    assertThat(SecretCheck.decide(null, current, seen))
        .isEqualTo(SecretCheck.Verdict.REPLACE_TAMPERED);
    assertThat(SecretCheck.decide(null, null, seen))
        .isEqualTo(SecretCheck.Verdict.REPLACE_TAMPERED);
    // The whole Secret decides as ever.
    assertThat(
            SecretCheck.decide(current, null, CredentialSecret.observe(grown, key(), settings())))
        .isEqualTo(SecretCheck.Verdict.STEADY);
  }

  @Test
  void twoHundredLargeLookAlikesLeaveAlmostNothingInTheCache() {
    long given = 0;
    for (int i = 0; i < 200; i++) {
      Secret s = lookAlike("fake-" + i, i % 2 == 0 ? "Opaque" : CredentialSecret.TYPE);
      given += SecretStub.size(s);
      store.put("bots/fake-" + i, s);
    }
    long kept = store.values().mapToLong(SecretStub::size).sum();
    assertThat(store.values()).hasSize(200).allMatch(SecretStub::is);
    assertThat(given).isGreaterThan(200L * 100_000);
    assertThat(kept).isLessThan(200L * 200);
  }
}
