package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.issuance.Fingerprint;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.util.io.pem.PemReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Issuance on a real API server: the Secret, the status, the event and the audit line. */
@ExtendWith(RealCluster.class)
@Order(1)
class IssuanceIT {
  private static final String NS = "issuance";
  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    RealCluster.namespace(NS);
    user("ivy", NS);
    operator = RunningOperator.start(Map.of());
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  @Test
  void hmacKeyIsIssuedIntoASecretExactlyAsSpecified() throws Exception {
    ApiKey created =
        key(
            NS,
            "eth-bot",
            "ivy",
            s -> {
              s.permissions = List.of("read", "trade");
              s.ipWhitelist = List.of("203.0.113.10", "2001:DB8:0:0::1");
              s.validity = "30d";
            });
    ApiKey key = awaitKey(NS, "eth-bot", phase("Active"));
    var st = key.getStatus();

    assertThat(st.accessKey).matches("KW[A-Z2-7]{32}");
    assertThat(st.secretName).isEqualTo("eth-bot-credentials");
    assertThat(st.algorithm).isEqualTo("HmacSHA256");
    assertThat(st.publicKey).isNull();
    assertThat(st.pending).isNull();
    assertThat(st.observedGeneration).isEqualTo(key.getMetadata().getGeneration());
    Instant issued = Instant.parse(st.issuedAt);
    // Issued between the ApiKey's creation and its Secret's, both stamped by the server (to the
    // second, as issuedAt is): a time of this issuance, not of the test's clock.
    assertThat(issued)
        .isAfterOrEqualTo(Instant.parse(created.getMetadata().getCreationTimestamp()))
        .isBeforeOrEqualTo(
            Instant.parse(secret(NS, "eth-bot-credentials").getMetadata().getCreationTimestamp()));
    assertThat(Instant.parse(st.expiresAt)).isEqualTo(issued.plus(Duration.ofDays(30)));
    // The default renewBefore (14d) shrinks to a third of a 30d validity.
    assertThat(Instant.parse(st.renewAt)).isEqualTo(issued.plus(Duration.ofDays(20)));
    assertThat(st.effective.permissions).containsExactly("read", "trade");
    assertThat(st.effective.ipWhitelist).containsExactly("203.0.113.10", "2001:db8::1");
    assertThat(condition(key, "Ready"))
        .get()
        .satisfies(
            c -> {
              assertThat(c.status).isEqualTo("True");
              assertThat(c.observedGeneration).isEqualTo(key.getMetadata().getGeneration());
              assertThat(c.lastTransitionTime).isNotNull();
            });
    assertThat(condition(key, "SecretPresent")).get().extracting(c -> c.status).isEqualTo("True");

    Secret secret = secret(NS, "eth-bot-credentials");
    assertThat(secret.getType()).isEqualTo("keyward.io/api-key");
    assertThat(secret.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "keyward")
        .containsEntry("keyward.io/apikey", "eth-bot")
        .containsEntry("keyward.io/user", "ivy");
    assertThat(secret.getMetadata().getAnnotations())
        .containsEntry("keyward.io/access-key", st.accessKey)
        .containsEntry("keyward.io/fingerprint", st.secretFingerprint)
        .containsEntry("keyward.io/expires-at", st.expiresAt);
    var owner = secret.getMetadata().getOwnerReferences();
    assertThat(owner).hasSize(1);
    assertThat(owner.get(0).getUid()).isEqualTo(key.getMetadata().getUid());
    assertThat(owner.get(0).getKind()).isEqualTo("ApiKey");
    assertThat(owner.get(0).getController()).isTrue();
    assertThat(secret.getData())
        .containsOnlyKeys("accessKey", "secretKey", "algorithm", "expiresAt");
    assertThat(data(secret, "accessKey")).isEqualTo(st.accessKey);
    assertThat(data(secret, "algorithm")).isEqualTo("HmacSHA256");
    assertThat(data(secret, "expiresAt")).isEqualTo(st.expiresAt);
    String secretKey = data(secret, "secretKey");
    assertThat(secretKey).matches("[A-Za-z0-9_-]{43}");
    assertThat(Base64.getUrlDecoder().decode(secretKey)).hasSize(32);
    assertThat(st.secretFingerprint).isEqualTo(Fingerprint.of(secretKey)).startsWith("sha256:");

    assertThat(awaitEvents(NS, "eth-bot", "Issued")).hasSize(1);
    assertThat(auditLines())
        .anySatisfy(
            l ->
                assertThat(l)
                    .contains("\"action\":\"ISSUED\"")
                    .contains("\"apiKey\":\"issuance/eth-bot\"")
                    .contains("\"user\":\"ivy\"")
                    .contains(st.accessKey));
  }

  @Test
  void ed25519KeySignsAndItsPublicKeyVerifies() throws Exception {
    key(NS, "sol-bot", "ivy", s -> s.algorithm = "Ed25519");
    ApiKey key = awaitKey(NS, "sol-bot", phase("Active"));
    Secret secret = secret(NS, "sol-bot-credentials");
    String pem = data(secret, "secretKey");
    assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(key.getStatus().publicKey).startsWith("-----BEGIN PUBLIC KEY-----");
    assertThat(key.getStatus().secretFingerprint).isEqualTo(Fingerprint.of(pem));
    assertThat(data(secret, "algorithm")).isEqualTo("Ed25519");

    Ed25519PrivateKeyParameters priv =
        (Ed25519PrivateKeyParameters)
            PrivateKeyFactory.createKey(PrivateKeyInfo.getInstance(pemBody(pem)));
    Ed25519PublicKeyParameters pub =
        (Ed25519PublicKeyParameters)
            PublicKeyFactory.createKey(
                SubjectPublicKeyInfo.getInstance(pemBody(key.getStatus().publicKey)));
    byte[] message = "1700000000000\nGET\n/api/v1/order\n\ne3b0".getBytes(StandardCharsets.UTF_8);
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, priv);
    signer.update(message, 0, message.length);
    byte[] signature = signer.generateSignature();
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, pub);
    verifier.update(message, 0, message.length);
    assertThat(verifier.verifySignature(signature)).isTrue();
  }

  @Test
  void secretTemplateRenamesKeysAndAddsMetadata() {
    key(
        NS,
        "env-bot",
        "ivy",
        s -> {
          s.type = "futures";
          s.secretTemplate = new ApiKeySpec.SecretTemplate();
          s.secretTemplate.name = "env-bot-env";
          s.secretTemplate.labels = Map.of("team", "quant");
          s.secretTemplate.annotations = Map.of("reloader.stakater.com/match", "true");
          s.secretTemplate.keyNames = new ApiKeySpec.KeyNames();
          s.secretTemplate.keyNames.accessKey = "ACCESS_KEY";
          s.secretTemplate.keyNames.secretKey = "SECRET_KEY";
        });
    ApiKey key = awaitKey(NS, "env-bot", phase("Active"));
    Secret secret = secret(NS, "env-bot-env");
    assertThat(key.getStatus().secretName).isEqualTo("env-bot-env");
    assertThat(secret.getData())
        .containsOnlyKeys("ACCESS_KEY", "SECRET_KEY", "algorithm", "expiresAt");
    assertThat(data(secret, "ACCESS_KEY")).isEqualTo(key.getStatus().accessKey);
    assertThat(Fingerprint.of(data(secret, "SECRET_KEY")))
        .isEqualTo(key.getStatus().secretFingerprint);
    assertThat(secret.getMetadata().getLabels()).containsEntry("team", "quant");
    assertThat(secret.getMetadata().getAnnotations())
        .containsEntry("reloader.stakater.com/match", "true");
  }

  /**
   * The verifier writes a key's last use into its status (a JSON merge patch of the status
   * subresource, up to once a minute per key): such a write alone wakes no reconciliation and is no
   * forgery to repair, and the operator's next status write keeps it.
   */
  @Test
  void aLastUseWrittenByTheVerifierWakesNothingAndTheNextStatusWriteKeepsIt() {
    key(NS, "used-bot", "ivy", s -> {});
    String accessKey = awaitKey(NS, "used-bot", phase("Active")).getStatus().accessKey;
    double settled = awaitQuietReconciliations();
    String lastUsed = "2026-12-01T10:00:00Z";

    client()
        .resources(ApiKey.class)
        .inNamespace(NS)
        .withName("used-bot")
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"status\":{\"lastUsedAt\":\"" + lastUsed + "\"}}");

    assertThat(get(NS, "used-bot").getStatus().lastUsedAt).isEqualTo(lastUsed);
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5))
        .until(() -> reconciliations() == settled);
    assertThat(events(NS, "used-bot", "StatusRepaired")).isEmpty();

    // A spec change is reconciled, and its status write starts from the status as read.
    editKey(
        NS,
        "used-bot",
        k -> {
          k.getSpec().note = "edited";
          return k;
        });
    ApiKey edited =
        awaitKey(
            NS,
            "used-bot",
            k ->
                k.getMetadata().getGeneration().equals(k.getStatus().observedGeneration)
                    && k.getMetadata().getGeneration() > 1);
    assertThat(reconciliations()).as("the metric counts what was woken").isGreaterThan(settled);
    assertThat(edited.getStatus().lastUsedAt).isEqualTo(lastUsed);
    assertThat(edited.getStatus().accessKey).isEqualTo(accessKey);
    assertThat(events(NS, "used-bot", "StatusRepaired")).isEmpty();
  }

  /** JOSDK's count of reconciliations this operator started. */
  private static double reconciliations() {
    return operator
        .metrics()
        .scrape()
        .lines()
        .filter(l -> l.startsWith("operator_sdk_reconciliations_started_total"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** Waits until no reconciliation started for 2 s (every key settled); returns the count. */
  private static double awaitQuietReconciliations() {
    double[] last = {-1};
    long[] since = {0};
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              double now = reconciliations();
              if (now != last[0]) {
                last[0] = now;
                since[0] = System.nanoTime();
              }
              return System.nanoTime() - since[0] >= Duration.ofSeconds(2).toNanos();
            });
    return last[0];
  }

  static String data(Secret secret, String key) {
    return CredentialSecret.data(secret, key).orElseThrow();
  }

  static byte[] pemBody(String pem) throws Exception {
    try (PemReader r = new PemReader(new StringReader(pem))) {
      return r.readPemObject().getContent();
    }
  }

  /** The audit records of the operator log, each its JSON line. */
  static List<String> auditLines() {
    return OperatorLog.lines().stream()
        .filter(l -> OperatorLog.isAudit(OperatorLog.parse(l)))
        .toList();
  }
}
