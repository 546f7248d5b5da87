package io.keyward.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The verifier's part of the chart: off by default, read-only RBAC, probes, several replicas. */
class VerifierChartTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final String NAME = "keyward-verifier";

  private static Map<String, Object> enabled() {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("verifier.enabled", true);
    values.put("verifier.config.proxy.upstream", "http://trading-api.trading:8080");
    return values;
  }

  @Test
  void offByDefault() {
    List<HasMetadata> objects = Chart.render("keyward-system", Map.of());
    assertThat(objects)
        .noneMatch(o -> o.getMetadata().getName().startsWith(NAME))
        .noneMatch(o -> o.getKind().equals("PodDisruptionBudget"));
  }

  @Test
  void enabledItRunsSeveralProbedReplicasBehindOneService() {
    List<HasMetadata> objects = Chart.render("keyward-system", enabled());
    Deployment d = verifierDeployment(objects);
    assertThat(d.getSpec().getReplicas()).isEqualTo(2);
    assertThat(d.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo(NAME);
    Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getImage()).startsWith("ghcr.io/keyward/keyward-verifier:");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(c.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("admin");
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    Map<String, String> env = new LinkedHashMap<>();
    c.getEnv().forEach(e -> env.put(e.getName(), e.getValue()));
    assertThat(env)
        .containsEntry("KEYWARD_VERIFIER_LISTEN_PROXY_PORT", "8080")
        .containsEntry("KEYWARD_VERIFIER_LISTEN_EXT_AUTHZ_PORT", "9001")
        .containsEntry("KEYWARD_VERIFIER_LISTEN_ADMIN_PORT", "9090")
        .containsEntry(
            "KEYWARD_VERIFIER_CONFIG_FILE",
            c.getVolumeMounts().stream()
                    .filter(m -> m.getName().equals("config"))
                    .findFirst()
                    .orElseThrow()
                    .getMountPath()
                + "/verifier.yaml");
    Service s =
        Chart.all(objects, Service.class).stream()
            .filter(x -> x.getMetadata().getName().equals(NAME))
            .findFirst()
            .orElseThrow();
    assertThat(s.getSpec().getPorts())
        .extracting(ServicePort::getName)
        .containsExactly("proxy", "grpc-ext-authz", "metrics");
    assertThat(s.getSpec().getSelector())
        .containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
    assertThat(Chart.byKind(objects, "PodDisruptionBudget")).isPresent();
  }

  @Test
  void itsRbacReadsAndWritesNothingButALastUse() {
    ClusterRole role =
        Chart.all(Chart.render("keyward-system", enabled()), ClusterRole.class).stream()
            .filter(r -> r.getMetadata().getName().equals(NAME))
            .findFirst()
            .orElseThrow();
    Map<String, List<String>> verbs = verbs(role.getRules());
    assertThat(verbs)
        .containsOnlyKeys("apiusers", "apikeys", "apikeys/status", "secrets")
        .containsEntry("apiusers", List.of("list", "watch"))
        .containsEntry("apikeys", List.of("get", "list", "watch"))
        .containsEntry("secrets", List.of("list", "watch"))
        .containsEntry("apikeys/status", List.of("patch"));
  }

  @Test
  void watchNamespacesScopesItsKeyAndSecretRulesToThoseNamespaces() {
    Map<String, Object> values = enabled();
    values.put("verifier.config.watchNamespaces", "team-a,team-b");
    List<HasMetadata> objects = Chart.render("keyward-system", values);
    ClusterRole role =
        Chart.all(objects, ClusterRole.class).stream()
            .filter(r -> r.getMetadata().getName().equals(NAME))
            .findFirst()
            .orElseThrow();
    assertThat(verbs(role.getRules())).containsOnlyKeys("apiusers");
    List<Role> roles =
        Chart.all(objects, Role.class).stream()
            .filter(r -> r.getMetadata().getName().equals(NAME))
            .toList();
    assertThat(roles)
        .extracting(r -> r.getMetadata().getNamespace())
        .containsExactly("team-a", "team-b");
    assertThat(verbs(roles.get(0).getRules()))
        .containsOnlyKeys("apikeys", "apikeys/status", "secrets");
  }

  @Test
  void theConfigFileHoldsTheVerifiersSettings() throws Exception {
    Map<String, Object> values = enabled();
    values.put("verifier.config.routes.preset", "binance");
    values.put("verifier.config.proxy.scheme", "binance");
    List<HasMetadata> objects = Chart.render("keyward-system", values);
    ConfigMap cm =
        Chart.all(objects, ConfigMap.class).stream()
            .filter(m -> m.getData().containsKey("verifier.yaml"))
            .findFirst()
            .orElseThrow();
    JsonNode file = YAML.readTree(cm.getData().get("verifier.yaml"));
    assertThat(file.at("/proxy/upstream").asText()).isEqualTo("http://trading-api.trading:8080");
    assertThat(file.at("/routes/preset").asText()).isEqualTo("binance");
    assertThat(file.at("/proxy/scheme").asText()).isEqualTo("binance");
    assertThat(file.has("listen")).as("the chart sets the listen ports itself").isFalse();
  }

  @Test
  void badValuesAreRefusedNamingTheValue() {
    Map<String, Object> noUpstream = new LinkedHashMap<>();
    noUpstream.put("verifier.enabled", true);
    assertThatThrownBy(() -> Chart.render("ops", noUpstream))
        .hasMessageContaining("verifier.config.proxy.upstream");
    Map<String, Object> grpcOnly = new LinkedHashMap<>(noUpstream);
    grpcOnly.put("verifier.proxyPort", 0);
    assertThat(verifierDeployment(Chart.render("ops", grpcOnly))).isNotNull();
    Map<String, Object> badScheme = enabled();
    badScheme.put("verifier.config.proxy.scheme", "kraken");
    assertThatThrownBy(() -> Chart.render("ops", badScheme)).hasMessageContaining("scheme");
    Map<String, Object> badPreset = enabled();
    badPreset.put("verifier.config.routes.preset", "ftx");
    assertThatThrownBy(() -> Chart.render("ops", badPreset)).hasMessageContaining("preset");
  }

  private static Deployment verifierDeployment(List<HasMetadata> objects) {
    return Chart.all(objects, Deployment.class).stream()
        .filter(x -> x.getMetadata().getName().equals(NAME))
        .findFirst()
        .orElseThrow();
  }

  private static Map<String, List<String>> verbs(List<PolicyRule> rules) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (PolicyRule r : rules) {
      for (String res : r.getResources()) {
        out.put(res, r.getVerbs());
      }
    }
    return out;
  }
}
