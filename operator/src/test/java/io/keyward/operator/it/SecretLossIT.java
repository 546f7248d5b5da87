package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.issuance.Fingerprint;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A lost or tampered Secret: the key is revoked and a new one issued; old material never returns.
 */
@ExtendWith(RealCluster.class)
@Order(3)
class SecretLossIT {
  private static final String NS = "secret-loss";
  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    RealCluster.namespace(NS);
    user("lou", NS);
    operator = RunningOperator.start(Map.of());
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  @Test
  void deletedSecretRevokesTheKeyAndIssuesANewOne() {
    key(NS, "lost-bot", "lou", s -> {});
    ApiKey first = awaitKey(NS, "lost-bot", phase("Active"));
    String oldAccessKey = first.getStatus().accessKey;
    String oldSecretKey =
        CredentialSecret.data(secret(NS, "lost-bot-credentials"), "secretKey").orElseThrow();

    client().secrets().inNamespace(NS).withName("lost-bot-credentials").delete();

    ApiKey second =
        awaitKey(
            NS,
            "lost-bot",
            k ->
                !oldAccessKey.equals(k.getStatus().accessKey)
                    && "Active".equals(k.getStatus().phase));
    Secret fresh = secret(NS, "lost-bot-credentials");
    String newSecretKey = CredentialSecret.data(fresh, "secretKey").orElseThrow();
    assertThat(newSecretKey).isNotEqualTo(oldSecretKey);
    assertThat(CredentialSecret.data(fresh, "accessKey")).contains(second.getStatus().accessKey);
    assertThat(second.getStatus().secretFingerprint).isEqualTo(Fingerprint.of(newSecretKey));
    assertThat(condition(second, "SecretPresent"))
        .get()
        .satisfies(
            c -> {
              assertThat(c.status).isEqualTo("True");
              assertThat(c.reason).isEqualTo("SecretLost");
              assertThat(c.message).contains(oldAccessKey + " was revoked");
            });
    assertThat(awaitEvents(NS, "lost-bot", "SecretLost"))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.getMessage())
                    .contains(oldAccessKey)
                    .contains(second.getStatus().accessKey));
  }

  @Test
  void tamperedSecretIsReplacedNotRestored() {
    key(NS, "tamper-bot", "lou", s -> {});
    ApiKey first = awaitKey(NS, "tamper-bot", phase("Active"));
    String planted = "planted-secret-that-an-attacker-knows-000000";

    editSecret(
        NS,
        "tamper-bot-credentials",
        s -> {
          s.getData()
              .put(
                  "secretKey",
                  Base64.getEncoder().encodeToString(planted.getBytes(StandardCharsets.UTF_8)));
          return s;
        });

    ApiKey second =
        awaitKey(
            NS,
            "tamper-bot",
            k ->
                !first.getStatus().accessKey.equals(k.getStatus().accessKey)
                    && "Active".equals(k.getStatus().phase));
    Secret fresh = secret(NS, "tamper-bot-credentials");
    String stored = CredentialSecret.data(fresh, "secretKey").orElseThrow();
    assertThat(stored).isNotEqualTo(planted);
    assertThat(Fingerprint.of(stored)).isEqualTo(second.getStatus().secretFingerprint);
    assertThat(awaitEvents(NS, "tamper-bot", "SecretLost")).hasSize(1);
  }
}
