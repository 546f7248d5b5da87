package io.keyward.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MatchCondition;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.RuleWithOperations;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ServiceReference;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The admission webhook's part of the chart: the ValidatingWebhookConfiguration (its failure
 * policies by Kubernetes version), the Service and the operator's settings that must agree with
 * them, the RBAC for the serving certificate and the caBundle, and cert-manager's objects.
 */
class WebhookChartTest {
  private static final String NS = "ops";
  private static final String SA = "system:serviceaccount:ops:keyward";
  private static final String NOT_BEING_DELETED = "!has(object.metadata.deletionTimestamp)";

  /** Before 1.28 there are no matchConditions: an UPDATE must fail open or deletions can wedge. */
  @ParameterizedTest
  @CsvSource({
    "1.20.2, Ignore",
    "1.27.9, Ignore",
    "1.28.0, Fail",
    "1.28.3-eks-1234, Fail",
    "1.30.0, Fail",
    "1.36.0, Fail"
  })
  void updatesFailClosedOnlyWhereObjectsBeingDeletedAreSkipped(String kube, String update) {
    ValidatingWebhookConfiguration vwc = configuration(Chart.render(NS, kube, Map.of()));
    assertThat(webhook(vwc, "create.keyward.io").getFailurePolicy()).isEqualTo("Fail");
    assertThat(webhook(vwc, "status.keyward.io").getFailurePolicy()).isEqualTo("Ignore");
    ValidatingWebhook updates = webhook(vwc, "update.keyward.io");
    assertThat(updates.getFailurePolicy()).isEqualTo(update);
    if (update.equals("Fail")) {
      assertThat(updates.getMatchConditions())
          .extracting(MatchCondition::getExpression)
          .containsExactly(NOT_BEING_DELETED);
    } else {
      assertThat(updates.getMatchConditions()).isNullOrEmpty();
    }
    // Neither the create nor the status webhook needs one: creates are never of deleted objects,
    // and the status webhook fails open everywhere.
    assertThat(webhook(vwc, "create.keyward.io").getMatchConditions()).isNullOrEmpty();
    assertThat(webhook(vwc, "status.keyward.io").getMatchConditions()).isNullOrEmpty();
  }

  @Test
  void failurePolicyIgnoreOpensCreatesAndUpdatesButNeverClosesStatus() {
    ValidatingWebhookConfiguration vwc =
        configuration(Chart.render(NS, "1.30.0", Map.of("webhook.failurePolicy", "Ignore")));
    assertThat(vwc.getWebhooks())
        .extracting(ValidatingWebhook::getFailurePolicy)
        .containsOnly("Ignore");
  }

  @Test
  void threeWebhooksOnKeywardsKindsThatNeverSeeADeletion() {
    ValidatingWebhookConfiguration vwc = configuration(Chart.render(NS, "1.30.0", Map.of()));
    assertThat(vwc.getMetadata().getName()).isEqualTo("keyward");
    assertThat(vwc.getWebhooks())
        .extracting(ValidatingWebhook::getName)
        .containsExactly("create.keyward.io", "update.keyward.io", "status.keyward.io");
    assertThat(operationsAndResources(webhook(vwc, "create.keyward.io")))
        .containsExactly("CREATE apikeys", "CREATE apiusers");
    assertThat(operationsAndResources(webhook(vwc, "update.keyward.io")))
        .containsExactly("UPDATE apikeys", "UPDATE apiusers");
    assertThat(operationsAndResources(webhook(vwc, "status.keyward.io")))
        .containsExactly("UPDATE apikeys/status", "UPDATE apiusers/status");
    for (ValidatingWebhook w : vwc.getWebhooks()) {
      assertThat(w.getSideEffects()).isEqualTo("None");
      assertThat(w.getAdmissionReviewVersions()).containsExactly("v1");
      assertThat(w.getTimeoutSeconds()).isEqualTo(10);
      // ApiKeys live in the tenants' namespaces: none may be left out.
      assertThat(w.getNamespaceSelector()).isNull();
      assertThat(w.getObjectSelector()).isNull();
      for (RuleWithOperations r : w.getRules()) {
        assertThat(r.getApiGroups()).containsExactly("keyward.io");
        assertThat(r.getApiVersions()).containsExactly("v1alpha1");
        // apiusers is cluster-scoped: "Namespaced" would never match it.
        assertThat(r.getScope()).isEqualTo("*");
        assertThat(r.getOperations()).doesNotContain("DELETE", "*", "CONNECT");
      }
      // Operator mode: the operator writes the caBundle; the chart must not (an upgrade would
      // blank it).
      assertThat(w.getClientConfig().getCaBundle()).isNull();
      assertThat(w.getClientConfig().getUrl()).isNull();
    }
    assertThat(vwc.getMetadata().getAnnotations()).isNullOrEmpty();
    assertThat(Chart.render(NS, "1.30.0", Map.of("webhook.timeoutSeconds", 5)))
        .filteredOn(ValidatingWebhookConfiguration.class::isInstance)
        .flatExtracting(o -> ((ValidatingWebhookConfiguration) o).getWebhooks())
        .extracting(ValidatingWebhook::getTimeoutSeconds)
        .containsOnly(5);
  }

  @ParameterizedTest
  @CsvSource({"9443", "10443"})
  void theApiServerReachesTheWebhookWhereTheOperatorServesIt(int port) {
    List<HasMetadata> objects = Chart.render(NS, Map.of("webhook.port", port));
    ValidatingWebhookConfiguration vwc = configuration(objects);
    Service service = service(objects, "keyward-webhook");
    Deployment d = Chart.one(objects, Deployment.class);
    Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    Map<String, String> env = env(c);
    for (ValidatingWebhook w : vwc.getWebhooks()) {
      ServiceReference ref = w.getClientConfig().getService();
      assertThat(ref.getName()).isEqualTo(service.getMetadata().getName());
      assertThat(ref.getNamespace()).isEqualTo(NS).isEqualTo(service.getMetadata().getNamespace());
      assertThat(ref.getPort()).isEqualTo(443);
      assertThat(ref.getPath()).isEqualTo("/validate");
    }
    ServicePort https = service.getSpec().getPorts().get(0);
    assertThat(service.getSpec().getPorts()).hasSize(1);
    assertThat(https.getPort()).isEqualTo(443);
    ContainerPort webhookPort =
        c.getPorts().stream()
            .filter(p -> p.getName().equals(https.getTargetPort().getStrVal()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no container port " + https.getTargetPort()));
    assertThat(webhookPort.getContainerPort()).isEqualTo(port);
    // The Service selects the operator's pods (every replica serves), not the verifier's.
    assertThat(service.getSpec().getSelector())
        .isEqualTo(d.getSpec().getSelector().getMatchLabels());
    assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(service.getSpec().getSelector());
    // What the chart names is what the operator serves, keeps and believes.
    assertThat(env)
        .containsEntry("KEYWARD_ADMISSION_ENABLED", "true")
        .containsEntry("KEYWARD_ADMISSION_PORT", Integer.toString(port))
        .containsEntry("KEYWARD_ADMISSION_CERTIFICATES", "Operator")
        .containsEntry("KEYWARD_ADMISSION_SERVICE_NAME", service.getMetadata().getName())
        .containsEntry("KEYWARD_ADMISSION_WEBHOOK_CONFIGURATION_NAME", vwc.getMetadata().getName())
        .containsEntry("KEYWARD_ADMISSION_SECRET_NAME", "keyward-webhook-tls")
        .containsEntry(
            "KEYWARD_ADMISSION_OPERATOR_USER",
            "system:serviceaccount:ops:"
                + d.getSpec().getTemplate().getSpec().getServiceAccountName())
        .containsEntry("KEYWARD_ADMISSION_VERIFIER_USERS", "");
    assertThat(env.get("KEYWARD_ADMISSION_OPERATOR_USER")).isEqualTo(SA);
    // The readiness probe is still the operator's /readyz on the metrics port.
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(c.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("metrics");
  }

  @Test
  void theIdentitiesWhoseStatusWritesPassAreTheChartsServiceAccounts() {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("serviceAccount.name", "keyward-op");
    values.put("verifier.enabled", true);
    values.put("verifier.config.proxy.upstream", "http://trading-api.trading:8080");
    List<HasMetadata> objects = Chart.render(NS, values);
    Map<String, Deployment> deployments =
        Chart.all(objects, Deployment.class).stream()
            .collect(Collectors.toMap(d -> d.getMetadata().getName(), d -> d));
    Map<String, String> env =
        env(deployments.get("keyward").getSpec().getTemplate().getSpec().getContainers().get(0));
    assertThat(env)
        .containsEntry("KEYWARD_ADMISSION_OPERATOR_USER", "system:serviceaccount:ops:keyward-op")
        .containsEntry(
            "KEYWARD_ADMISSION_VERIFIER_USERS",
            "system:serviceaccount:ops:"
                + deployments
                    .get("keyward-verifier")
                    .getSpec()
                    .getTemplate()
                    .getSpec()
                    .getServiceAccountName());
  }

  /** Operator mode, all namespaces: what the webhook adds to the operator's rights, exactly. */
  @Test
  void theOperatorMayRenewOnlyItsOwnSecretAndCaBundle() {
    List<HasMetadata> objects = Chart.render(NS, Map.of());
    Set<String> grants = grants(objects);
    assertThat(filter(grants, "admissionregistration.k8s.io"))
        .containsExactlyInAnyOrder(
            "* admissionregistration.k8s.io/validatingwebhookconfigurations get",
            "* admissionregistration.k8s.io/validatingwebhookconfigurations list",
            "* admissionregistration.k8s.io/validatingwebhookconfigurations watch",
            "* admissionregistration.k8s.io/validatingwebhookconfigurations[keyward] patch");
    // The Secret: read, watched and created through the key Secrets' cluster-wide rule, updated
    // in that one only (update of any Secret the key Secrets' rule grants already).
    assertThat(filter(grants, "/secrets"))
        .containsExactlyInAnyOrder(
            "* /secrets get",
            "* /secrets list",
            "* /secrets watch",
            "* /secrets create",
            "* /secrets update",
            "* /secrets delete",
            "ops /secrets[keyward-webhook-tls] update");
    Role role = role(objects, NS, "keyward-webhook");
    assertThat(role.getRules())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getResources()).containsExactly("secrets");
              assertThat(r.getResourceNames()).containsExactly("keyward-webhook-tls");
              assertThat(r.getVerbs()).containsExactly("update");
            });
    // Nothing on admission reviews or policies: the API server calls the webhook.
    assertThat(grants).noneMatch(g -> g.contains("admission.k8s.io/"));
  }

  /**
   * Operator mode, namespaced: in the release namespace the Secrets rule of the enrolment Role
   * reads and creates, and only the webhook's Secret may be changed.
   */
  @Test
  void namespacedTheOperatorChangesNoSecretOfTheReleaseNamespaceButTheWebhooks() {
    List<HasMetadata> objects =
        Chart.render(NS, Map.of("config.operator.watchNamespaces", "team-a"));
    Set<String> grants = grants(objects);
    assertThat(filter(grants, "ops /secrets"))
        .containsExactlyInAnyOrder(
            "ops /secrets get",
            "ops /secrets list",
            "ops /secrets watch",
            "ops /secrets create",
            "ops /secrets delete",
            "ops /secrets[keyward-webhook-tls] update");
    assertThat(filter(grants, "* /secrets")).isEmpty();
    assertThat(filter(grants, "admissionregistration.k8s.io"))
        .containsExactlyInAnyOrder(
            "* admissionregistration.k8s.io/validatingwebhookconfigurations get",
            "* admissionregistration.k8s.io/validatingwebhookconfigurations list",
            "* admissionregistration.k8s.io/validatingwebhookconfigurations watch",
            "* admissionregistration.k8s.io/validatingwebhookconfigurations[keyward] patch");
  }

  @Test
  void certManagerIssuesTheServingCertificateAndInjectsTheCaBundle() {
    List<HasMetadata> objects =
        Chart.render(NS, "1.30.0", Map.of("webhook.certificates", "CertManager"));
    ValidatingWebhookConfiguration vwc = configuration(objects);
    assertThat(vwc.getMetadata().getAnnotations())
        .containsExactly(Map.entry("cert-manager.io/inject-ca-from", "ops/keyward-webhook"));
    assertThat(vwc.getWebhooks()).allMatch(w -> w.getClientConfig().getCaBundle() == null);
    Map<String, String> env =
        env(
            Chart.one(objects, Deployment.class)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0));
    assertThat(env).containsEntry("KEYWARD_ADMISSION_CERTIFICATES", "CertManager");

    GenericKubernetesResource serving = certManager(objects, "Certificate", "keyward-webhook");
    Map<String, Object> spec = spec(serving);
    assertThat(spec.get("secretName")).isEqualTo(env.get("KEYWARD_ADMISSION_SECRET_NAME"));
    assertThat(spec.get("dnsNames"))
        .isEqualTo(
            List.of(
                "keyward-webhook",
                "keyward-webhook.ops",
                "keyward-webhook.ops.svc",
                "keyward-webhook.ops.svc.cluster.local"));
    assertThat(spec).doesNotContainKey("ipAddresses");
    assertThat(spec)
        .containsEntry("duration", "2160h")
        .containsEntry("renewBefore", "720h")
        .doesNotContainEntry("isCA", true);
    // The chain cert-manager's docs bootstrap for a webhook: self-signed -> CA -> serving.
    Map<?, ?> servingIssuer = (Map<?, ?>) spec.get("issuerRef");
    assertThat(servingIssuer.get("kind")).isEqualTo("Issuer");
    Map<String, Object> caIssuer =
        spec(certManager(objects, "Issuer", (String) servingIssuer.get("name")));
    String caSecret = (String) ((Map<?, ?>) caIssuer.get("ca")).get("secretName");
    GenericKubernetesResource ca = certManager(objects, "Certificate", "keyward-webhook-ca");
    assertThat(spec(ca)).containsEntry("isCA", true).containsEntry("secretName", caSecret);
    assertThat(spec(ca).get("duration")).isEqualTo("8760h");
    Map<?, ?> caIssuerRef = (Map<?, ?>) spec(ca).get("issuerRef");
    assertThat(spec(certManager(objects, "Issuer", (String) caIssuerRef.get("name"))))
        .containsKey("selfSigned");
    assertThat(objects)
        .filteredOn(o -> o.getApiVersion().equals("cert-manager.io/v1"))
        .allMatch(o -> NS.equals(o.getMetadata().getNamespace()))
        .hasSize(4);

    // cert-manager writes the Secret and the caBundle: the operator may change neither.
    Set<String> grants = grants(objects);
    assertThat(filter(grants, "admissionregistration.k8s.io")).isEmpty();
    assertThat(filter(grants, "/secrets")).noneMatch(g -> g.contains("keyward-webhook-tls"));
    assertThat(filter(grants, "/secrets")).noneMatch(g -> g.endsWith(" patch"));
    assertThat(Chart.all(objects, Role.class))
        .noneMatch(r -> r.getMetadata().getName().equals("keyward-webhook"));
    List<HasMetadata> namespaced =
        Chart.render(
            NS,
            Map.of("webhook.certificates", "CertManager", "config.operator.watchNamespaces", "a"));
    assertThat(filter(grants(namespaced), "ops /secrets"))
        .noneMatch(g -> g.endsWith(" update") || g.endsWith(" patch"));
    assertThat(filter(grants(namespaced), "ops /secrets"))
        .contains("ops /secrets get", "ops /secrets list", "ops /secrets watch");
  }

  @Test
  void certManagerWithAnIssuerOfYoursAndExtraNames() {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("webhook.certificates", "CertManager");
    values.put("webhook.certManager.issuerRef.name", "corp-ca");
    values.put("webhook.certManager.issuerRef.kind", "ClusterIssuer");
    values.put("config.admission.extraSubjectNames[0]", "webhook.example.com");
    values.put("config.admission.extraSubjectNames[1]", "10.0.0.7");
    values.put("config.admission.extraSubjectNames[2]", "fd00::7");
    List<HasMetadata> objects = Chart.render(NS, values);
    assertThat(objects)
        .filteredOn(o -> o.getApiVersion().equals("cert-manager.io/v1"))
        .extracting(o -> o.getKind() + "/" + o.getMetadata().getName())
        .containsExactly("Certificate/keyward-webhook");
    Map<String, Object> spec = spec(certManager(objects, "Certificate", "keyward-webhook"));
    assertThat(spec.get("issuerRef"))
        .isEqualTo(Map.of("group", "cert-manager.io", "kind", "ClusterIssuer", "name", "corp-ca"));
    assertThat(spec.get("dnsNames"))
        .isEqualTo(
            List.of(
                "keyward-webhook",
                "keyward-webhook.ops",
                "keyward-webhook.ops.svc",
                "keyward-webhook.ops.svc.cluster.local",
                "webhook.example.com"));
    assertThat(spec.get("ipAddresses")).isEqualTo(List.of("10.0.0.7", "fd00::7"));
  }

  @Test
  void disabledRendersNoneOfItAndTellsTheOperator() {
    List<HasMetadata> objects = Chart.render(NS, "1.30.0", Map.of("webhook.enabled", false));
    assertThat(Chart.all(objects, ValidatingWebhookConfiguration.class)).isEmpty();
    assertThat(objects).noneMatch(o -> o.getApiVersion().startsWith("cert-manager.io"));
    assertThat(Chart.all(objects, Service.class))
        .extracting(s -> s.getMetadata().getName())
        .containsExactly("keyward-metrics");
    Container c =
        Chart.one(objects, Deployment.class)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    assertThat(c.getPorts()).extracting(ContainerPort::getName).containsExactly("metrics");
    assertThat(env(c).entrySet())
        .filteredOn(e -> e.getKey().startsWith("KEYWARD_ADMISSION_"))
        .containsExactly(Map.entry("KEYWARD_ADMISSION_ENABLED", "false"));
    assertThat(grants(objects))
        .noneMatch(g -> g.contains("admissionregistration") || g.contains("keyward-webhook-tls"));
    assertThat(Chart.all(objects, Role.class)).isEmpty();
    List<HasMetadata> disabledCertManager =
        Chart.render(NS, Map.of("webhook.enabled", false, "webhook.certificates", "CertManager"));
    assertThat(disabledCertManager).noneMatch(o -> o.getApiVersion().startsWith("cert-manager"));
  }

  @Test
  void theSchemaRefusesBadWebhookValues() {
    assertThatThrownBy(() -> Chart.render(NS, Map.of("webhook.failurePolicy", "Maybe")))
        .hasMessageContaining("failurePolicy");
    assertThatThrownBy(() -> Chart.render(NS, Map.of("webhook.certificates", "SelfSigned")))
        .hasMessageContaining("certificates");
    assertThatThrownBy(() -> Chart.render(NS, Map.of("webhook.timeoutSeconds", 31)))
        .hasMessageContaining("timeoutSeconds");
    assertThatThrownBy(() -> Chart.render(NS, Map.of("webhook.port", 0)))
        .hasMessageContaining("port");
    assertThatThrownBy(() -> Chart.render(NS, Map.of("webhook.namespaceSelector", "x")))
        .hasMessageContaining("namespaceSelector");
    // cert-manager takes Go durations, not the operator's 90d.
    assertThatThrownBy(() -> Chart.render(NS, Map.of("webhook.certManager.duration", "90d")))
        .hasMessageContaining("duration");
    assertThatThrownBy(
            () -> Chart.render(NS, Map.of("webhook.certManager.issuerRef.kind", "ClusterIssuer")))
        .hasMessageContaining("issuerRef");
    // The settings the chart makes from `webhook` have one place: not config.admission.
    assertThatThrownBy(() -> Chart.render(NS, Map.of("config.admission.port", 9443)))
        .hasMessageContaining("port");
    assertThatThrownBy(() -> Chart.render(NS, Map.of("config.admission.caValidity", "a year")))
        .hasMessageContaining("caValidity");
  }

  private static ValidatingWebhookConfiguration configuration(List<HasMetadata> objects) {
    return Chart.one(objects, ValidatingWebhookConfiguration.class);
  }

  private static ValidatingWebhook webhook(ValidatingWebhookConfiguration vwc, String name) {
    return vwc.getWebhooks().stream()
        .filter(w -> w.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no webhook " + name));
  }

  private static List<String> operationsAndResources(ValidatingWebhook w) {
    List<String> out = new ArrayList<>();
    for (RuleWithOperations r : w.getRules()) {
      for (String op : r.getOperations()) {
        for (String res : r.getResources()) {
          out.add(op + " " + res);
        }
      }
    }
    return out;
  }

  private static Service service(List<HasMetadata> objects, String name) {
    return Chart.all(objects, Service.class).stream()
        .filter(s -> s.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Service " + name));
  }

  private static Role role(List<HasMetadata> objects, String ns, String name) {
    return Chart.all(objects, Role.class).stream()
        .filter(r -> r.getMetadata().getName().equals(name))
        .filter(r -> r.getMetadata().getNamespace().equals(ns))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Role " + ns + "/" + name));
  }

  private static GenericKubernetesResource certManager(
      List<HasMetadata> objects, String kind, String name) {
    return objects.stream()
        .filter(o -> o.getApiVersion().equals("cert-manager.io/v1"))
        .filter(o -> o.getKind().equals(kind) && o.getMetadata().getName().equals(name))
        .map(GenericKubernetesResource.class::cast)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource o) {
    return (Map<String, Object>) o.getAdditionalProperties().get("spec");
  }

  /**
   * Every grant to the operator's ServiceAccount as "{namespace or *} group/resource[names] verb":
   * a ClusterRole's through a ClusterRoleBinding everywhere, a Role's in its namespace.
   */
  private static Set<String> grants(List<HasMetadata> objects) {
    Set<String> out = new TreeSet<>();
    for (HasMetadata o : objects) {
      List<Subject> subjects;
      List<PolicyRule> rules;
      String scope;
      if (o instanceof ClusterRoleBinding b) {
        subjects = b.getSubjects();
        rules = named(objects, ClusterRole.class, null, b.getRoleRef().getName()).getRules();
        scope = "*";
      } else if (o instanceof RoleBinding b) {
        subjects = b.getSubjects();
        scope = b.getMetadata().getNamespace();
        rules = named(objects, Role.class, scope, b.getRoleRef().getName()).getRules();
      } else {
        continue;
      }
      boolean operator =
          subjects.stream()
              .anyMatch(
                  s ->
                      "ServiceAccount".equals(s.getKind())
                          && SA.equals(
                              "system:serviceaccount:" + s.getNamespace() + ":" + s.getName()));
      if (!operator) {
        continue;
      }
      for (PolicyRule r : rules) {
        String names =
            r.getResourceNames() == null || r.getResourceNames().isEmpty()
                ? ""
                : r.getResourceNames().toString().replace(" ", "");
        for (String group : r.getApiGroups()) {
          for (String resource : r.getResources()) {
            for (String verb : r.getVerbs()) {
              out.add(scope + " " + group + "/" + resource + names + " " + verb);
            }
          }
        }
      }
    }
    return out;
  }

  private static <T extends HasMetadata> T named(
      List<HasMetadata> objects, Class<T> kind, String ns, String name) {
    return Chart.all(objects, kind).stream()
        .filter(o -> o.getMetadata().getName().equals(name))
        .filter(o -> ns == null || ns.equals(o.getMetadata().getNamespace()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " " + name));
  }

  private static List<String> filter(Set<String> grants, String part) {
    return grants.stream().filter(g -> g.contains(part)).toList();
  }

  private static Map<String, String> env(Container c) {
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar e : c.getEnv()) {
      if (e.getValue() != null) {
        env.put(e.getName(), e.getValue());
      }
    }
    return env;
  }
}
