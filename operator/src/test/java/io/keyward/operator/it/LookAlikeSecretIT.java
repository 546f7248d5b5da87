package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.apikey.ApiKeyReconciler;
import io.keyward.operator.apiuser.ApiUserReconciler;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.kube.SecretStub;
import io.keyward.operator.mfa.EnrolmentSecret;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A tenant who may create Secrets puts the label the operator selects its key Secrets by on 200
 * Secrets of 100 KB each, some even of the key Secret's type and controlled by one of its ApiKeys.
 * On the real API server, the operator's informer caches hold none of their data (inspected in the
 * item stores themselves), the tenant's real key is served as before, and a key Secret grown past
 * the bound is read from the server and still recognised as the key's own.
 */
@ExtendWith(RealCluster.class)
class LookAlikeSecretIT {
  private static final String NS = "look-alike";
  private static final String OPERATOR_NS = "keyward-system";
  private static final String USER = "lola";
  private static final int SECRETS = 200;
  private static final String PAYLOAD = payload(75_000);
  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    RealCluster.namespace(NS);
    RealCluster.namespace(OPERATOR_NS);
    user(USER, NS);
    operator = RunningOperator.start(Map.of());
  }

  @AfterAll
  static void stop() {
    operator.close();
    client().secrets().inNamespace(NS).withLabel("test.keyward.io/look-alike").delete();
  }

  /** 75,000 random letters, base64-encoded: about 100 KB in the Secret. */
  private static String payload(int letters) {
    java.util.Random random = new java.util.Random(14);
    StringBuilder sb = new StringBuilder(letters);
    for (int i = 0; i < letters; i++) {
      sb.append((char) ('a' + random.nextInt(26)));
    }
    return Base64.getEncoder()
        .encodeToString(sb.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  private static Secret lookAlike(String namespace, String name, String type, ApiKey owner) {
    SecretBuilder b =
        new SecretBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .withLabels(
                Map.of(
                    CredentialSecret.MANAGED_BY,
                    CredentialSecret.MANAGED_BY_VALUE,
                    EnrolmentSecret.LABEL_PURPOSE,
                    EnrolmentSecret.PURPOSE,
                    "test.keyward.io/look-alike",
                    "true"))
            .endMetadata()
            .withType(type)
            .withData(Map.of("payload", PAYLOAD));
    if (owner != null) {
      b.editMetadata()
          .withOwnerReferences(
              new OwnerReferenceBuilder()
                  .withApiVersion("keyward.io/v1alpha1")
                  .withKind("ApiKey")
                  .withName(owner.getMetadata().getName())
                  .withUid(owner.getMetadata().getUid())
                  .withController(true)
                  .build())
          .endMetadata();
    }
    return client().resource(b.build()).create();
  }

  private static List<Secret> keySecretsCache() {
    return operator.cached(ApiKeyReconciler.NAME, "secrets", Secret.class, NS);
  }

  @Test
  void largeLookAlikesLeaveNoDataInTheCachesAndTheRealKeyIsServed() {
    key(NS, "real", USER, s -> {});
    ApiKey real = awaitKey(NS, "real", phase("Active"));
    String accessKey = real.getStatus().accessKey;

    IntStream.range(0, SECRETS)
        .parallel()
        .forEach(
            i ->
                lookAlike(
                    NS,
                    "look-alike-" + i,
                    i % 4 == 0 ? CredentialSecret.TYPE : "Opaque",
                    i % 4 == 0 ? real : null));
    lookAlike(OPERATOR_NS, "lola-totp", EnrolmentSecret.TYPE, null);

    // Every look-alike reached the cache, as a stub: no data, nothing but Keyward's labels.
    List<Secret> cached =
        await()
            .atMost(WAIT)
            .until(
                LookAlikeSecretIT::keySecretsCache,
                l -> l.stream().filter(SecretStub::is).count() == SECRETS);
    List<Secret> stubs = cached.stream().filter(SecretStub::is).toList();
    assertThat(stubs)
        .allSatisfy(
            s -> {
              assertThat(s.getMetadata().getName()).startsWith("look-alike-");
              assertThat(s.getData()).isNullOrEmpty();
              assertThat(s.getMetadata().getLabels())
                  .doesNotContainKey("test.keyward.io/look-alike");
            });
    long kept = cached.stream().mapToLong(s -> SecretStub.size(s)).sum();
    System.out.printf(
        "%d look-alikes of %d characters each; the key Secrets' cache keeps %d characters%n",
        SECRETS, PAYLOAD.length(), kept);
    assertThat(kept).isLessThan(SECRETS * 200L + 4096);
    // The enrolment Secrets' cache of the ApiUser controller too.
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(
                        operator.cached(
                            ApiUserReconciler.NAME, "enrolment-secrets", Secret.class, OPERATOR_NS))
                    .filteredOn(s -> s.getMetadata().getName().equals("lola-totp"))
                    .singleElement()
                    .satisfies(s -> assertThat(s.getData()).isNullOrEmpty())
                    .matches(SecretStub::is));

    // The real key's own Secret is cached whole, and the key is still the one issued.
    assertThat(cached)
        .filteredOn(s -> s.getMetadata().getName().equals("real-credentials"))
        .singleElement()
        .satisfies(s -> assertThat(CredentialSecret.data(s, "accessKey")).contains(accessKey));
    annotateKey(NS, "real", "test.keyward.io/poke", "1");
    awaitKey(
        NS, "real", k -> "1".equals(k.getMetadata().getAnnotations().get("test.keyward.io/poke")));
    assertThat(get(NS, "real").getStatus().accessKey).isEqualTo(accessKey);
    assertThat(events(NS, "real", "SecretLost")).isEmpty();
  }

  @Test
  void aKeySecretGrownPastTheBoundIsReadFromTheServerAndStillTheKeys() {
    key(NS, "grown", USER, s -> {});
    String accessKey = awaitKey(NS, "grown", phase("Active")).getStatus().accessKey;
    editSecret(
        NS,
        "grown-credentials",
        s -> {
          Map<String, String> data = new LinkedHashMap<>(s.getData());
          data.put("extra", PAYLOAD);
          s.setData(data);
          return s;
        });
    await()
        .atMost(WAIT)
        .until(
            () ->
                keySecretsCache().stream()
                    .filter(s -> s.getMetadata().getName().equals("grown-credentials"))
                    .anyMatch(SecretStub::is));
    // A pass on the stub: the controller reads the Secret from the server, finds its key in it
    // (no SecretLost), and rotates it as asked; the rotated Secret is small again, cached whole.
    annotateKey(NS, "grown", ApiKeyReconciler.ROTATE_ANNOTATION, "after-growth");
    ApiKey rotated =
        awaitKey(NS, "grown", k -> "after-growth".equals(k.getStatus().lastHandledRotate));
    String newKey = rotated.getStatus().accessKey;
    assertThat(newKey).isNotEqualTo(accessKey);
    assertThat(events(NS, "grown", "SecretLost")).isEmpty();
    Secret after = secret(NS, "grown-credentials");
    assertThat(CredentialSecret.data(after, "accessKey")).contains(newKey);
    assertThat(CredentialSecret.data(after, "previousAccessKey")).contains(accessKey);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(keySecretsCache())
                    .filteredOn(s -> s.getMetadata().getName().equals("grown-credentials"))
                    .singleElement()
                    .satisfies(
                        s -> assertThat(CredentialSecret.data(s, "accessKey")).contains(newKey))
                    .matches(s -> !SecretStub.is(s)));
  }
}
