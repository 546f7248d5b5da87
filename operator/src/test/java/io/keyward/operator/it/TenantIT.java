package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.api.Condition;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.issuance.Fingerprint;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.Totp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The attacks of the security model, each tried by the tenant with a token of its own (see {@link
 * Tenant}: ApiKeys, their status and Secrets in one namespace; nothing on ApiUsers or in the
 * operator's namespace) against the running operator on the real API server. Each asserts what the
 * user sees and that nothing was granted: the ledger in the ApiUser (which the tenant cannot write)
 * is the record, and the material in a key's Secret is the operator's own.
 */
@ExtendWith(RealCluster.class)
@Order(12)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenantIT {
  private static final String NS = "tenant";
  private static final String OPERATOR_NS = "keyward-system";
  private static final String USER = "tess";
  private static final Totp TOTP = new Totp();

  private static RunningOperator operator;
  private static KubernetesClient tenant;
  private static String seed;

  @BeforeAll
  static void start() {
    RealCluster.namespace(NS);
    RealCluster.namespace(OPERATOR_NS);
    operator = RunningOperator.start(Map.of());
    tenant = Tenant.of(NS, "tenant");
    // The account holder's user, with MFA, enrolled by the platform team.
    ApiUser u = new ApiUser();
    u.setMetadata(new ObjectMetaBuilder().withName(USER).build());
    u.setSpec(new ApiUserSpec());
    u.getSpec().namespaces = List.of(NS);
    client().resource(u).create();
    Secret enrolment =
        await().atMost(WAIT).until(() -> secret(OPERATOR_NS, USER + "-totp"), s -> s != null);
    seed =
        new String(
            Base64.getDecoder().decode(enrolment.getData().get("secret")), StandardCharsets.UTF_8);
    annotateUser(USER, CodeVerifier.ANNOTATION, code());
    awaitUser(USER, x -> Boolean.TRUE.equals(x.getStatus().mfa.confirmed));
  }

  @AfterAll
  static void stop() {
    if (tenant != null) {
      tenant.close();
    }
    if (operator != null) {
      operator.close();
    }
  }

  @Test
  @Order(1)
  void theTenantHasExactlyTheRightsOfTheModel() {
    assertThatThrownBy(() -> tenant.resources(ApiUser.class).withName(USER).get())
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
    assertThatThrownBy(() -> tenant.secrets().inNamespace(OPERATOR_NS).list())
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
    assertThat(tenant.resources(ApiKey.class).inNamespace(NS).list().getItems()).isEmpty();
  }

  /**
   * A forged status on a key that waits for its code: before, a status whose effective access
   * covered the spec skipped the code and the key was issued with read, trade and withdraw. Now the
   * status is repaired from the ledger, reported, and nothing is issued.
   */
  @Test
  @Order(2)
  void aForgedStatusGrantsNothing() {
    ApiKey forged = tenantKey("forged", s -> s.permissions = List.of("read", "trade", "withdraw"));
    awaitKey(NS, "forged", phase("AwaitingVerification"));

    writeStatusAsTenant(
        "forged",
        s -> {
          s.phase = "Active";
          s.accessKey = "KWFORGEDFORGEDFORGED";
          s.secretFingerprint = Fingerprint.of("forged");
          s.secretName = "forged-credentials";
          s.issuedAt = "2026-01-01T00:00:00Z";
          s.expiresAt = "2099-01-01T00:00:00Z";
          s.effective = new ApiKeyStatus.Effective();
          s.effective.user = USER;
          s.effective.type = "HMAC";
          s.effective.permissions = List.of("read", "trade", "withdraw");
          s.effective.ipWhitelist = List.of("203.0.113.7");
          Condition verified = new Condition();
          verified.type = "Verified";
          verified.status = "True";
          verified.reason = "CodeAccepted";
          verified.message = "forged";
          verified.lastTransitionTime = "2026-01-01T00:00:00Z";
          s.conditions.add(verified);
        });

    assertThat(awaitEvents(NS, "forged", "StatusRepaired").get(0).getMessage())
        .contains("status.accessKey")
        .contains("status.effective.permissions")
        .contains("never an authority");
    ApiKey repaired =
        awaitKey(
            NS,
            "forged",
            k ->
                k.getStatus().accessKey == null
                    && "AwaitingVerification".equals(k.getStatus().phase));
    assertThat(repaired.getStatus().effective).isNull();
    assertThat(repaired.getStatus().expiresAt).isNull();
    assertThat(secret(NS, "forged-credentials")).isNull();
    assertThat(grant(forged)).isEmpty();
    assertThat(slotOf(forged)).isEmpty();
  }

  /**
   * A forged status on an issued key: before, a later expiresAt and wider permissions written into
   * status were read back as the grant. Now the ledger's deadline and access stand, the status is
   * restored to them, and the Secret keeps the operator's key.
   */
  @Test
  @Order(3)
  void aForgedStatusCannotExtendOrWidenAnIssuedKey() {
    ApiKey key = tenantKey("issued", s -> s.permissions = List.of("read"));
    awaitKey(NS, "issued", phase("AwaitingVerification"));
    giveCode(NS, "issued", nextCode());
    ApiKey active = awaitKey(NS, "issued", phase("Active"));
    // The status is written first, then the grant it mirrors.
    ApiUserStatus.KeyGrant granted =
        await()
            .atMost(WAIT)
            .until(() -> grant(key).orElse(null), g -> g != null && g.accessKey != null);
    assertThat(granted.accessKey).isEqualTo(active.getStatus().accessKey);
    assertThat(granted.permissions).containsExactly("read");

    writeStatusAsTenant(
        "issued",
        s -> {
          s.expiresAt = "2099-01-01T00:00:00Z";
          s.effective.permissions = List.of("read", "trade", "withdraw");
        });

    assertThat(awaitEvents(NS, "issued", "StatusRepaired").get(0).getMessage())
        .contains("status.expiresAt")
        .contains("status.effective.permissions");
    ApiKey restored =
        awaitKey(NS, "issued", k -> granted.expiresAt.equals(k.getStatus().expiresAt));
    assertThat(restored.getStatus().effective.permissions).containsExactly("read");
    assertThat(grant(key)).contains(granted);
    assertThat(data(secret(NS, "issued-credentials"), "accessKey")).isEqualTo(granted.accessKey);
  }

  /**
   * A planted Secret: before, a Secret created while the key waited, with a copied controller
   * reference and a consistent fingerprint annotation, was adopted with its material, its expiry
   * (2099) and an access key another key held. Now the Secret is replaced by the operator's own
   * material, recorded as pending in the ledger before it was written.
   */
  @Test
  @Order(4)
  void aPlantedSecretIsReplacedNeverAdopted() {
    String othersAccessKey = get(NS, "issued").getStatus().accessKey;
    ApiKey key = tenantKey("planted", s -> s.permissions = List.of("read"));
    awaitKey(NS, "planted", phase("AwaitingVerification"));
    String plantedSecret = "tenant-chosen-secret-key-material";
    Map<String, String> data = new LinkedHashMap<>();
    data.put("accessKey", b64(othersAccessKey));
    data.put("secretKey", b64(plantedSecret));
    data.put("expiresAt", b64("2099-01-01T00:00:00Z"));
    tenant
        .secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withMetadata(
                    new ObjectMetaBuilder()
                        .withName("planted-credentials")
                        .withNamespace(NS)
                        .withLabels(
                            Map.of(
                                CredentialSecret.MANAGED_BY,
                                CredentialSecret.MANAGED_BY_VALUE,
                                CredentialSecret.LABEL_APIKEY,
                                "planted",
                                CredentialSecret.LABEL_USER,
                                USER))
                        .withAnnotations(
                            Map.of(
                                CredentialSecret.ANN_ACCESS_KEY,
                                othersAccessKey,
                                CredentialSecret.ANN_FINGERPRINT,
                                Fingerprint.of(plantedSecret),
                                CredentialSecret.ANN_ISSUED_AT,
                                "2026-01-01T00:00:00Z",
                                CredentialSecret.ANN_EXPIRES_AT,
                                "2099-01-01T00:00:00Z"))
                        .withOwnerReferences(
                            new OwnerReferenceBuilder()
                                .withApiVersion(key.getApiVersion())
                                .withKind(key.getKind())
                                .withName("planted")
                                .withUid(key.getMetadata().getUid())
                                .withController(true)
                                .build())
                        .build())
                .withType(CredentialSecret.TYPE)
                .withData(data)
                .build())
        .create();

    giveCode(NS, "planted", nextCode());
    ApiKey issued = awaitKey(NS, "planted", phase("Active"));
    ApiUserStatus.KeyGrant granted =
        await()
            .atMost(WAIT)
            .until(() -> grant(key).orElse(null), g -> g != null && g.accessKey != null);
    Secret secret = secret(NS, "planted-credentials");
    assertThat(issued.getStatus().accessKey)
        .isEqualTo(granted.accessKey)
        .isNotEqualTo(othersAccessKey);
    assertThat(data(secret, "accessKey")).isEqualTo(granted.accessKey);
    assertThat(data(secret, "secretKey")).isNotEqualTo(plantedSecret);
    assertThat(Fingerprint.of(data(secret, "secretKey"))).isEqualTo(granted.secretFingerprint);
    assertThat(granted.expiresAt).doesNotStartWith("2099");
    assertThat(issued.getStatus().expiresAt).isEqualTo(granted.expiresAt);
    assertThat(data(secret, "expiresAt")).isEqualTo(granted.expiresAt);
  }

  /**
   * A code applied after a widening edit: before, a code approved whatever the spec was when the
   * operator read it. Now a code names the generation its giver reviewed, and one given for an
   * older generation approves nothing, with the reason in status.
   */
  @Test
  @Order(5)
  void aCodeApprovesOnlyTheGenerationItsGiverSaw() {
    ApiKey key = tenantKey("edited", s -> s.permissions = List.of("read"));
    awaitKey(NS, "edited", phase("AwaitingVerification"));
    long reviewed = get(NS, "edited").getMetadata().getGeneration();
    // Between the review and the code, the tenant widens the key.
    tenant
        .resources(ApiKey.class)
        .inNamespace(NS)
        .withName("edited")
        .edit(
            k -> {
              k.getSpec().permissions = List.of("read", "trade", "withdraw");
              k.getSpec().ipWhitelist = List.of("203.0.113.9");
              return k;
            });
    String uid = key.getMetadata().getUid();
    annotateKey(NS, "edited", CodeVerifier.ANNOTATION, nextCode() + "@" + reviewed + "/" + uid);

    ApiKey refused = awaitKey(NS, "edited", condition("Verified", "False", "SpecChangedSinceCode"));
    assertThat(condition(refused, "Verified").orElseThrow().message)
        .contains("given for generation " + reviewed)
        .contains("approves nothing");
    assertThat(refused.getStatus().phase).isEqualTo("AwaitingVerification");
    assertThat(refused.getStatus().effective).isNull();
    assertThat(secret(NS, "edited-credentials")).isNull();
    assertThat(grant(key)).isEmpty();
    assertThat(awaitEvents(NS, "edited", "VerificationFailed").get(0).getMessage())
        .contains("not checked");

    // A bare code approves nothing either; nor does one that names another key (one of the same
    // generation, as a key deleted and created again under the same name would be).
    annotateKey(NS, "edited", CodeVerifier.ANNOTATION, nextCode());
    awaitKey(NS, "edited", condition("Verified", "False", "CodeWithoutGeneration"));
    long now = get(NS, "edited").getMetadata().getGeneration();
    String other = get(NS, "issued").getMetadata().getUid();
    annotateKey(NS, "edited", CodeVerifier.ANNOTATION, nextCode() + "@" + now + "/" + other);
    awaitKey(NS, "edited", condition("Verified", "False", "CodeForAnotherKey"));
    assertThat(grant(key)).isEmpty();
  }

  /**
   * Squatted slots: before, keys waiting for a code held slots, oldest first, so keys that never
   * get one kept the user's own key out. Now a key takes a slot only with an accepted code.
   */
  @Test
  @Order(6)
  void keysThatNeverGetACodeCannotSquatTheSlots() {
    for (int i = 0; i < 6; i++) {
      tenantKey("squat-" + i, s -> s.permissions = List.of("read"));
    }
    for (int i = 0; i < 6; i++) {
      awaitKey(NS, "squat-" + i, phase("AwaitingVerification"));
    }
    ApiUser user = getUser(USER);
    assertThat(user.getStatus().keyRefs)
        .extracting(r -> r.name)
        .noneMatch(n -> n.startsWith("squat-"));

    key(NS, "own", USER, s -> s.permissions = List.of("read"));
    awaitKey(NS, "own", phase("AwaitingVerification"));
    giveCode(NS, "own", nextCode());
    awaitKey(NS, "own", phase("Active"));
  }

  /**
   * A forged audit line: before, a note or annotation value with a newline was written raw on the
   * stream of the JSON audit records. Now every user value stays inside its field.
   */
  @Test
  @Order(7)
  void aTenantCannotForgeAnAuditLine() {
    String forged =
        "x\n{\"level\":\"INFO\",\"logger\":\"keyward.audit\",\"audit\":\"keyward\","
            + "\"action\":\"REVOKED\",\"apiKey\":\"tenant/victim\",\"accessKey\":\"KWTENANTFORGED\"}";
    tenantKey("noisy", s -> s.permissions = List.of("read"));
    awaitKey(NS, "noisy", phase("AwaitingVerification"));
    giveCode(NS, "noisy", nextCode());
    awaitKey(NS, "noisy", phase("Active"));
    tenant
        .resources(ApiKey.class)
        .inNamespace(NS)
        .withName("noisy")
        .edit(
            k -> {
              k.getMetadata()
                  .setAnnotations(
                      new LinkedHashMap<>(
                          Map.of(
                              io.keyward.operator.apikey.ApiKeyReconciler.ROTATE_ANNOTATION,
                              forged)));
              return k;
            });
    await()
        .atMost(WAIT)
        .until(
            () ->
                OperatorLog.audit().stream()
                    .anyMatch(
                        r ->
                            "ROTATED".equals(r.path("action").asText())
                                && r.path("detail")
                                    .asText()
                                    .equals("keyward.io/rotate=" + forged)));
    assertThat(OperatorLog.lines()).allSatisfy(OperatorLog::parse);
    assertThat(OperatorLog.audit())
        .noneMatch(r -> r.path("accessKey").asText().equals("KWTENANTFORGED"));
  }

  /**
   * A slow client on the probe port: before, one idle connection froze /healthz and the kubelet
   * restarted the operator in a loop. Now probes answer while many such clients hold connections.
   */
  @Test
  @Order(8)
  void slowClientsOnTheProbePortDoNotStopTheProbes() throws Exception {
    try (io.keyward.operator.metrics.MetricsServer probes =
        io.keyward.operator.metrics.MetricsServer.start(0, operator.metrics(), operator.health())) {
      List<java.net.Socket> idle = new ArrayList<>();
      try {
        for (int i = 0; i < 40; i++) {
          java.net.Socket s = new java.net.Socket("127.0.0.1", probes.port());
          // Half a request head, never finished.
          s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x".getBytes());
          idle.add(s);
        }
        java.net.http.HttpClient http =
            java.net.http.HttpClient.newBuilder()
                .connectTimeout(java.time.Duration.ofSeconds(2))
                .build();
        for (String path : List.of("/healthz", "/readyz")) {
          java.net.http.HttpResponse<String> r =
              http.send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create("http://127.0.0.1:" + probes.port() + path))
                      .timeout(java.time.Duration.ofSeconds(3))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());
          assertThat(r.statusCode()).as(path).isEqualTo(200);
        }
      } finally {
        for (java.net.Socket s : idle) {
          s.close();
        }
      }
    }
  }

  /**
   * A restart the tenant may not do itself: before, spec.rolloutRestart had the operator patch any
   * workload named there. Now a workload is restarted only if it names the key in its consent
   * annotation.
   */
  @Test
  @Order(9)
  void aKeyRestartsOnlyWorkloadsThatConsent() {
    io.fabric8.kubernetes.api.model.apps.Deployment d =
        new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder()
            .withNewMetadata()
            .withName("payments")
            .withNamespace(NS)
            .endMetadata()
            .withNewSpec()
            .withNewSelector()
            .addToMatchLabels("app", "payments")
            .endSelector()
            .withNewTemplate()
            .withNewMetadata()
            .addToLabels("app", "payments")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("c")
            .withImage("example.invalid/payments:1")
            .endContainer()
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    client().resource(d).create();
    ApiKey key =
        tenantKey(
            "restarter",
            s -> {
              s.permissions = List.of("read");
              ApiKeySpec.WorkloadRef ref = new ApiKeySpec.WorkloadRef();
              ref.kind = "Deployment";
              ref.name = "payments";
              s.rolloutRestart = List.of(ref);
            });
    awaitKey(NS, "restarter", phase("AwaitingVerification"));
    giveCode(NS, "restarter", nextCode());
    ApiKey issued = awaitKey(NS, "restarter", phase("Active"));
    annotateKey(NS, "restarter", "keyward.io/rotate", "now");
    awaitKey(NS, "restarter", k -> !issued.getStatus().accessKey.equals(k.getStatus().accessKey));
    assertThat(awaitEvents(NS, "restarter", "RestartNotConsented").get(0).getMessage())
        .contains("payments");
    assertThat(
            client()
                .apps()
                .deployments()
                .inNamespace(NS)
                .withName("payments")
                .get()
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getAnnotations())
        .as("the pod template was not touched")
        .satisfiesAnyOf(
            a -> assertThat(a).isNull(),
            a -> assertThat(a).doesNotContainKey("kubectl.kubernetes.io/restartedAt"));
    assertThat(key.getMetadata().getUid()).isNotBlank();
  }

  /**
   * Oversized fields: before, a 41,000-character IP string was accepted by the API server and
   * quoted whole in the refusal. Now the schema refuses it at apply time, naming the field.
   */
  @Test
  @Order(10)
  void oversizedFieldsAreRefusedAtApplyTime() {
    String huge = "1".repeat(41_000);
    assertThatThrownBy(() -> tenantKey("huge-ip", s -> s.ipWhitelist = List.of(huge)))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(
            e -> {
              KubernetesClientException k = (KubernetesClientException) e;
              assertThat(k.getCode()).isEqualTo(422);
              // The field and the rule; the 1.20 API server's own message quotes the value (the
              // operator's refusals quote at most 64 characters: ApiKeyRulesTest).
              assertThat(k.getMessage()).contains("spec.ipWhitelist").contains("45");
            });
    assertThatThrownBy(
            () ->
                tenantKey(
                    "huge-labels",
                    s -> {
                      s.secretTemplate = new ApiKeySpec.SecretTemplate();
                      s.secretTemplate.labels = new LinkedHashMap<>();
                      for (int i = 0; i < 200; i++) {
                        s.secretTemplate.labels.put("l" + i, "v");
                      }
                    }))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(
            e ->
                assertThat(((KubernetesClientException) e).getMessage())
                    .contains("spec.secretTemplate.labels"));
    assertThat(tenant.resources(ApiKey.class).inNamespace(NS).withName("huge-ip").get()).isNull();
  }

  /**
   * A key deleted without its finalizer: before, its slot and grant stayed in the ledger, a grant
   * in force that no ApiKey showed. Now the deletion wakes its user, whose ledger drops the slot
   * and the grant, audited as a revocation.
   */
  @Test
  @Order(11)
  void aKeyDeletedWithoutItsFinalizerTakesItsGrantWithIt() {
    ApiKey key = get(NS, "planted");
    String accessKey =
        await()
            .atMost(WAIT)
            .until(() -> grant(key).map(g -> g.accessKey).orElse(null), a -> a != null);
    tenant
        .resources(ApiKey.class)
        .inNamespace(NS)
        .withName("planted")
        .edit(
            k -> {
              k.getMetadata().setFinalizers(new ArrayList<>());
              return k;
            });
    tenant.resources(ApiKey.class).inNamespace(NS).withName("planted").delete();
    await().atMost(WAIT).until(() -> get(NS, "planted") == null);

    await().atMost(WAIT).until(() -> slotOf(key).isEmpty());
    await()
        .atMost(WAIT)
        .until(
            () ->
                OperatorLog.audit().stream()
                    .anyMatch(
                        r ->
                            "REVOKED".equals(r.path("action").asText())
                                && accessKey.equals(r.path("accessKey").asText())));
  }

  // --- helpers ---

  private static ApiKey tenantKey(String name, Consumer<ApiKeySpec> spec) {
    ApiKey k = new ApiKey();
    k.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    ApiKeySpec s = new ApiKeySpec();
    s.user = USER;
    s.note = "tenant key " + name;
    spec.accept(s);
    if (s.permissions != null && s.permissions.contains("withdraw")) {
      s.ipWhitelist = List.of("203.0.113.7");
    }
    k.setSpec(s);
    return tenant.resource(k).create();
  }

  /** The tenant writes the key's status subresource, as its role allows. */
  private static void writeStatusAsTenant(String name, Consumer<ApiKeyStatus> forge) {
    for (int attempt = 1; ; attempt++) {
      ApiKey k = tenant.resources(ApiKey.class).inNamespace(NS).withName(name).get();
      if (k.getStatus() == null) {
        k.setStatus(new ApiKeyStatus());
      }
      if (k.getStatus().conditions == null) {
        k.getStatus().conditions = new ArrayList<>();
      }
      if (k.getStatus().effective == null) {
        k.getStatus().effective = new ApiKeyStatus.Effective();
      }
      forge.accept(k.getStatus());
      try {
        tenant.resource(k).updateStatus();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt > 10) {
          throw e;
        }
      }
    }
  }

  private static Optional<ApiUserStatus.KeyRef> slotOf(ApiKey key) {
    ApiUser u = getUser(USER);
    return u.getStatus() == null
        ? Optional.empty()
        : u.getStatus().keyRefs.stream()
            .filter(r -> key.getMetadata().getUid().equals(r.uid))
            .findFirst();
  }

  private static Optional<ApiUserStatus.KeyGrant> grant(ApiKey key) {
    return slotOf(key).map(r -> r.grant);
  }

  private static String data(Secret s, String key) {
    return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** The code of the operator's current step. */
  private static String code() {
    return TOTP.code(seed, Totp.step(operator.clock().instant()));
  }

  /** A code of a step after every one used so far (each step's code is accepted once). */
  private static String nextCode() {
    operator.clock().advance(Totp.STEP);
    return code();
  }
}
