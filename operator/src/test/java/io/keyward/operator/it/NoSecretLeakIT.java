package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.mfa.Totp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * No secret leaks: no secret key, previous key or TOTP secret appears outside its Secret, and no
 * TOTP code anywhere but on the annotation it came in. {@link LeakWatch} records and checks that
 * over the whole run, after every class. This class makes sure the check has something to find
 * wherever it runs, alone too: it issues its own keys (HMAC, Ed25519 with renamed data keys and a
 * rotation, and an MFA user's key verified by TOTP codes, a wrong and a replayed one included), and
 * proves that the recording saw their values and codes, that the places searched hold these keys,
 * and that the search finds a value where there is one. Then nothing recorded in the run so far may
 * appear in the operator log, events, ApiKeys, ApiUsers or Secret metadata.
 */
@ExtendWith(RealCluster.class)
class NoSecretLeakIT {
  private static final String NS = "leak-check";
  private static final String OPERATOR_NS = "keyward-system";
  private static final Totp TOTP = new Totp();
  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    RealCluster.namespace(NS);
    RealCluster.namespace(OPERATOR_NS);
    operator = RunningOperator.start(Map.of());
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  @Test
  void noSecretValueOrCodeAppearsOutsideWhereItBelongs() throws Exception {
    // Keys of a user without MFA: HMAC, and Ed25519 under renamed data keys, rotated once so that
    // its Secret holds a previous key too.
    user("lea", NS);
    key(NS, "lea-hmac", "lea", s -> {});
    key(
        NS,
        "lea-ed25519",
        "lea",
        s -> {
          s.algorithm = "Ed25519";
          s.secretTemplate = new ApiKeySpec.SecretTemplate();
          s.secretTemplate.keyNames = new ApiKeySpec.KeyNames();
          s.secretTemplate.keyNames.accessKey = "API_KEY";
          s.secretTemplate.keyNames.secretKey = "API_SECRET";
        });
    ApiKey hmac = awaitKey(NS, "lea-hmac", phase("Active"));
    String firstEd25519 = awaitKey(NS, "lea-ed25519", phase("Active")).getStatus().accessKey;
    annotateKey(NS, "lea-ed25519", "keyward.io/rotate", "leak-check");
    awaitKey(
        NS,
        "lea-ed25519",
        k ->
            k.getStatus().previous != null
                && firstEd25519.equals(k.getStatus().previous.accessKey));

    // A user with MFA: enrolment, a wrong code, the code that confirms it, that code replayed on
    // the key, and a fresh one that verifies it.
    ApiUser leo = new ApiUser();
    leo.setMetadata(new ObjectMetaBuilder().withName("leo").build());
    leo.setSpec(new ApiUserSpec());
    leo.getSpec().namespaces = List.of(NS);
    client().resource(leo).create(); // mfa.totp defaults to Required
    Secret enrolment =
        await().atMost(WAIT).until(() -> secret(OPERATOR_NS, "leo-totp"), s -> s != null);
    String seed = CredentialSecret.data(enrolment, "secret").orElseThrow();
    String wrong = Fixtures.wrongCode(seed, operator.clock().instant());
    annotateUser("leo", LeakWatch.CODE_ANNOTATION, wrong);
    awaitEvents("default", "leo", "VerificationFailed");
    String confirming = code(seed);
    annotateUser("leo", LeakWatch.CODE_ANNOTATION, confirming);
    awaitUser(
        "leo", u -> u.getStatus().mfa != null && Boolean.TRUE.equals(u.getStatus().mfa.confirmed));
    key(NS, "leo-bot", "leo", s -> {});
    awaitKey(NS, "leo-bot", condition("Verified", "False", "AwaitingCode"));
    giveCode(NS, "leo-bot", confirming);
    awaitKey(NS, "leo-bot", condition("Verified", "False", "CodeReplayed"));
    operator.clock().advance(Totp.STEP);
    String fresh = code(seed);
    giveCode(NS, "leo-bot", fresh);
    awaitKey(NS, "leo-bot", phase("Active"));

    // The recording saw them: every secret value of these Secrets, each version, and every code.
    List<String> own = new ArrayList<>();
    own.add(seed);
    own.add(CredentialSecret.data(secret(NS, "lea-hmac-credentials"), "secretKey").orElseThrow());
    own.add(CredentialSecret.data(secret(NS, "leo-bot-credentials"), "secretKey").orElseThrow());
    Secret ed25519 = secret(NS, "lea-ed25519-credentials");
    own.add(CredentialSecret.data(ed25519, "API_SECRET").orElseThrow());
    own.add(CredentialSecret.data(ed25519, "previousSecretKey").orElseThrow());
    assertThat(own).doesNotHaveDuplicates().allSatisfy(v -> assertThat(v).isNotBlank());
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(LeakWatch.secretValues()).containsAll(own);
              assertThat(LeakWatch.codes()).contains(wrong, confirming, fresh);
            });
    Set<String> secrets = LeakWatch.secretValues();
    Set<String> codes = LeakWatch.codes();
    assertThat(secrets).as("secret values recorded").hasSizeGreaterThan(12);
    assertThat(codes).as("TOTP codes recorded").isNotEmpty();

    // The places searched hold these keys: the log the operator writes, with their audit lines
    // (public access keys); their events; the keys, users and Secrets themselves.
    await().atMost(WAIT).until(() -> secret(OPERATOR_NS, "leo-totp") == null);
    Map<String, String> places = LeakWatch.places();
    assertThat(places.get(LeakWatch.LOG))
        .contains("logger=keyward.audit\n")
        .contains("action=ISSUED\n")
        .contains(hmac.getStatus().accessKey);
    assertThat(places.get(LeakWatch.EVENTS)).contains("lea-hmac").contains("Issued");
    assertThat(places.get("apikeys")).contains("leo-bot").contains("lea-ed25519");
    assertThat(places.get("apiusers")).contains("leo").contains("lea").contains("sealedSeed");
    // The enrolment Secret is gone once confirmed; the sealing key's value is searched for too.
    assertThat(places.get("secret metadata"))
        .contains("lea-ed25519-credentials")
        .contains("keyward-sealing-key")
        .doesNotContain("leo-totp");
    assertThat(secrets)
        .contains(
            secret(OPERATOR_NS, io.keyward.operator.mfa.SealingKey.NAME)
                .getData()
                .get(io.keyward.operator.mfa.SealingKey.KEY));

    // And the search finds a value where there is one, in each form a leak could take.
    String pemLine =
        own.get(3).lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
    Map<String, String> planted =
        Map.of(
            LeakWatch.LOG,
            "INFO issued with " + own.get(1) + " and " + pemLine + ", code " + fresh + ".",
            "apiusers",
            "metadata: {annotations: {keyward.io/totp-code: '" + wrong + "'}}");
    assertThat(LeakWatch.leaks(planted, secrets, codes))
        .as("what the search finds in text that leaks")
        .hasSize(4);

    System.out.printf(
        "NoSecretLeakIT: %d secret values and %d codes recorded; the log is %d characters with %d"
            + " different six-digit numbers%n",
        secrets.size(),
        codes.size(),
        places.get(LeakWatch.LOG).length(),
        LeakWatch.sixDigitNumbers(places.get(LeakWatch.LOG)));
    LeakWatch.assertNoLeaks(places);
  }

  /** The code of the operator's current time step. */
  private static String code(String seed) {
    return TOTP.code(seed, Totp.step(operator.clock().instant()));
  }
}
