package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.api.ApiKey;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chart's RBAC with {@code config.operator.watchNamespaces} is exactly enough, and no more than
 * those namespaces: rendered with one watched namespace, an operator configured the same way runs
 * the whole lifecycle there with a token of the chart's ServiceAccount. No request is refused,
 * every rule of every role is used in the namespace it is granted in, and a key in a namespace not
 * watched is never touched (no request reaches that namespace).
 */
@ExtendWith(RealCluster.class)
@Order(9)
class NamespacedRbacIT {
  private static final String OPERATOR_NS = "keyward-nsrbac";
  private static final String WATCHED = "nsrbac-keys";
  private static final String UNWATCHED = "nsrbac-other";
  private static final String USER = "nadia";
  private static final RequestAudit AUDIT = new RequestAudit();

  private static ChartRbac rbac;
  private static RunningOperator operator;

  @BeforeAll
  static void install() {
    RealCluster.namespace(UNWATCHED);
    rbac = ChartRbac.install(OPERATOR_NS, Map.of("config.operator.watchNamespaces", WATCHED));
    Map<String, String> settings = new java.util.HashMap<>(rbac.admissionSettings());
    settings.put("operator.namespace", OPERATOR_NS);
    settings.put("operator.watchNamespaces", WATCHED);
    operator = RunningOperator.start(settings, () -> rbac.operatorClient(AUDIT));
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
  void theWholeLifecycleRunsOnTheNamespacedRolesAndUsesAllOfThem() {
    // The ClusterRole holds only the cluster-scoped ApiUsers; the rest is granted per namespace.
    Set<String> clusterWide =
        rbac.granted().stream()
            .filter(g -> g.namespace().isEmpty())
            .map(g -> g.use().resource())
            .collect(Collectors.toSet());
    assertThat(clusterWide)
        .containsExactlyInAnyOrder(
            "apiusers", "apiusers/status", "validatingwebhookconfigurations");
    assertThat(rbac.granted().stream().map(RequestAudit.Scoped::namespace))
        .containsOnly("", WATCHED, OPERATOR_NS, "default");

    // A key of the same user in a namespace the operator does not watch.
    key(UNWATCHED, "stray-bot", USER, s -> {});
    // Made before the webhook was installed (its user neither exists yet nor allows the
    // namespace): from here on the lifecycle runs through the chart's webhook.
    rbac.installWebhook(operator.admissionPort());

    ChartRbac.lifecycle(operator, OPERATOR_NS, WATCHED, USER);
    ChartRbac.renewWebhookCertificate(operator, OPERATOR_NS);

    assertThat(AUDIT.forbidden()).as("requests refused with 403").isEmpty();
    assertThat(rbac.unused(AUDIT.usedIn(), Set.of()))
        .as(
            "rules the lifecycle never used (remove them): used %s",
            ChartRbac.sorted(AUDIT.usedIn()))
        .isEmpty();
    assertThat(rbac.beyond(AUDIT.usedIn(), RbacIT.GRANTED_TO_EVERYONE)).isEmpty();
    // Nothing across all namespaces but the cluster-scoped ApiUsers (and JOSDK's own check).
    assertThat(
            AUDIT.usedIn().stream()
                .filter(u -> u.namespace().isEmpty())
                .filter(u -> !RbacIT.GRANTED_TO_EVERYONE.contains(u.use()))
                .map(u -> u.use().resource())
                .collect(Collectors.toSet()))
        .containsOnly("apiusers", "apiusers/status", "validatingwebhookconfigurations");

    // The key outside the watched namespaces: never read, never written.
    assertThat(AUDIT.usedIn().stream().map(RequestAudit.Scoped::namespace))
        .doesNotContain(UNWATCHED);
    ApiKey stray = get(UNWATCHED, "stray-bot");
    assertThat(stray.getStatus()).isNull();
    assertThat(stray.getMetadata().getFinalizers()).isEmpty();
    assertThat(secret(UNWATCHED, "stray-bot-credentials")).isNull();
    client().resource(stray).delete();
  }
}
