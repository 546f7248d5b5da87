package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.keyward.chart.Chart;
import io.keyward.operator.KeywardOperator;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.apikey.ApiKeyReconciler;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.Totp;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chart's RBAC is exactly enough: the chart is rendered, its ServiceAccount and roles applied
 * to the real API server, and an operator runs the whole lifecycle (MFA enrolment, verification,
 * issuance, rotation with restarts of all three workload kinds, extension, deletion, leader
 * election) with a token of that ServiceAccount, not an admin. Every request is recorded: none may
 * be refused, and every rule of the roles must have been used.
 */
@ExtendWith(RealCluster.class)
@Order(9)
class RbacIT {
  private static final String OPERATOR_NS = "keyward-rbac";
  private static final String NS = "rbac-keys";
  private static final String USER = "rhea";
  private static final Totp TOTP = new Totp();
  private static final RequestAudit AUDIT = new RequestAudit();

  /**
   * Granted though no request uses it: JOSDK checks (by SelfSubjectAccessReview) that it may get,
   * create and update the Lease and refuses to start otherwise, while fabric8 renews by patch.
   */
  private static final Set<RequestAudit.Use> REQUIRED_WITHOUT_REQUESTS =
      Set.of(new RequestAudit.Use("coordination.k8s.io", "leases", "update"));

  /** What every authenticated user may do (system:basic-user): JOSDK's permission check. */
  private static final Set<RequestAudit.Use> GRANTED_TO_EVERYONE =
      Set.of(
          new RequestAudit.Use("authorization.k8s.io", "selfsubjectrulesreviews", "create"),
          new RequestAudit.Use("authorization.k8s.io", "selfsubjectaccessreviews", "create"));

  private static List<HasMetadata> rbac;
  private static RunningOperator operator;

  @BeforeAll
  static void install() throws Exception {
    RealCluster.namespace(OPERATOR_NS);
    RealCluster.namespace(NS);
    // Two replicas: the chart then also grants the leader-election Lease.
    rbac =
        Chart.render(OPERATOR_NS, Map.of("replicas", 2)).stream()
            .filter(
                o ->
                    List.of(
                            "ServiceAccount",
                            "ClusterRole",
                            "ClusterRoleBinding",
                            "Role",
                            "RoleBinding")
                        .contains(o.getKind()))
            .toList();
    for (HasMetadata o : rbac) {
      client().resource(o).createOr(existing -> existing.update());
    }
    ServiceAccount sa =
        rbac.stream()
            .filter(ServiceAccount.class::isInstance)
            .map(ServiceAccount.class::cast)
            .findFirst()
            .orElseThrow();
    String token =
        client()
            .serviceAccounts()
            .inNamespace(OPERATOR_NS)
            .withName(sa.getMetadata().getName())
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(3600L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    Config admin = RealCluster.client().getConfiguration();
    operator =
        RunningOperator.start(
            Map.of(
                "operator.namespace", OPERATOR_NS,
                "operator.leaderElection.enabled", "true",
                "operator.leaderElection.leaseName", "keyward-rbac"),
            () -> serviceAccountClient(admin, token));
  }

  /** A client of the same server that authenticates with the ServiceAccount token only. */
  private static KubernetesClient serviceAccountClient(Config admin, String token) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(admin.getMasterUrl())
            .withCaCertData(admin.getCaCertData())
            .withCaCertFile(admin.getCaCertFile())
            .withTrustCerts(admin.isTrustCerts())
            .withOauthToken(token)
            .build();
    return new KubernetesClientBuilder()
        .withConfig(KeywardOperator.requestsInFlight(config))
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("rbac-audit", AUDIT))
        .build();
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
  }

  @Test
  void theWholeLifecycleRunsOnTheChartsRoleAndUsesAllOfIt() throws Exception {
    workloads();
    ApiUser u = new ApiUser();
    u.setMetadata(new ObjectMetaBuilder().withName(USER).build());
    u.setSpec(new ApiUserSpec());
    u.getSpec().namespaces = List.of(NS);
    client().resource(u).create();

    // Enrolment: a wrong code twice (the same event again is a patch), then the right one.
    Secret enrolment =
        await().atMost(WAIT).until(() -> secret(OPERATOR_NS, USER + "-totp"), s -> s != null);
    String totpSecret =
        new String(
            Base64.getDecoder().decode(enrolment.getData().get("secret")), StandardCharsets.UTF_8);
    for (int i = 0; i < 2; i++) {
      annotateUser(USER, CodeVerifier.ANNOTATION, wrongCode(totpSecret));
      int attempt = i + 1;
      awaitUser(
          USER,
          x ->
              x.getStatus() != null
                  && x.getStatus().mfa != null
                  && x.getStatus().mfa.failures != null
                  && x.getStatus().mfa.failures.size() >= attempt);
    }
    annotateUser(USER, CodeVerifier.ANNOTATION, code(totpSecret, 0));
    awaitUser(USER, x -> Boolean.TRUE.equals(x.getStatus().mfa.confirmed));

    // A key with restarts of every workload kind, verified with the next step's code.
    key(
        NS,
        "rbac-bot",
        USER,
        s -> {
          s.rolloutRestart =
              List.of(ref("Deployment", "d"), ref("StatefulSet", "s"), ref("DaemonSet", "ds"));
        });
    awaitKey(NS, "rbac-bot", phase("AwaitingVerification"));
    operator.clock().advance(Totp.STEP);
    giveCode(NS, "rbac-bot", code(totpSecret, 0));
    ApiKey issued = awaitKey(NS, "rbac-bot", phase("Active"));

    // A code where none is needed, twice: the same event again raises its count (get, patch).
    for (int i = 0; i < 2; i++) {
      giveCode(NS, "rbac-bot", "000000");
      awaitKey(
          NS,
          "rbac-bot",
          k ->
              k.getMetadata().getAnnotations() == null
                  || !k.getMetadata().getAnnotations().containsKey(CodeVerifier.ANNOTATION));
    }
    await()
        .atMost(WAIT)
        .until(
            () ->
                events(NS, "rbac-bot", "VerificationSkipped").stream()
                    .anyMatch(e -> e.getCount() != null && e.getCount() >= 2));

    annotateKey(NS, "rbac-bot", ApiKeyReconciler.ROTATE_ANNOTATION, "1");
    awaitKey(NS, "rbac-bot", k -> !issued.getStatus().accessKey.equals(k.getStatus().accessKey));
    awaitEvents(NS, "rbac-bot", "RolloutRestarted");
    annotateKey(NS, "rbac-bot", ApiKeyReconciler.RENEW_ANNOTATION, "1");
    ApiKey renewed = awaitKey(NS, "rbac-bot", k -> "1".equals(k.getStatus().lastHandledRenew));

    // The Secret lost: revoked and issued anew, deciding on what the server has (get apikeys).
    client().secrets().inNamespace(NS).withName("rbac-bot-credentials").delete();
    awaitKey(
        NS,
        "rbac-bot",
        k ->
            !renewed.getStatus().accessKey.equals(k.getStatus().accessKey)
                && "Active".equals(k.getStatus().phase));
    awaitEvents(NS, "rbac-bot", "SecretLost");

    client().resources(ApiKey.class).inNamespace(NS).withName("rbac-bot").delete();
    await().atMost(WAIT).until(() -> get(NS, "rbac-bot") == null);
    await().atMost(WAIT).until(() -> secret(NS, "rbac-bot-credentials") == null);
    awaitUser(USER, x -> x.getStatus().keyRefs.isEmpty());
    // Leader election renews its Lease (a patch) every 2 seconds.
    await()
        .atMost(WAIT)
        .until(
            () ->
                AUDIT
                    .used()
                    .contains(new RequestAudit.Use("coordination.k8s.io", "leases", "patch")));

    assertThat(AUDIT.forbidden()).as("requests refused with 403").isEmpty();
    Set<RequestAudit.Use> granted = granted();
    Set<RequestAudit.Use> unused = new HashSet<>(granted);
    unused.removeAll(AUDIT.used());
    unused.removeAll(REQUIRED_WITHOUT_REQUESTS);
    assertThat(new TreeSet<>(unused.stream().map(Object::toString).toList()))
        .as("rules the lifecycle never used (remove them): used %s", sorted(AUDIT.used()))
        .isEmpty();
    // And nothing was used that is not granted (or it would have been refused).
    Set<RequestAudit.Use> beyond = new HashSet<>(AUDIT.used());
    beyond.removeAll(granted);
    beyond.removeAll(GRANTED_TO_EVERYONE);
    assertThat(sorted(beyond)).isEmpty();
  }

  /** Every (group, resource, verb) the rendered ClusterRole and Role grant. */
  private static Set<RequestAudit.Use> granted() {
    Set<RequestAudit.Use> all = new HashSet<>();
    for (HasMetadata o : rbac) {
      List<PolicyRule> rules =
          o instanceof ClusterRole cr
              ? cr.getRules()
              : o instanceof Role r ? r.getRules() : List.of();
      for (PolicyRule rule : rules) {
        for (String group : rule.getApiGroups()) {
          for (String resource : rule.getResources()) {
            for (String verb : rule.getVerbs()) {
              all.add(new RequestAudit.Use(group, resource, verb));
            }
          }
        }
      }
    }
    return all;
  }

  private static TreeSet<String> sorted(Set<RequestAudit.Use> uses) {
    return uses.stream().map(Object::toString).collect(Collectors.toCollection(TreeSet::new));
  }

  private static ApiKeySpec.WorkloadRef ref(String kind, String name) {
    ApiKeySpec.WorkloadRef r = new ApiKeySpec.WorkloadRef();
    r.kind = kind;
    r.name = name;
    return r;
  }

  private static void workloads() {
    Map<String, String> labels = Map.of("app", "rbac-bot");
    PodTemplateSpec template =
        new PodTemplateSpecBuilder()
            .withNewMetadata()
            .withLabels(labels)
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("bot")
            .withImage("example.invalid/bot:1")
            .endContainer()
            .endSpec()
            .build();
    client()
        .apps()
        .deployments()
        .inNamespace(NS)
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName("d")
                .endMetadata()
                .withNewSpec()
                .withReplicas(0)
                .withNewSelector()
                .withMatchLabels(labels)
                .endSelector()
                .withTemplate(template)
                .endSpec()
                .build())
        .create();
    client()
        .apps()
        .statefulSets()
        .inNamespace(NS)
        .resource(
            new StatefulSetBuilder()
                .withNewMetadata()
                .withName("s")
                .endMetadata()
                .withNewSpec()
                .withReplicas(0)
                .withServiceName("s")
                .withNewSelector()
                .withMatchLabels(labels)
                .endSelector()
                .withTemplate(template)
                .endSpec()
                .build())
        .create();
    client()
        .apps()
        .daemonSets()
        .inNamespace(NS)
        .resource(
            new DaemonSetBuilder()
                .withNewMetadata()
                .withName("ds")
                .endMetadata()
                .withNewSpec()
                .withNewSelector()
                .withMatchLabels(labels)
                .endSelector()
                .withTemplate(template)
                .endSpec()
                .build())
        .create();
  }

  private static String code(String secret, int offset) {
    return TOTP.code(secret, Totp.step(operator.clock().instant()) + offset);
  }

  private static String wrongCode(String secret) {
    return Fixtures.wrongCode(secret, operator.clock().instant());
  }
}
