package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.mfa.QrCodeTest;
import io.keyward.operator.mfa.Totp;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * TOTP on a real API server, as a user with an authenticator app goes through it: the secret sealed
 * in status and its enrolment Secret (written again with the same secret when deleted),
 * confirmation (after which the Secret is gone for good), a key verified by code, a replayed code
 * refused, widening edits held back until a fresh code, the lock after five failures, and
 * suspension. The operator's clock is moved instead of waiting for new 30 s steps.
 */
@ExtendWith(RealCluster.class)
@Order(7)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TotpIT {
  private static final String NS = "totp";
  private static final String OPERATOR_NS = "keyward-system";
  private static final String USER = "mia";
  private static final String KEY = "mia-bot";
  private static final Totp TOTP = new Totp();

  private static RunningOperator operator;
  private static String totpSecret;
  private static String sealedSeed;
  private static String confirmingCode;

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
  @Order(1)
  void enrolmentWritesTheSecretOnceAndKeysWaitForIt() throws Exception {
    ApiUser u = new ApiUser();
    u.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(USER).build());
    u.setSpec(new io.keyward.operator.api.ApiUserSpec());
    u.getSpec().namespaces = List.of(NS);
    client().resource(u).create(); // mfa.totp defaults to Required

    Secret enrolment =
        await().atMost(WAIT).until(() -> secret(OPERATOR_NS, USER + "-totp"), s -> s != null);
    assertThat(enrolment.getType()).isEqualTo("keyward.io/totp-enrolment");
    assertThat(enrolment.getData()).containsOnlyKeys("secret", "otpauthUri", "qr.png");
    totpSecret = decode(enrolment, "secret");
    assertThat(totpSecret).matches("^[A-Z2-7]{32}$");
    String uri = decode(enrolment, "otpauthUri");
    assertThat(uri)
        .isEqualTo("otpauth://totp/Keyward:" + USER + "?secret=" + totpSecret + "&issuer=Keyward");
    assertThat(QrCodeTest.decode(Base64.getDecoder().decode(enrolment.getData().get("qr.png"))))
        .isEqualTo(uri);
    assertThat(enrolment.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getKind()).isEqualTo("ApiUser"));

    ApiUser pending =
        awaitUser(
            USER,
            x ->
                x.getStatus() != null
                    && x.getStatus().mfa != null
                    && x.getStatus().mfa.enrolmentSecret != null
                    && "EnrolmentPending".equals(x.getStatus().mfa.state));
    assertThat(pending.getStatus().mfa.confirmed).isFalse();
    assertThat(pending.getStatus().mfa.enrolmentSecret.name).isEqualTo(USER + "-totp");
    assertThat(pending.getStatus().mfa.enrolmentSecret.namespace).isEqualTo(OPERATOR_NS);
    // The secret of record is sealed in the status, which only the operator writes.
    sealedSeed = pending.getStatus().mfa.sealedSeed;
    assertThat(sealedSeed).startsWith("v1.").doesNotContain(totpSecret);

    // Deleted while pending, the Secret is written again with the same secret, never a new one.
    client().secrets().inNamespace(OPERATOR_NS).withName(USER + "-totp").delete();
    Secret again =
        await()
            .atMost(WAIT)
            .until(
                () -> secret(OPERATOR_NS, USER + "-totp"),
                x ->
                    x != null
                        && !x.getMetadata().getUid().equals(enrolment.getMetadata().getUid()));
    assertThat(again.getData()).isEqualTo(enrolment.getData());
    assertThat(
            awaitUser(
                    USER,
                    x ->
                        x.getStatus().mfa.enrolmentSecret != null
                            && again
                                .getMetadata()
                                .getUid()
                                .equals(x.getStatus().mfa.enrolmentSecret.uid))
                .getStatus()
                .mfa
                .sealedSeed)
        .isEqualTo(sealedSeed);

    key(NS, KEY, USER, s -> {});
    ApiKey waiting = awaitKey(NS, KEY, condition("Verified", "False", "MfaNotEnrolled"));
    assertThat(waiting.getStatus().phase).isEqualTo("AwaitingVerification");
    assertThat(secret(NS, KEY + "-credentials")).isNull();
  }

  @Test
  @Order(2)
  void aWrongCodeFailsAndTheRightOneConfirmsEnrolment() {
    annotateUser(USER, "keyward.io/totp-code", wrongCode());
    awaitEvents("default", USER, "VerificationFailed");
    ApiUser failed = awaitUser(USER, u -> !annotated(u.getMetadata().getAnnotations()));
    assertThat(failed.getStatus().mfa.confirmed).isFalse();
    assertThat(operator.metrics().scrape())
        .containsPattern(
            "keyward_totp_failures_total\\{[^}]*reason=\"InvalidCode\"[^}]*user=\"mia\"[^}]*} 1\\.0");

    confirmingCode = code(0);
    annotateUser(USER, "keyward.io/totp-code", confirmingCode);
    ApiUser confirmed = awaitUser(USER, u -> Boolean.TRUE.equals(u.getStatus().mfa.confirmed));
    assertThat(confirmed.getStatus().mfa.state).isEqualTo("Enrolled");
    assertThat(annotated(confirmed.getMetadata().getAnnotations())).isFalse();
    assertThat(awaitEvents("default", USER, "Verified")).isNotEmpty();
    await().atMost(WAIT).until(() -> "True".equals(readyOf(getUser(USER))));
    // kubectl get apiuser: the server's table has the USED, LIMIT and MFA columns filled.
    // A key that waits for its code holds no slot (keys that never get one cannot squat).
    Map<String, Object> row =
        await()
            .atMost(WAIT)
            .until(
                () -> tableRow(USER),
                r -> "Enrolled".equals(r.get("MFA")) && Integer.valueOf(0).equals(r.get("Used")));
    assertThat(row).containsEntry("Limit", 5).containsEntry("Ready", "True");
    // Once confirmed the Secret goes: the secret is readable only until enrolment is confirmed.
    await().atMost(WAIT).until(() -> secret(OPERATOR_NS, USER + "-totp") == null);
    assertThat(awaitEvents("default", USER, "EnrolmentSecretDeleted")).isNotEmpty();
    ApiUser enrolled = awaitUser(USER, x -> x.getStatus().mfa.enrolmentSecret == null);
    assertThat(enrolled.getStatus().mfa.sealedSeed).isEqualTo(sealedSeed);
    // And it stays gone: no new secret is made for a confirmed enrolment (the codes of the
    // next tests are of the secret enrolled).
    await()
        .during(Duration.ofSeconds(2))
        .atMost(WAIT)
        .until(
            () ->
                secret(OPERATOR_NS, USER + "-totp") == null
                    && sealedSeed.equals(getUser(USER).getStatus().mfa.sealedSeed));

    ApiKey awaiting = awaitKey(NS, KEY, condition("Verified", "False", "AwaitingCode"));
    assertThat(awaiting.getStatus().phase).isEqualTo("AwaitingVerification");
    assertThat(condition(awaiting, "QuotaAvailable").orElseThrow().reason).isEqualTo("SlotFree");
    assertThat(getUser(USER).getStatus().keyRefs).isEmpty();
  }

  @Test
  @Order(3)
  void aReplayedCodeIsRefusedAndAFreshOneIssuesTheKey() {
    // The code that confirmed enrolment, as it was typed then: its time step is used up for this
    // user. (Computing it again could give the next step's code if a step ended in between.)
    giveCode(NS, KEY, confirmingCode);
    ApiKey refused = awaitKey(NS, KEY, condition("Verified", "False", "CodeReplayed"));
    assertThat(refused.getStatus().phase).isEqualTo("AwaitingVerification");
    assertThat(annotated(refused.getMetadata().getAnnotations())).isFalse();
    assertThat(awaitEvents(NS, KEY, "VerificationFailed")).isNotEmpty();
    assertThat(secret(NS, KEY + "-credentials")).isNull();

    operator.clock().advance(Totp.STEP);
    giveCode(NS, KEY, code(0));
    ApiKey active = awaitKey(NS, KEY, phase("Active"));
    assertThat(condition(active, "Verified").orElseThrow().status).isEqualTo("True");
    assertThat(annotated(active.getMetadata().getAnnotations())).isFalse();
    assertThat(active.getStatus().effective.permissions).containsExactly("read");
    assertThat(secret(NS, KEY + "-credentials")).isNotNull();
    assertThat(awaitEvents(NS, KEY, "Verified")).isNotEmpty();
    // Its slot was claimed with the accepted code.
    assertThat(getUser(USER).getStatus().keyRefs).extracting(r -> r.name).containsExactly(KEY);
  }

  @Test
  @Order(7)
  void keysThatNeverGetACodeCannotSquatTheSlots() {
    // A user with one free slot left (mia-bot holds one of 2); a tenant who may create ApiKeys in
    // the namespace applies five that never get a code.
    editUser(
        USER,
        u -> {
          u.getSpec().maxKeys = 2;
          return u;
        });
    for (int i = 0; i < 5; i++) {
      key(NS, "squat-" + i, USER, sp -> {});
    }
    for (int i = 0; i < 5; i++) {
      ApiKey squat = awaitKey(NS, "squat-" + i, condition("Verified", "False", "AwaitingCode"));
      assertThat(condition(squat, "QuotaAvailable").orElseThrow().reason).isEqualTo("SlotFree");
    }
    assertThat(getUser(USER).getStatus().keyRefs).extracting(r -> r.name).containsExactly(KEY);

    // The user's own key, created after them, gets the slot with its code.
    key(NS, "own", USER, sp -> {});
    awaitKey(NS, "own", condition("Verified", "False", "AwaitingCode"));
    operator.clock().advance(Totp.STEP);
    giveCode(NS, "own", code(0));
    ApiKey own = awaitKey(NS, "own", phase("Active"));
    assertThat(secret(NS, "own-credentials")).isNotNull();
    assertThat(getUser(USER).getStatus().keyRefs)
        .extracting(r -> r.name)
        .containsExactlyInAnyOrder(KEY, "own");
    assertThat(own.getStatus().accessKey).isNotNull();

    // The slots are full now: a squatting key that is given a code later waits for a slot, and its
    // code is not spent.
    for (int i = 0; i < 5; i++) {
      ApiKey squat =
          awaitKey(NS, "squat-" + i, condition("QuotaAvailable", "False", "KeyLimitReached"));
      assertThat(squat.getStatus().accessKey).isNull();
    }
  }

  @Test
  @Order(4)
  void wideningWaitsForAFreshCodeWhileNarrowingAppliesAtOnce() {
    String secretVersion = secret(NS, KEY + "-credentials").getMetadata().getResourceVersion();
    permit(List.of("read", "trade"));
    ApiKey held = awaitKey(NS, KEY, condition("Verified", "False", "WideningPending"));
    assertThat(held.getStatus().phase).isEqualTo("Active");
    assertThat(held.getStatus().effective.permissions).containsExactly("read");
    assertThat(condition(held, "Verified").orElseThrow().message).contains("adds permission trade");

    // Binding an IP narrows: it applies at once, while trade still waits.
    editKey(
        NS,
        KEY,
        k -> {
          k.getSpec().ipWhitelist = List.of("203.0.113.10");
          return k;
        });
    ApiKey bound =
        awaitKey(NS, KEY, k -> k.getStatus().effective.ipWhitelist.equals(List.of("203.0.113.10")));
    assertThat(bound.getStatus().effective.permissions).containsExactly("read");

    operator.clock().advance(Totp.STEP);
    giveCode(NS, KEY, code(0));
    ApiKey widened = awaitInForce(List.of("read", "trade"));
    assertThat(condition(widened, "Verified").orElseThrow().status).isEqualTo("True");

    permit(List.of("read"));
    ApiKey narrowed = awaitInForce(List.of("read"));
    assertThat(condition(narrowed, "Verified").orElseThrow().status).isEqualTo("True");
    // None of it re-keyed.
    assertThat(secret(NS, KEY + "-credentials").getMetadata().getResourceVersion())
        .isEqualTo(secretVersion);
  }

  @Test
  @Order(5)
  void fiveFailuresLockVerificationFor15Minutes() {
    permit(List.of("read", "trade"));
    awaitKey(NS, KEY, condition("Verified", "False", "WideningPending"));
    for (int i = 1; i <= 5; i++) {
      giveCode(NS, KEY, wrongCode());
      int failures = i;
      await()
          .atMost(WAIT)
          .until(
              () ->
                  events(NS, KEY, "VerificationFailed").stream()
                          .mapToInt(e -> e.getCount() == null ? 1 : e.getCount())
                          .sum()
                      >= failures + 1);
      awaitKey(NS, KEY, k -> !annotated(k.getMetadata().getAnnotations()));
    }
    ApiKey locked = awaitKey(NS, KEY, condition("Verified", "False", "TooManyAttempts"));
    assertThat(locked.getStatus().effective.permissions).containsExactly("read");
    ApiUser user = awaitUser(USER, u -> "Locked".equals(u.getStatus().mfa.state));
    assertThat(user.getStatus().mfa.lockedUntil).isNotNull();

    // Even the right code is refused while locked.
    operator.clock().advance(Totp.STEP);
    giveCode(NS, KEY, code(0));
    awaitKey(NS, KEY, k -> !annotated(k.getMetadata().getAnnotations()));
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(1).plus(WAIT))
        .until(() -> get(NS, KEY).getStatus().effective.permissions.equals(List.of("read")));
    assertThat(operator.metrics().scrape())
        .containsPattern(
            "keyward_totp_failures_total\\{[^}]*reason=\"TooManyAttempts\"[^}]*} [1-9]");

    operator.clock().advance(Duration.ofMinutes(15));
    giveCode(NS, KEY, code(0));
    ApiKey accepted = awaitInForce(List.of("read", "trade"));
    assertThat(condition(accepted, "Verified").orElseThrow().status).isEqualTo("True");
  }

  @Test
  @Order(6)
  void suspensionStopsTheKeyWithoutDeletingAnythingAndLiftingItRestoresIt() {
    Secret before = secret(NS, KEY + "-credentials");
    editUser(
        USER,
        u -> {
          u.getSpec().suspended = true;
          return u;
        });
    ApiKey stopped = awaitKey(NS, KEY, condition("Ready", "False", "UserSuspended"));
    assertThat(stopped.getStatus().accessKey).isNotNull();
    assertThat(secret(NS, KEY + "-credentials").getMetadata().getResourceVersion())
        .isEqualTo(before.getMetadata().getResourceVersion());
    await().atMost(WAIT).until(() -> "False".equals(readyOf(getUser(USER))));

    editUser(
        USER,
        u -> {
          u.getSpec().suspended = false;
          return u;
        });
    ApiKey restored = awaitKey(NS, KEY, condition("Ready", "True", null));
    assertThat(restored.getStatus().accessKey).isEqualTo(stopped.getStatus().accessKey);
    assertThat(secret(NS, KEY + "-credentials").getData()).isEqualTo(before.getData());
  }

  /** Sets the key's spec.permissions. */
  private static void permit(List<String> permissions) {
    editKey(
        NS,
        KEY,
        k -> {
          k.getSpec().permissions = permissions;
          return k;
        });
  }

  /** Waits until status.effective grants exactly these permissions. */
  private static ApiKey awaitInForce(List<String> permissions) {
    return awaitKey(NS, KEY, k -> k.getStatus().effective.permissions.equals(permissions));
  }

  /** The code of the operator's current time step moved by {@code offset} steps. */
  private static String code(int offset) {
    return TOTP.code(totpSecret, Totp.step(operator.clock().instant()) + offset);
  }

  /** A six-digit code that matches no step near the operator's now. */
  private static String wrongCode() {
    return Fixtures.wrongCode(totpSecret, operator.clock().instant());
  }

  private static boolean annotated(Map<String, String> annotations) {
    return annotations != null && annotations.containsKey("keyward.io/totp-code");
  }

  /** The user's row as the API server renders it for kubectl (the Table form). */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> tableRow(String name) throws Exception {
    var http = client().getHttpClient();
    var request =
        http.newHttpRequestBuilder()
            .uri(client().getMasterUrl() + "apis/keyward.io/v1alpha1/apiusers/" + name)
            .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
            .build();
    String body = http.sendAsync(request, String.class).get().body();
    Map<String, Object> table =
        io.fabric8.kubernetes.client.utils.Serialization.unmarshal(body, Map.class);
    List<Map<String, Object>> columns = (List<Map<String, Object>>) table.get("columnDefinitions");
    List<Object> cells =
        (List<Object>) ((List<Map<String, Object>>) table.get("rows")).get(0).get("cells");
    Map<String, Object> row = new java.util.LinkedHashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      row.put((String) columns.get(i).get("name"), cells.get(i));
    }
    return row;
  }

  private static String readyOf(ApiUser u) {
    return u.getStatus() == null
        ? null
        : u.getStatus().conditions.stream()
            .filter(c -> "Ready".equals(c.type))
            .map(c -> c.status)
            .findFirst()
            .orElse(null);
  }

  private static String decode(Secret s, String key) {
    return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
  }
}
