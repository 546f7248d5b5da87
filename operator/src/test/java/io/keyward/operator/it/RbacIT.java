package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.keyward.chart.Chart;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chart's RBAC (watching all namespaces) is exactly enough: the chart is rendered, its
 * ServiceAccount and roles applied to the real API server, and an operator runs the whole lifecycle
 * (MFA enrolment, verification, issuance, rotation with restarts of all three workload kinds,
 * extension, deletion, leader election) with a token of that ServiceAccount, not an admin. Every
 * request is recorded: none may be refused, and every rule of the roles must have been used. The
 * tenant roles the chart ships grant ApiKeys and nothing the operator believes.
 */
@ExtendWith(RealCluster.class)
@Order(9)
class RbacIT {
  private static final String OPERATOR_NS = "keyward-rbac";
  private static final String NS = "rbac-keys";
  private static final String TENANT_NS = "rbac-tenant";
  private static final String USER = "rhea";
  private static final RequestAudit AUDIT = new RequestAudit();

  /**
   * Granted though no request uses it: JOSDK checks (by SelfSubjectAccessReview) that it may get,
   * create and update the Lease and refuses to start otherwise, while fabric8 renews by patch.
   */
  static final Set<RequestAudit.Use> REQUIRED_WITHOUT_REQUESTS =
      Set.of(new RequestAudit.Use("coordination.k8s.io", "leases", "update"));

  /** What every authenticated user may do (system:basic-user): JOSDK's permission check. */
  static final Set<RequestAudit.Use> GRANTED_TO_EVERYONE =
      Set.of(
          new RequestAudit.Use("authorization.k8s.io", "selfsubjectrulesreviews", "create"),
          new RequestAudit.Use("authorization.k8s.io", "selfsubjectaccessreviews", "create"));

  private static final PatchContext MERGE = PatchContext.of(PatchType.JSON_MERGE);

  private static ChartRbac rbac;
  private static RunningOperator operator;

  @BeforeAll
  static void install() {
    RealCluster.namespace(NS);
    // Two replicas: the chart then also grants the leader-election Lease.
    rbac = ChartRbac.install(OPERATOR_NS, Map.of("replicas", 2));
    Map<String, String> settings = new java.util.HashMap<>(rbac.admissionSettings());
    settings.put("operator.namespace", OPERATOR_NS);
    settings.put("operator.leaderElection.enabled", "true");
    settings.put("operator.leaderElection.leaseName", "keyward-rbac");
    operator = RunningOperator.start(settings, () -> rbac.operatorClient(AUDIT));
    // The whole lifecycle then runs through the chart's webhook, served by this operator.
    rbac.installWebhook(operator.admissionPort());
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    if (rbac != null) {
      rbac.uninstall();
    }
  }

  @Test
  void theWholeLifecycleRunsOnTheChartsRoleAndUsesAllOfIt() {
    assertThat(rbac.granted())
        .as("watching all namespaces: one ClusterRole, no Role but the Lease's and the webhook's")
        .allMatch(
            g ->
                g.namespace().isEmpty()
                    || g.use().resource().equals("leases")
                    || g.use().resource().equals("secrets") && g.namespace().equals(OPERATOR_NS));
    ChartRbac.lifecycle(operator, OPERATOR_NS, NS, USER);
    ChartRbac.renewWebhookCertificate(operator, OPERATOR_NS);
    // Leader election renews its Lease (a patch) every 2 seconds.
    await()
        .atMost(WAIT)
        .until(
            () ->
                AUDIT
                    .used()
                    .contains(new RequestAudit.Use("coordination.k8s.io", "leases", "patch")));

    assertThat(AUDIT.forbidden()).as("requests refused with 403").isEmpty();
    assertThat(rbac.unused(AUDIT.usedIn(), REQUIRED_WITHOUT_REQUESTS))
        .as("rules the lifecycle never used (remove them): used %s", ChartRbac.sorted(AUDIT.used()))
        .isEmpty();
    // And nothing was used that is not granted (or it would have been refused).
    assertThat(rbac.beyond(AUDIT.usedIn(), GRANTED_TO_EVERYONE)).isEmpty();
  }

  /**
   * A tenant bound to the chart's tenant-editor role in its namespace writes ApiKeys there, but not
   * their status (what the operator decided) and nothing of ApiUsers (the accounts and their
   * limits); one bound to tenant-viewer only reads ApiKeys.
   */
  @Test
  void theTenantRolesGrantApiKeysButNotTheirStatusNorApiUsers() {
    String editor = Chart.RELEASE + "-tenant-editor";
    String viewer = Chart.RELEASE + "-tenant-viewer";
    assertThat(rbac.named(ClusterRole.class, editor).getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-admin", "true")
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-edit", "true");
    assertThat(rbac.named(ClusterRole.class, viewer).getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-view", "true");
    // The key's user exists (the webhook admits no key for a user that does not) and requires
    // TOTP, so the key waits for a code the tenant cannot give.
    ApiUser owner = new ApiUser();
    owner.setMetadata(new ObjectMetaBuilder().withName("rbac-tenant-user").build());
    owner.setSpec(new ApiUserSpec());
    owner.getSpec().namespaces = List.of(TENANT_NS);
    client().resource(owner).createOr(e -> e.update());
    try (KubernetesClient tenant = ChartRbac.boundTo(TENANT_NS, "tenant-editor", editor);
        KubernetesClient reader = ChartRbac.boundTo(TENANT_NS, "tenant-viewer", viewer)) {
      ApiKey key = new ApiKey();
      key.setMetadata(
          new ObjectMetaBuilder().withName("tenant-bot").withNamespace(TENANT_NS).build());
      key.setSpec(new ApiKeySpec());
      key.getSpec().user = "rbac-tenant-user";
      key.getSpec().note = "a tenant's bot";
      ApiKey created = tenant.resource(key).create();
      assertThat(tenant.resources(ApiKey.class).inNamespace(TENANT_NS).list().getItems())
          .extracting(k -> k.getMetadata().getName())
          .contains("tenant-bot");
      // A merge patch: the operator adds its finalizer meanwhile, so no resourceVersion.
      ApiKey edited =
          tenant
              .resources(ApiKey.class)
              .inNamespace(TENANT_NS)
              .withName("tenant-bot")
              .patch(MERGE, "{\"spec\":{\"note\":\"a tenant's bot, edited\"}}");
      assertThat(edited.getSpec().note).endsWith("edited");

      ApiKey forged =
          tenant.resources(ApiKey.class).inNamespace(TENANT_NS).withName("tenant-bot").get();
      forged.setStatus(new ApiKeyStatus());
      forged.getStatus().phase = "Active";
      forged.getStatus().accessKey = "KWFORGED";
      assertForbidden(() -> tenant.resource(forged).updateStatus());
      assertForbidden(() -> tenant.resource(forged).patchStatus());
      assertForbidden(() -> tenant.resources(ApiUser.class).withName(USER).get());
      assertForbidden(() -> tenant.resources(ApiUser.class).list());
      ApiUser self = new ApiUser();
      self.setMetadata(new ObjectMetaBuilder().withName("nobody-yet").build());
      self.setSpec(new ApiUserSpec());
      self.getSpec().namespaces = List.of("*");
      assertForbidden(() -> tenant.resource(self).create());
      // Only in the namespace it is bound in.
      assertForbidden(() -> tenant.resources(ApiKey.class).inNamespace(NS).list());

      assertThat(reader.resources(ApiKey.class).inNamespace(TENANT_NS).withName("tenant-bot").get())
          .isNotNull();
      assertForbidden(
          () ->
              reader
                  .resources(ApiKey.class)
                  .inNamespace(TENANT_NS)
                  .withName("tenant-bot")
                  .patch(MERGE, "{\"spec\":{\"note\":\"the viewer's\"}}"));
      assertForbidden(() -> reader.resources(ApiUser.class).list());

      tenant.resource(created).delete();
      await().atMost(WAIT).until(() -> get(TENANT_NS, "tenant-bot") == null);
    }
  }

  private static void assertForbidden(ThrowableAssert.ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
  }
}
