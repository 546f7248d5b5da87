package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.apiuser.ApiUserReconciler;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.EnrolmentSecret;
import io.keyward.operator.mfa.SealingKey;
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
 * The TOTP secret of record is sealed in the ApiUser's status, and the enrolment Secret is a copy
 * that nobody else's write can turn into a seed: a tenant who may create, update and patch Secrets
 * in the operator's namespace (and has no rights on ApiUsers) tampers with the copy while enrolment
 * is pending and plants one with a copied owner reference after it is confirmed; neither's secret
 * is accepted. A reset is an explicit act on the ApiUser: a new secret, once per annotation value,
 * audited and announced. An enrolment confirmed under an operator from before sealed secrets is
 * carried over only from the Secret its status recorded.
 */
@ExtendWith(RealCluster.class)
@Order(7)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SealedSeedIT {
  private static final String OPERATOR_NS = "keyward-seed";
  private static final String NS = "seed-keys";
  private static final String USER = "sia";
  private static final String KEY = "sia-bot";
  private static final String ENROLMENT = USER + "-totp";
  private static final Totp TOTP = new Totp();

  private static RunningOperator operator;
  private static KubernetesClient tenant;
  private static String seed;

  @BeforeAll
  static void start() {
    RealCluster.namespace(OPERATOR_NS);
    RealCluster.namespace(NS);
    operator = RunningOperator.start(Map.of("operator.namespace", OPERATOR_NS));
    tenant = tenantClient();
  }

  @AfterAll
  static void stop() {
    if (tenant != null) {
      tenant.close();
    }
    operator.close();
  }

  @Test
  @Order(1)
  void aCopyTamperedWithWhilePendingIsReplacedAndItsSecretRefused() {
    ApiUser u = new ApiUser();
    u.setMetadata(new ObjectMetaBuilder().withName(USER).build());
    u.setSpec(new ApiUserSpec());
    u.getSpec().namespaces = List.of(NS);
    client().resource(u).create();
    Secret copy = await().atMost(WAIT).until(() -> secret(OPERATOR_NS, ENROLMENT), s -> s != null);
    seed = decode(copy);
    assertThat(secret(OPERATOR_NS, SealingKey.NAME)).as("the sealing key").isNotNull();
    assertThatThrownBy(() -> tenant.resources(ApiUser.class).withName(USER).get())
        .as("the tenant has no rights on ApiUsers")
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));

    // The tenant writes a secret of their own into the copy, in place: same uid, owner, labels.
    String attacker = attackerSeed();
    tenant
        .secrets()
        .inNamespace(OPERATOR_NS)
        .withName(ENROLMENT)
        .edit(
            s -> {
              s.getData().put(EnrolmentSecret.SECRET, b64(attacker));
              return s;
            });

    Secret replaced =
        await()
            .atMost(WAIT)
            .until(
                () -> secret(OPERATOR_NS, ENROLMENT),
                s -> s != null && !s.getMetadata().getUid().equals(copy.getMetadata().getUid()));
    assertThat(decode(replaced)).isEqualTo(seed);
    assertThat(awaitEvents("default", USER, "EnrolmentSecretConflict").get(0).getMessage())
        .contains("deleted unread");
    JsonNode refused = awaitAudit("ENROLMENT_SECRET_REFUSED", 1).get(0);
    assertThat(refused.path("enrolmentSecret").asText()).isEqualTo(OPERATOR_NS + "/" + ENROLMENT);

    // A code of the tenant's secret confirms nothing; the user's own does.
    int before = failures(getUser(USER));
    annotateUser(USER, CodeVerifier.ANNOTATION, code(attacker, 0));
    await().atMost(WAIT).until(() -> failures(getUser(USER)) > before && !annotated(getUser(USER)));
    assertThat(getUser(USER).getStatus().mfa.confirmed).isFalse();
    annotateUser(USER, CodeVerifier.ANNOTATION, code(seed, 0));
    awaitUser(USER, x -> Boolean.TRUE.equals(x.getStatus().mfa.confirmed));
    await().atMost(WAIT).until(() -> secret(OPERATOR_NS, ENROLMENT) == null);
  }

  @Test
  @Order(2)
  void aSecretPlantedAfterConfirmationIsDeletedUnreadAndItsCodesRefused() {
    ApiUser user = getUser(USER);
    String sealed = user.getStatus().mfa.sealedSeed;
    key(NS, KEY, USER, s -> {});
    awaitKey(NS, KEY, condition("Verified", "False", "AwaitingCode"));

    // The owner reference copied (its uid is in any earlier copy), labels and type Keyward's.
    String attacker = attackerSeed();
    tenant
        .secrets()
        .inNamespace(OPERATOR_NS)
        .resource(EnrolmentSecret.build(user, OPERATOR_NS, attacker))
        .create();
    operator.clock().advance(Totp.STEP);
    giveCode(NS, KEY, code(attacker, 0));
    ApiKey refused = awaitKey(NS, KEY, condition("Verified", "False", "InvalidCode"));
    assertThat(refused.getStatus().accessKey).isNull();
    assertThat(secret(NS, KEY + "-credentials")).isNull();

    await().atMost(WAIT).until(() -> secret(OPERATOR_NS, ENROLMENT) == null);
    awaitAudit("ENROLMENT_SECRET_REFUSED", 2);
    // No new secret came of it, and none of deleting: the code of the secret enrolled works.
    assertThat(getUser(USER).getStatus().mfa.sealedSeed).isEqualTo(sealed);
    giveCode(NS, KEY, code(seed, 0));
    awaitKey(NS, KEY, phase("Active"));
    await()
        .during(Duration.ofSeconds(2))
        .atMost(WAIT)
        .until(
            () ->
                secret(OPERATOR_NS, ENROLMENT) == null
                    && sealed.equals(getUser(USER).getStatus().mfa.sealedSeed));
  }

  @Test
  @Order(3)
  void theResetAnnotationMakesANewSecretOnceAuditedAndAnnounced() {
    ApiKey issued = get(NS, KEY);
    String sealed = getUser(USER).getStatus().mfa.sealedSeed;
    annotateUser(USER, ApiUserReconciler.RESET_ANNOTATION, "ticket-1");

    ApiUser reset =
        awaitUser(
            USER,
            x ->
                "ticket-1".equals(x.getStatus().mfa.lastHandledReset)
                    && x.getStatus().mfa.enrolmentSecret != null);
    assertThat(reset.getStatus().mfa.sealedSeed).isNotEqualTo(sealed);
    assertThat(reset.getStatus().mfa.confirmed).isFalse();
    assertThat(reset.getStatus().mfa.state).isEqualTo("EnrolmentPending");
    String fresh = decode(secret(OPERATOR_NS, ENROLMENT));
    assertThat(fresh).isNotEqualTo(seed);
    assertThat(awaitEvents("default", USER, "EnrolmentReset").get(0).getMessage())
        .contains("keyward.io/reset-totp")
        .doesNotContain(fresh)
        .doesNotContain(seed);
    JsonNode audited = awaitAudit("MFA_RESET", 1).get(0);
    assertThat(audited.path("detail").asText()).isEqualTo("keyward.io/reset-totp=ticket-1");
    assertThat(audited.path("enrolmentSecret").asText()).isEqualTo(OPERATOR_NS + "/" + ENROLMENT);
    assertThat(audited.toString()).doesNotContain(fresh).doesNotContain(seed);

    // The key issued before keeps working: a reset revokes nothing.
    assertThat(get(NS, KEY).getStatus().accessKey).isEqualTo(issued.getStatus().accessKey);
    assertThat(get(NS, KEY).getStatus().phase).isEqualTo("Active");

    // The old secret's code no longer confirms; the new one's does, and its copy goes.
    operator.clock().advance(Totp.STEP);
    int before = failures(getUser(USER));
    annotateUser(USER, CodeVerifier.ANNOTATION, code(seed, 0));
    await().atMost(WAIT).until(() -> failures(getUser(USER)) > before && !annotated(getUser(USER)));
    assertThat(getUser(USER).getStatus().mfa.confirmed).isFalse();
    annotateUser(USER, CodeVerifier.ANNOTATION, code(fresh, 0));
    awaitUser(USER, x -> Boolean.TRUE.equals(x.getStatus().mfa.confirmed));
    await().atMost(WAIT).until(() -> secret(OPERATOR_NS, ENROLMENT) == null);

    // The manifest applied again with the same value resets nothing.
    String resealed = getUser(USER).getStatus().mfa.sealedSeed;
    ApiUser edited =
        editUser(
            USER,
            x -> {
              x.getSpec().displayName = "Sia";
              return x;
            });
    long generation = edited.getMetadata().getGeneration();
    awaitUser(USER, x -> x.getStatus().observedGeneration == generation);
    await()
        .during(Duration.ofSeconds(2))
        .atMost(WAIT)
        .until(
            () ->
                resealed.equals(getUser(USER).getStatus().mfa.sealedSeed)
                    && audit("MFA_RESET").size() == 1);
  }

  @Test
  @Order(4)
  void anEnrolmentConfirmedBeforeSealedSecretsIsCarriedOverOnlyWithTheSecretItWasConfirmedWith() {
    // As an operator from before sealed secrets left them: a Secret holding the secret, and the
    // status recording that Secret's uid as the one a code confirmed.
    operator.pause();
    String adaSeed = TOTP.newSecret();
    legacyUser("ada", adaSeed, true);
    // And one whose Secret is not the one the status recorded (planted with copied metadata).
    String beaPlanted = TOTP.newSecret();
    legacyUser("bea", beaPlanted, false);
    operator.resume();

    ApiUser migrated =
        awaitUser(
            "ada",
            x -> x.getStatus().mfa.sealedSeed != null && x.getStatus().mfa.enrolmentSecret == null);
    assertThat(migrated.getStatus().mfa.confirmed).isTrue();
    await().atMost(WAIT).until(() -> secret(OPERATOR_NS, "ada-totp") == null);
    assertThat(awaitEvents("default", "ada", "EnrolmentMigrated").get(0).getMessage())
        .contains("keyward.io/reset-totp");
    assertThat(
            OperatorLog.audit().stream()
                .filter(r -> "ada".equals(r.path("user").asText()))
                .map(r -> r.path("action").asText()))
        .contains("MFA_MIGRATED");
    // The secret carried over is the one the user enrolled: its code issues a key.
    key(NS, "ada-bot", "ada", sp -> {});
    awaitKey(NS, "ada-bot", condition("Verified", "False", "AwaitingCode"));
    operator.clock().advance(Totp.STEP);
    giveCode(NS, "ada-bot", code(adaSeed, 0));
    awaitKey(NS, "ada-bot", phase("Active"));

    ApiUser restarted =
        awaitUser(
            "bea",
            x -> x.getStatus().mfa.sealedSeed != null && x.getStatus().mfa.enrolmentSecret != null);
    assertThat(restarted.getStatus().mfa.confirmed).isFalse();
    assertThat(awaitEvents("default", "bea", "EnrolmentReset")).isNotEmpty();
    // Its Secret was not read as a seed: replaced by a copy of a new secret.
    Secret copy =
        await()
            .atMost(WAIT)
            .until(
                () -> secret(OPERATOR_NS, "bea-totp"),
                x -> x != null && !beaPlanted.equals(decode(x)));
    assertThat(copy.getMetadata().getUid())
        .isEqualTo(restarted.getStatus().mfa.enrolmentSecret.uid);
  }

  /** An ApiUser and its enrolment Secret as an operator before sealed secrets wrote them. */
  private static void legacyUser(String name, String totpSecret, boolean recordedIsThisOne) {
    ApiUser u = new ApiUser();
    u.setMetadata(new ObjectMetaBuilder().withName(name).build());
    u.setSpec(new ApiUserSpec());
    u.getSpec().namespaces = List.of(NS);
    ApiUser created = client().resource(u).create();
    Secret secret =
        client()
            .secrets()
            .inNamespace(OPERATOR_NS)
            .resource(EnrolmentSecret.build(created, OPERATOR_NS, totpSecret))
            .create();
    created.setStatus(new io.keyward.operator.api.ApiUserStatus());
    created.getStatus().mfa = new io.keyward.operator.api.ApiUserStatus.MfaStatus();
    created.getStatus().mfa.state = "Enrolled";
    created.getStatus().mfa.confirmed = true;
    created.getStatus().mfa.enrolmentSecret = new io.keyward.operator.api.ApiUserStatus.SecretRef();
    created.getStatus().mfa.enrolmentSecret.namespace = OPERATOR_NS;
    created.getStatus().mfa.enrolmentSecret.name = name + "-totp";
    created.getStatus().mfa.enrolmentSecret.uid =
        recordedIsThisOne ? secret.getMetadata().getUid() : "uid-of-the-secret-once-confirmed";
    client().resource(created).updateStatus();
  }

  /** A secret of the tenant's own whose codes near now differ from the user's. */
  private static String attackerSeed() {
    for (; ; ) {
      String s = TOTP.newSecret();
      long step = Totp.step(operator.clock().instant());
      boolean clash = false;
      for (long i = step - 2; i <= step + 3; i++) {
        clash |= seed != null && TOTP.code(s, i).equals(TOTP.code(seed, i));
      }
      if (!clash) {
        return s;
      }
    }
  }

  private static List<JsonNode> audit(String action) {
    return OperatorLog.audit().stream()
        .filter(r -> USER.equals(r.path("user").asText()))
        .filter(r -> action.equals(r.path("action").asText()))
        .toList();
  }

  private static List<JsonNode> awaitAudit(String action, int n) {
    return await().atMost(WAIT).until(() -> audit(action), l -> l.size() >= n);
  }

  private static int failures(ApiUser u) {
    return u.getStatus() == null || u.getStatus().mfa == null || u.getStatus().mfa.failures == null
        ? 0
        : u.getStatus().mfa.failures.size();
  }

  private static boolean annotated(ApiUser u) {
    return u.getMetadata().getAnnotations() != null
        && u.getMetadata().getAnnotations().containsKey(CodeVerifier.ANNOTATION);
  }

  private static String code(String secret, int offset) {
    return TOTP.code(secret, Totp.step(operator.clock().instant()) + offset);
  }

  private static String decode(Secret s) {
    return new String(
        Base64.getDecoder().decode(s.getData().get(EnrolmentSecret.SECRET)),
        StandardCharsets.US_ASCII);
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * A client with the token of a ServiceAccount that may get, list, watch, create, update and patch
   * Secrets in the operator's namespace, and nothing else.
   */
  private static KubernetesClient tenantClient() {
    client()
        .serviceAccounts()
        .inNamespace(NS)
        .resource(
            new ServiceAccountBuilder().withNewMetadata().withName("tenant").endMetadata().build())
        .createOr(existing -> existing.update());
    client()
        .rbac()
        .roles()
        .inNamespace(OPERATOR_NS)
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName("tenant-secrets")
                .endMetadata()
                .addNewRule()
                .withApiGroups("")
                .withResources("secrets")
                .withVerbs("get", "list", "watch", "create", "update", "patch")
                .endRule()
                .build())
        .createOr(existing -> existing.update());
    client()
        .rbac()
        .roleBindings()
        .inNamespace(OPERATOR_NS)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName("tenant-secrets")
                .endMetadata()
                .withNewRoleRef()
                .withApiGroup("rbac.authorization.k8s.io")
                .withKind("Role")
                .withName("tenant-secrets")
                .endRoleRef()
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName("tenant")
                .withNamespace(NS)
                .endSubject()
                .build())
        .createOr(existing -> existing.update());
    return ChartRbac.tokenClient(ChartRbac.token(NS, "tenant"), new RequestAudit());
  }
}
