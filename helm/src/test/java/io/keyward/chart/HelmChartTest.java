package io.keyward.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@code helm lint --strict} and {@code helm template} of helm/keyward, through helm-java. */
class HelmChartTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void lintsCleanInStrictMode() {
    LintResult result = new Helm(Chart.dir()).lint().strict().call();
    assertThat(result.isFailed()).as("%s", result.getMessages()).isFalse();
    assertThat(result.getMessages())
        .noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
  }

  @Test
  void defaultsRenderOneRestrictedReplicaWithoutLeaderElection() throws Exception {
    List<HasMetadata> objects = Chart.render("keyward-system", Map.of());
    Deployment d = Chart.one(objects, Deployment.class);
    assertThat(d.getSpec().getReplicas()).isEqualTo(1);
    var pod = d.getSpec().getTemplate().getSpec();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    Container c = pod.getContainers().get(0);
    assertThat(c.getImage()).isEqualTo("ghcr.io/keyward/keyward-operator:0.1.0");
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(env(c)).containsEntry("KEYWARD_OPERATOR_LEADER_ELECTION_ENABLED", "false");
    assertThat(env(c)).containsEntry("KEYWARD_OPERATOR_METRICS_PORT", "8080");
    assertThat(Chart.all(objects, Role.class))
        .as("no Lease rights for one replica")
        .noneMatch(r -> resources(r.getRules()).contains("leases"));
    Service metrics =
        Chart.all(objects, Service.class).stream()
            .filter(x -> x.getMetadata().getName().equals("keyward-metrics"))
            .findFirst()
            .orElseThrow();
    assertThat(metrics.getSpec().getPorts().get(0).getPort()).isEqualTo(8080);
    assertThat(Chart.byKind(objects, "ServiceMonitor")).isEmpty();
    ServiceAccount sa = Chart.one(objects, ServiceAccount.class);
    ClusterRoleBinding binding = Chart.one(objects, ClusterRoleBinding.class);
    assertThat(binding.getSubjects().get(0).getName()).isEqualTo(sa.getMetadata().getName());
    assertThat(binding.getSubjects().get(0).getNamespace()).isEqualTo("keyward-system");
    assertThat(binding.getRoleRef().getName()).isEqualTo("keyward");
  }

  @Test
  void watchingAllNamespacesTheOperatorsRulesAreOneClusterRole() {
    List<HasMetadata> objects = Chart.render("keyward-system", Map.of());
    ClusterRole role = clusterRole(objects, "keyward");
    assertThat(resources(role.getRules()))
        .containsExactlyInAnyOrder(
            "apiusers",
            "apiusers/status",
            "apikeys",
            "apikeys/status",
            "secrets",
            "namespaces",
            "events",
            "deployments",
            "statefulsets",
            "daemonsets",
            // The webhook's caBundle (WebhookChartTest): read, and written in one by name.
            "validatingwebhookconfigurations",
            "validatingwebhookconfigurations");
    assertThat(verbs(role.getRules(), "deployments")).containsExactly("get", "patch");
    // Namespaced only the renewal of the webhook's own Secret, which a ClusterRole cannot narrow
    // to the release namespace.
    assertThat(Chart.all(objects, Role.class))
        .extracting(r -> r.getMetadata().getNamespace() + "/" + r.getMetadata().getName())
        .containsExactly("keyward-system/keyward-webhook");
    assertThat(Chart.all(objects, RoleBinding.class))
        .extracting(b -> b.getRoleRef().getName())
        .containsExactly("keyward-webhook");
  }

  @Test
  void watchNamespacesGrantsTheKeysRulesOnlyInThoseNamespaces() {
    List<HasMetadata> objects =
        Chart.render("ops", Map.of("config.operator.watchNamespaces", "team-a,team-b"));
    String sa = Chart.one(objects, ServiceAccount.class).getMetadata().getName();
    // Cluster-wide only what is cluster-scoped: the ApiUsers.
    ClusterRole cluster = clusterRole(objects, "keyward");
    assertThat(resources(cluster.getRules()))
        .containsExactlyInAnyOrder(
            "apiusers",
            "apiusers/status",
            "validatingwebhookconfigurations",
            "validatingwebhookconfigurations");
    assertThat(Chart.one(objects, ClusterRoleBinding.class).getRoleRef().getName())
        .isEqualTo("keyward");
    Map<String, Role> roles =
        Chart.all(objects, Role.class).stream()
            .collect(
                Collectors.toMap(
                    r -> r.getMetadata().getNamespace() + "/" + r.getMetadata().getName(), r -> r));
    assertThat(roles.keySet())
        .containsExactlyInAnyOrder(
            "team-a/keyward",
            "team-b/keyward",
            "ops/keyward-enrolment",
            "ops/keyward-webhook",
            "default/keyward-apiuser-events");
    for (String ns : List.of("team-a", "team-b")) {
      assertThat(resources(roles.get(ns + "/keyward").getRules()))
          .containsExactlyInAnyOrder(
              "apikeys",
              "apikeys/status",
              "secrets",
              "namespaces",
              "events",
              "deployments",
              "statefulsets",
              "daemonsets");
    }
    assertThat(resources(roles.get("ops/keyward-enrolment").getRules())).containsExactly("secrets");
    assertThat(verbs(roles.get("ops/keyward-enrolment").getRules(), "secrets"))
        .doesNotContain("update");
    assertThat(resources(roles.get("default/keyward-apiuser-events").getRules()))
        .containsExactly("events");
    // Every Role is bound, in its namespace, to the operator's ServiceAccount and nothing else.
    List<RoleBinding> bindings = Chart.all(objects, RoleBinding.class);
    assertThat(bindings).hasSize(roles.size());
    for (RoleBinding b : bindings) {
      assertThat(roles)
          .containsKey(b.getMetadata().getNamespace() + "/" + b.getRoleRef().getName());
      assertThat(b.getRoleRef().getKind()).isEqualTo("Role");
      assertThat(b.getSubjects())
          .singleElement()
          .satisfies(
              s -> {
                assertThat(s.getName()).isEqualTo(sa);
                assertThat(s.getNamespace()).isEqualTo("ops");
              });
    }
  }

  @Test
  void tenantRolesGrantApiKeysOnlyAndAggregateIntoTheBuiltInRoles() {
    List<HasMetadata> objects = Chart.render("ops", Map.of());
    ClusterRole editor = clusterRole(objects, "keyward-tenant-editor");
    assertThat(editor.getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-admin", "true")
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-edit", "true")
        .doesNotContainKey("rbac.authorization.k8s.io/aggregate-to-view");
    assertThat(resources(editor.getRules())).containsExactly("apikeys");
    assertThat(editor.getRules()).allMatch(r -> r.getApiGroups().equals(List.of("keyward.io")));
    assertThat(verbs(editor.getRules(), "apikeys"))
        .containsExactlyInAnyOrder("get", "list", "watch", "create", "update", "patch", "delete");
    ClusterRole viewer = clusterRole(objects, "keyward-tenant-viewer");
    assertThat(viewer.getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-view", "true")
        .doesNotContainKeys(
            "rbac.authorization.k8s.io/aggregate-to-admin",
            "rbac.authorization.k8s.io/aggregate-to-edit");
    assertThat(resources(viewer.getRules())).containsExactly("apikeys");
    assertThat(verbs(viewer.getRules(), "apikeys"))
        .containsExactlyInAnyOrder("get", "list", "watch");
    // Nobody is bound to them by the chart: the built-in roles pick them up.
    assertThat(Chart.all(objects, ClusterRoleBinding.class))
        .extracting(b -> b.getRoleRef().getName())
        .containsExactly("keyward");

    List<HasMetadata> without = Chart.render("ops", Map.of("rbac.tenantRoles.create", false));
    assertThat(Chart.all(without, ClusterRole.class))
        .extracting(r -> r.getMetadata().getName())
        .containsExactly("keyward");
    List<HasMetadata> none = Chart.render("ops", Map.of("rbac.create", false));
    assertThat(none)
        .noneMatch(
            o ->
                List.of("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
                    .contains(o.getKind()));
  }

  private static ClusterRole clusterRole(List<HasMetadata> objects, String name) {
    return Chart.all(objects, ClusterRole.class).stream()
        .filter(r -> r.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no ClusterRole " + name));
  }

  private static List<String> resources(List<PolicyRule> rules) {
    return rules.stream().flatMap(r -> r.getResources().stream()).toList();
  }

  private static List<String> verbs(List<PolicyRule> rules, String resource) {
    return rules.stream()
        .filter(r -> r.getResources().contains(resource))
        .flatMap(r -> r.getVerbs().stream())
        .toList();
  }

  @Test
  void theRenderedConfigFileIsTheOneTheOperatorReadsAndHoldsOnlyItsSettings() throws Exception {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("config.limits.keysPerUser", 7);
    values.put("config.defaults.validity", "30d");
    values.put("config.operator.watchNamespaces", "team-a,team-b");
    List<HasMetadata> objects = Chart.render("ops", values);
    Map<String, String> file = configFile(objects);
    assertThat(file)
        .containsEntry("limits.keysPerUser", "7")
        .containsEntry("defaults.validity", "30d")
        .containsEntry("operator.watchNamespaces", "team-a,team-b");
    // The operator refuses to start on a setting it does not know.
    List<String> known =
        OperatorSettings.all().stream().map(OperatorSettings.Setting::path).toList();
    assertThat(known).containsAll(file.keySet());
    // The file the operator is told to read is the one the ConfigMap is mounted as.
    Deployment d = Chart.one(objects, Deployment.class);
    Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    String volume =
        d.getSpec().getTemplate().getSpec().getVolumes().stream()
            .filter(
                v ->
                    v.getConfigMap() != null
                        && v.getConfigMap()
                            .getName()
                            .equals(Chart.one(objects, ConfigMap.class).getMetadata().getName()))
            .findFirst()
            .orElseThrow()
            .getName();
    VolumeMount mount =
        c.getVolumeMounts().stream()
            .filter(m -> m.getName().equals(volume))
            .findFirst()
            .orElseThrow();
    assertThat(env(c)).containsEntry("KEYWARD_CONFIG_FILE", mount.getMountPath() + "/keyward.yaml");
  }

  @Test
  void theChartsDefaultsAreTheOperatorsDefaults() throws Exception {
    Map<String, String> expected = new LinkedHashMap<>();
    for (OperatorSettings.Setting s : OperatorSettings.all()) {
      if (s.fromConfigValues()) {
        expected.put(s.path(), s.defaultValue());
      }
    }
    assertThat(expected).isNotEmpty();
    assertThat(configFile(Chart.render("keyward-system", Map.of()))).isEqualTo(expected);
    // The settings the chart sets itself, from the release and its other values.
    Container c =
        Chart.one(Chart.render("keyward-system", Map.of()), Deployment.class)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    JsonNode chartValues = YAML.readTree(Chart.dir().resolve("values.yaml").toFile());
    for (OperatorSettings.Setting s : OperatorSettings.all()) {
      if (s.fromConfigValues()) {
        continue;
      }
      assertThat(c.getEnv())
          .as("%s sets %s", s.helm(), s.env())
          .anyMatch(e -> e.getName().equals(s.env()));
      if (s.helm().matches("[a-z][A-Za-z.]*")) {
        assertThat(chartValues.at("/" + s.helm().replace(".", "/")).asText())
            .as("values.yaml %s", s.helm())
            .isEqualTo(s.defaultValue());
      }
    }
  }

  @Test
  void moreReplicasElectALeaderAndOptionalPartsAppear() throws Exception {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("replicas", 3);
    values.put("metrics.serviceMonitor.enabled", true);
    values.put("grafanaDashboard.enabled", true);
    values.put("image.tag", "1.2.3");
    List<HasMetadata> objects = Chart.render("ops", values);
    Deployment d = Chart.one(objects, Deployment.class);
    assertThat(d.getSpec().getReplicas()).isEqualTo(3);
    Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(env(c)).containsEntry("KEYWARD_OPERATOR_LEADER_ELECTION_ENABLED", "true");
    assertThat(c.getImage()).endsWith(":1.2.3");
    Role lease =
        Chart.all(objects, Role.class).stream()
            .filter(r -> r.getMetadata().getName().equals("keyward-leader-election"))
            .findFirst()
            .orElseThrow();
    assertThat(lease.getMetadata().getNamespace()).isEqualTo("ops");
    assertThat(lease.getRules().get(0).getResources()).containsExactly("leases");
    assertThat(Chart.byKind(objects, "ServiceMonitor")).isPresent();
    ConfigMap dashboard =
        Chart.all(objects, ConfigMap.class).stream()
            .filter(m -> m.getData().containsKey("keyward.json"))
            .findFirst()
            .orElseThrow();
    assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    JsonNode json = JSON.readTree(dashboard.getData().get("keyward.json"));
    assertThat(json.get("panels")).hasSizeGreaterThanOrEqualTo(5);
  }

  @Test
  void theSchemaRefusesBadValues() {
    assertThatThrownBy(() -> Chart.render("ops", Map.of("replicas", 0)))
        .hasMessageContaining("replicas");
    assertThatThrownBy(() -> Chart.render("ops", Map.of("config.limits.minValidity", "an hour")))
        .hasMessageContaining("minValidity");
    assertThatThrownBy(() -> Chart.render("ops", Map.of("config.limits.keysPerUsr", 3)))
        .hasMessageContaining("keysPerUsr");
    assertThatThrownBy(() -> Chart.render("ops", Map.of("rbac.tenantRoles.create", "yes")))
        .hasMessageContaining("tenantRoles");
    assertThatThrownBy(
            () -> Chart.render("ops", Map.of("config.operator.watchNamespaces", "Team A")))
        .hasMessageContaining("watchNamespaces");
  }

  @Test
  void theSchemaCoversEveryOperatorSettingTheChartDoesNotSetItself() throws Exception {
    JsonNode config =
        JSON.readTree(Chart.dir().resolve("values.schema.json").toFile())
            .at("/properties/config/properties");
    List<String> missing =
        OperatorSettings.all().stream()
            .filter(OperatorSettings.Setting::fromConfigValues)
            .map(OperatorSettings.Setting::path)
            .filter(p -> config.at("/" + p.replace(".", "/properties/")).isMissingNode())
            .toList();
    assertThat(missing).isEmpty();
  }

  /** The operator's configuration file as the chart renders it, by setting path. */
  private static Map<String, String> configFile(List<HasMetadata> objects) throws Exception {
    ConfigMap cm =
        Chart.all(objects, ConfigMap.class).stream()
            .filter(m -> m.getData().containsKey("keyward.yaml"))
            .findFirst()
            .orElseThrow();
    return OperatorSettings.flatten(YAML.readTree(cm.getData().get("keyward.yaml")));
  }

  private static Map<String, String> env(Container c) {
    return c.getEnv().stream()
        .filter(e -> e.getValue() != null)
        .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
  }
}
