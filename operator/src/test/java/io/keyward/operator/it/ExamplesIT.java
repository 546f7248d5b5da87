package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.keyward.chart.ArgoHealth;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.issuance.CredentialSecret;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every manifest in examples/ applies to the real API server, and the operator takes each key where
 * the example says: issued for users without MFA, waiting for a code for the MFA user. The Argo CD
 * health check, run on the live objects, agrees.
 */
@ExtendWith(RealCluster.class)
@Order(11)
class ExamplesIT {
  /** Keys that wait for a TOTP code (their user has MFA); every other key is issued. */
  private static final List<String> AWAITING_CODE = List.of("trading-btc/btc-bot");

  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    // The operator's namespace, where the MFA user's enrolment Secret goes.
    RealCluster.namespace("keyward-system");
    operator = RunningOperator.start(Map.of());
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  /**
   * Every metric the chart's Grafana dashboard queries is one the operator serves, with the labels
   * the query groups by (a renamed metric would leave a panel silently empty).
   */
  private static void dashboardQueriesMatchWhatTheOperatorServes() throws Exception {
    com.fasterxml.jackson.databind.JsonNode dashboard =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(io.keyward.chart.Chart.dir().resolve("dashboards/keyward.json").toFile());
    String scrape = operator.metrics().scrape();
    List<String> exprs = new ArrayList<>();
    dashboard
        .get("panels")
        .forEach(p -> p.get("targets").forEach(t -> exprs.add(t.get("expr").asText())));
    assertThat(exprs).hasSizeGreaterThanOrEqualTo(8);
    java.util.regex.Pattern metric =
        java.util.regex.Pattern.compile("\\b((?:keyward|operator_sdk)_[a-z_]+)\\b");
    java.util.regex.Pattern by = java.util.regex.Pattern.compile("by \\(([a-z_, ]+)\\)");
    for (String expr : exprs) {
      java.util.regex.Matcher m = metric.matcher(expr);
      while (m.find()) {
        String name = m.group(1);
        List<String> series =
            scrape
                .lines()
                .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .toList();
        assertThat(series).as("%s (in %s) on /metrics", name, expr).isNotEmpty();
        java.util.regex.Matcher labels = by.matcher(expr);
        while (labels.find()) {
          for (String label : labels.group(1).split(",\\s*")) {
            if (!label.equals("le")) {
              assertThat(series)
                  .as("label %s of %s", label, name)
                  .anyMatch(l -> l.contains(label + "=\""));
            }
          }
        }
      }
    }
  }

  static List<Path> manifests() throws Exception {
    Path dir = ArgoHealth.script().getParent().getParent();
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  @Test
  void everyExampleAppliesAndItsKeysReachTheirPhase() throws Exception {
    List<HasMetadata> keys = new ArrayList<>();
    List<HasMetadata> deployments = new ArrayList<>();
    List<Path> files = manifests();
    assertThat(files).hasSizeGreaterThanOrEqualTo(6);
    for (Path file : files) {
      List<HasMetadata> items;
      try (InputStream in = new FileInputStream(file.toFile())) {
        items = client().load(in).items();
      }
      assertThat(items).as(file.toString()).isNotEmpty();
      for (HasMetadata item : items) {
        // As kubectl apply: create, or update what an earlier file already made (a namespace).
        HasMetadata applied = client().resource(item).createOr(NonDeletingOperation::update);
        // Custom resources come back generic from load(): tell them by kind.
        if ("ApiKey".equals(applied.getKind())) {
          keys.add(applied);
        } else if ("Deployment".equals(applied.getKind())) {
          deployments.add(applied);
        }
      }
    }
    assertThat(keys).hasSizeGreaterThanOrEqualTo(9);
    assertThat(deployments).hasSizeGreaterThanOrEqualTo(3);

    for (HasMetadata k : keys) {
      String ns = k.getMetadata().getNamespace();
      String name = k.getMetadata().getName();
      boolean waits = AWAITING_CODE.contains(ns + "/" + name);
      ApiKey done = awaitKey(ns, name, phase(waits ? "AwaitingVerification" : "Active"));
      assertThat(ArgoHealth.of(done).status())
          .as("Argo CD health of %s/%s", ns, name)
          .isEqualTo(waits ? "Progressing" : "Healthy");
      if (!waits) {
        Secret s =
            await()
                .atMost(WAIT)
                .until(() -> secret(ns, done.getStatus().secretName), x -> x != null);
        String[] names = CredentialSecret.dataKeys(s, "accessKey", "secretKey");
        assertThat(CredentialSecret.data(s, names[0])).contains(done.getStatus().accessKey);
      }
    }
    // A refused code for the MFA user, so the TOTP failure counter exists too.
    Secret enrolment =
        await().atMost(WAIT).until(() -> secret("keyward-system", "bob-totp"), x -> x != null);
    String totpSecret = CredentialSecret.data(enrolment, "secret").orElseThrow();
    annotateUser(
        "bob",
        io.keyward.operator.mfa.CodeVerifier.ANNOTATION,
        wrongCode(totpSecret, operator.clock().instant()));
    await()
        .atMost(WAIT)
        .until(() -> operator.metrics().scrape().contains("keyward_totp_failures_total{"));
    dashboardQueriesMatchWhatTheOperatorServes();
    // The envFrom example's Secret carries the names its Deployment reads.
    Secret env = secret("bots", "env-bot-credentials");
    assertThat(env.getData()).containsKeys("EXCHANGE_API_KEY", "EXCHANGE_API_SECRET");
  }
}
