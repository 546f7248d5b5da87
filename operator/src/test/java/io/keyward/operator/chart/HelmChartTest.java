package io.keyward.operator.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.keyward.operator.config.ConfigOption;
import io.keyward.operator.config.KeywardConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code helm lint --strict} and {@code helm template} of helm/keyward, through helm-java. */
class HelmChartTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Settings the chart sets itself (from the release and other values), not through config. */
  private static final List<String> SET_BY_THE_CHART =
      List.of("operator.namespace", "operator.metricsPort", "operator.leaderElection.enabled");

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
    assertThat(Chart.all(objects, Role.class)).as("no Lease rights for one replica").isEmpty();
    assertThat(Chart.one(objects, Service.class).getSpec().getPorts().get(0).getPort())
        .isEqualTo(8080);
    assertThat(Chart.byKind(objects, "ServiceMonitor")).isEmpty();
    ServiceAccount sa = Chart.one(objects, ServiceAccount.class);
    ClusterRoleBinding binding = Chart.one(objects, ClusterRoleBinding.class);
    assertThat(binding.getSubjects().get(0).getName()).isEqualTo(sa.getMetadata().getName());
    assertThat(binding.getSubjects().get(0).getNamespace()).isEqualTo("keyward-system");
    assertThat(binding.getRoleRef().getName())
        .isEqualTo(Chart.one(objects, ClusterRole.class).getMetadata().getName());
  }

  @Test
  void theRenderedConfigFileIsOneTheOperatorLoads(@TempDir Path dir) throws Exception {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("config.limits.keysPerUser", 7);
    values.put("config.defaults.validity", "30d");
    values.put("config.operator.watchNamespaces", "team-a,team-b");
    List<HasMetadata> objects = Chart.render("ops", values);
    ConfigMap cm = Chart.one(objects, ConfigMap.class);
    Path file = dir.resolve("keyward.yaml");
    Files.writeString(file, cm.getData().get("keyward.yaml"));
    KeywardConfig config =
        KeywardConfig.load(
            Map.of("KEYWARD_CONFIG_FILE", file.toString(), "KEYWARD_OPERATOR_NAMESPACE", "ops"));
    assertThat(config.keysPerUser()).isEqualTo(7);
    assertThat(config.defaultValidity()).isEqualTo(java.time.Duration.ofDays(30));
    assertThat(config.watchNamespaces()).containsExactlyInAnyOrder("team-a", "team-b");
    assertThat(config.operatorNamespace()).isEqualTo("ops");
    // The defaults of values.yaml are the operator's own defaults.
    Path defaults = dir.resolve("defaults.yaml");
    Files.writeString(
        defaults,
        Chart.one(Chart.render("keyward-system", Map.of()), ConfigMap.class)
            .getData()
            .get("keyward.yaml"));
    assertThat(
            KeywardConfig.load(
                Map.of(
                    "KEYWARD_CONFIG_FILE",
                    defaults.toString(),
                    "KEYWARD_OPERATOR_NAMESPACE",
                    "keyward-system")))
        .isEqualTo(KeywardConfig.defaults());
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
    Role lease = Chart.one(objects, Role.class);
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
  }

  @Test
  void theSchemaCoversEveryOperatorSettingTheChartDoesNotSetItself() throws Exception {
    JsonNode config =
        JSON.readTree(Chart.dir().resolve("values.schema.json").toFile())
            .at("/properties/config/properties");
    List<String> missing =
        KeywardConfig.OPTIONS.stream()
            .map(ConfigOption::path)
            .filter(p -> !SET_BY_THE_CHART.contains(p))
            .filter(p -> config.at("/" + p.replace(".", "/properties/")).isMissingNode())
            .toList();
    assertThat(missing).isEmpty();
  }

  private static Map<String, String> env(Container c) {
    return c.getEnv().stream()
        .filter(e -> e.getValue() != null)
        .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
  }
}
