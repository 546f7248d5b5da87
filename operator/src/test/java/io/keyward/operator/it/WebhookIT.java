package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The admission webhook on the real API server, seen as its users see it: kubectl apply's own error
 * output. The operator serves the webhook on loopback with its own certificate; the
 * ValidatingWebhookConfiguration is the chart's, pointed at that URL (a 1.20 server calls a webhook
 * at a URL; it cannot reach a Service here). Requests come from tenants with tokens of their own;
 * the suite's admin is the operator's own identity.
 */
@ExtendWith(RealCluster.class)
class WebhookIT {
  private static final String OPS = "webhook-ops";
  private static final String NS = "webhook-trading";
  private static final String OTHER = "webhook-other";
  private static final String CONFIG = "keyward-webhook-it";
  private static final String VERIFIER_SA = "keyward-verifier";
  private static final Path REFUSED = findExamples().resolve("refused");

  private static RunningOperator operator;
  private static Kubectl tenant;
  private static KubernetesClient tenantClient;
  private static Kubectl ownerBot;
  private static Kubectl platform;
  private static KubernetesClient verifier;

  @BeforeAll
  static void start() throws Exception {
    for (String ns : List.of(OPS, NS, OTHER)) {
      RealCluster.namespace(ns);
    }
    user("webhook-alice", NS);
    user("webhook-racer", NS);
    editUser(
        "webhook-racer",
        u -> {
          u.getSpec().maxKeys = 2;
          return u;
        });
    ApiUser owned = new ApiUser();
    owned.setMetadata(new ObjectMetaBuilder().withName("webhook-owned").build());
    owned.setSpec(new ApiUserSpec());
    owned.getSpec().namespaces = List.of(NS);
    owned.getSpec().mfa = new ApiUserSpec.MfaSpec();
    owned.getSpec().mfa.totp = "Disabled";
    owned.getSpec().owners =
        List.of(
            new ApiUserSpec.Owner("ServiceAccount", "owner-bot", NS),
            new ApiUserSpec.Owner("Group", "desk-owners", null));
    client().resource(owned).create();

    operator =
        RunningOperator.start(
            Map.of(
                "operator.namespace", OPS,
                "admission.enabled", "true",
                "admission.bindAddress", "127.0.0.1",
                "admission.port", "0",
                "admission.extraSubjectNames", "127.0.0.1",
                "admission.operatorUser", "keyward-admin",
                "admission.webhookConfigurationName", CONFIG,
                "admission.verifierUsers", "system:serviceaccount:" + OPS + ":" + VERIFIER_SA));
    install(operator.admissionPort());

    tenantClient = Tenant.of(NS, "webhook-tenant");
    tenant = Kubectl.withToken(ChartRbac.token(NS, "webhook-tenant"));
    Tenant.of(NS, "owner-bot");
    ownerBot = Kubectl.withToken(ChartRbac.token(NS, "owner-bot"));
    Tenant.of(OTHER, "webhook-tenant");
    // As a platform team may: edit ApiUsers and their status; no owner of any.
    platform =
        Kubectl.withToken(
            account(
                "webhook-platform",
                List.of("apiusers", "apiusers/status"),
                "get",
                "list",
                "watch",
                "update",
                "patch"));
    // As the chart's verifier role: read keys, patch their status.
    verifier =
        ChartRbac.tokenClient(
            account(
                VERIFIER_SA, List.of("apikeys", "apikeys/status"), "get", "list", "watch", "patch"),
            new RequestAudit());

    // The API server calls the webhook once the configuration has its caBundle.
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(tenant.apply(example("ip-not-an-address"), "-n", NS).output())
                    .contains("denied the request"));
  }

  @AfterAll
  static void stop() {
    // The configuration is cluster-wide: leave none behind for the classes after this one.
    client()
        .admissionRegistration()
        .v1()
        .validatingWebhookConfigurations()
        .withName(CONFIG)
        .delete();
    if (operator != null) {
      operator.close();
    }
  }

  /** The chart's webhook configuration, each webhook pointed at {@code port} on loopback. */
  private static void install(int port) {
    ChartRbac.installWebhook(OPS, Map.of(), CONFIG, port);
  }

  @Test
  void everyRefusedExampleFailsAtApplyNamingItsField() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(REFUSED)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(15);
    List<String> failures = new ArrayList<>();
    for (Path file : files) {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      // What the output must name; " | " separates what the API server's own validation says
      // (1.20 names the list, not the item; kubectl names a missing field its own way).
      String field =
          text.lines()
              .filter(l -> l.startsWith("# refused: "))
              .findFirst()
              .orElseThrow(() -> new AssertionError(file + " has no '# refused:' line"))
              .substring("# refused: ".length())
              .trim();
      List<String> names = List.of(field.split(" \\| "));
      String name = file.getFileName().toString().replace(".yaml", "");
      Kubectl.Result r = tenant.apply(text.replace("user: alice", "user: webhook-alice"), "-n", NS);
      if (r.exitCode() == 0 || names.stream().noneMatch(r.output()::contains)) {
        failures.add(name + " (expected a refusal naming " + field + "): " + r.output().trim());
      }
      if (client().resources(ApiKey.class).inNamespace(NS).withName(name).get() != null) {
        failures.add(name + " was created");
      }
    }
    assertThat(failures).isEmpty();
    // What the README shows, word for word but the file name (here the manifest is on stdin).
    assertThat(tenant.apply(example("ip-not-an-address"), "-n", NS).output())
        .startsWith(
            "The request is invalid: error when creating \"STDIN\": admission webhook"
                + " \"create.keyward.io\" denied the request: spec.ipWhitelist[0]: '999.1.1.1' is"
                + " not an IPv4 or IPv6 address as written (no spaces, host names, ranges or"
                + " zones)");
  }

  @Test
  void aValidKeyIsAdmittedAndIssued() {
    Kubectl.Result r = tenant.apply(good("webhook-good", "webhook-alice"), "-n", NS);
    assertThat(r.exitCode()).as(r.output()).isZero();
    awaitKey(NS, "webhook-good", phase("Active"));
    client().resources(ApiKey.class).inNamespace(NS).withName("webhook-good").delete();
    await().atMost(WAIT).until(() -> get(NS, "webhook-good") == null);
  }

  @Test
  void aKeyOverTheLimitIsRefusedNamingTheHoldersAndARaceStillEndsAtTheLimit() throws Exception {
    // Five creates at once, while the ledger shows both slots free: the webhook lets them
    // through, and the ledger keeps the limit.
    ExecutorService pool = Executors.newFixedThreadPool(5);
    List<Future<Boolean>> results = new ArrayList<>();
    List<String> refusals = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 5; i++) {
      String name = "webhook-race-" + i;
      Callable<Boolean> create =
          () -> {
            try {
              ApiKey k = new ApiKey();
              k.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
              k.setSpec(new io.keyward.operator.api.ApiKeySpec());
              k.getSpec().user = "webhook-racer";
              k.getSpec().note = "race " + name;
              tenantClient.resource(k).create();
              return true;
            } catch (KubernetesClientException e) {
              refusals.add(e.getCode() + " " + e.getMessage());
              return false;
            }
          };
      results.add(pool.submit(create));
    }
    int admitted = 0;
    for (Future<Boolean> f : results) {
      admitted += f.get() ? 1 : 0;
    }
    final int created = admitted;
    pool.shutdown();
    assertThat(created).as("admitted; refused: %s", refusals).isGreaterThanOrEqualTo(2);
    // Keys created in the same second may all decide to wait while a slot is free (each decided on
    // a ledger without the others' claims); the slot then goes out later (45 s in the fresh-clone
    // run that showed it), so this waits longer than the suite's usual bound.
    await()
        .atMost(java.time.Duration.ofSeconds(90))
        .untilAsserted(() -> assertThat(getUser("webhook-racer").getStatus().keyRefs).hasSize(2));
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(
                        client().resources(ApiKey.class).inNamespace(NS).list().getItems().stream()
                            .filter(k -> k.getMetadata().getName().startsWith("webhook-race-"))
                            .filter(k -> k.getStatus() != null && k.getStatus().phase != null)
                            .filter(k -> !"Active".equals(k.getStatus().phase))
                            .count())
                    .isEqualTo(created - 2L));
    List<String> holders =
        getUser("webhook-racer").getStatus().keyRefs.stream().map(r -> NS + "/" + r.name).toList();

    // Now the ledger is full: the next create is refused at apply, naming the holders.
    Kubectl.Result r = tenant.apply(good("webhook-over", "webhook-racer"), "-n", NS);
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.output())
        .contains("limit of 2 keys")
        .contains(holders.get(0))
        .contains(holders.get(1));
    assertThat(get(NS, "webhook-over")).isNull();

    for (int i = 0; i < 5; i++) {
      client().resources(ApiKey.class).inNamespace(NS).withName("webhook-race-" + i).delete();
    }
    await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(getUser("webhook-racer").getStatus().keyRefs).isEmpty());
  }

  @Test
  void aKeyForNoUserOrInANamespaceTheUserDoesNotAllowIsRefused() {
    Kubectl.Result ghost = tenant.apply(good("webhook-ghost", "webhook-nobody"), "-n", NS);
    assertThat(ghost.exitCode()).isNotZero();
    assertThat(ghost.output()).contains("spec.user: ApiUser 'webhook-nobody' does not exist");

    Kubectl other = Kubectl.withToken(ChartRbac.token(OTHER, "webhook-tenant"));
    Kubectl.Result foreign = other.apply(good("webhook-foreign", "webhook-alice"), "-n", OTHER);
    assertThat(foreign.exitCode()).isNotZero();
    assertThat(foreign.output())
        .contains("metadata.namespace")
        .contains("does not allow keys in namespace 'webhook-other'");
  }

  @Test
  void onlyTheOwnersOfAUserCreateAndChangeItsKeysAndHandInItsCodes() {
    Kubectl.Result stranger = tenant.apply(good("webhook-owned-key", "webhook-owned"), "-n", NS);
    assertThat(stranger.exitCode()).isNotZero();
    assertThat(stranger.output())
        .contains("is not an owner of ApiUser 'webhook-owned'")
        .contains("system:serviceaccount:" + NS + ":webhook-tenant");

    Kubectl.Result owner = ownerBot.apply(good("webhook-owned-key", "webhook-owned"), "-n", NS);
    assertThat(owner.exitCode()).as(owner.output()).isZero();
    awaitKey(NS, "webhook-owned-key", phase("Active"));

    // The tenant may still read it (RBAC), but neither edit its spec nor hand in a code.
    Kubectl.Result edit =
        tenant.run(
            null,
            List.of(
                "patch",
                "apikey",
                "webhook-owned-key",
                "-n",
                NS,
                "--type=merge",
                "-p",
                "{\"spec\":{\"permissions\":[\"read\",\"trade\"]}}"));
    assertThat(edit.exitCode()).isNotZero();
    assertThat(edit.output()).contains("is not an owner");
    Kubectl.Result code =
        tenant.run(
            null,
            List.of(
                "annotate",
                "apikey",
                "webhook-owned-key",
                "-n",
                NS,
                "keyward.io/totp-code=123456@1/"
                    + get(NS, "webhook-owned-key").getMetadata().getUid()));
    assertThat(code.exitCode()).isNotZero();
    assertThat(code.output()).contains("is not an owner");
    // Metadata that grants nothing stays open to whoever RBAC lets.
    Kubectl.Result label =
        tenant.run(null, List.of("label", "apikey", "webhook-owned-key", "-n", NS, "team=desk-1"));
    assertThat(label.exitCode()).as(label.output()).isZero();

    // A code for the user itself, from someone RBAC lets edit ApiUsers but who is no owner.
    Kubectl.Result userCode =
        platform.run(
            null, List.of("annotate", "apiuser", "webhook-owned", "keyward.io/totp-code=123456"));
    assertThat(userCode.exitCode()).isNotZero();
    assertThat(userCode.output()).contains("metadata.annotations[keyward.io/totp-code]");

    client().resources(ApiKey.class).inNamespace(NS).withName("webhook-owned-key").delete();
    await().atMost(WAIT).until(() -> get(NS, "webhook-owned-key") == null);
  }

  @Test
  void statusIsWrittenByTheOperatorOnlyAndTheVerifierMayRecordLastUse() {
    tenant.apply(good("webhook-status", "webhook-alice"), "-n", NS);
    ApiKey active = awaitKey(NS, "webhook-status", phase("Active"));

    Kubectl.Result forged =
        tenant.run(
            null,
            List.of(
                "patch",
                "apikey",
                "webhook-status",
                "-n",
                NS,
                "--subresource=status",
                "--type=merge",
                "-p",
                "{\"status\":{\"phase\":\"Expired\"}}"));
    assertThat(forged.exitCode()).isNotZero();
    assertThat(forged.output()).contains("only the Keyward operator writes the status");
    assertThat(get(NS, "webhook-status").getStatus().phase).isEqualTo("Active");

    String now =
        java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    verifier
        .resources(ApiKey.class)
        .inNamespace(NS)
        .withName("webhook-status")
        .subresource("status")
        .patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            "{\"status\":{\"lastUsedAt\":\"" + now + "\"}}");
    assertThat(get(NS, "webhook-status").getStatus().lastUsedAt).isEqualTo(now);
    try {
      verifier
          .resources(ApiKey.class)
          .inNamespace(NS)
          .withName("webhook-status")
          .subresource("status")
          .patch(
              io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                  io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
              "{\"status\":{\"accessKey\":\"KWFORGED\"}}");
      throw new AssertionError("the verifier changed more than lastUsedAt");
    } catch (KubernetesClientException e) {
      assertThat(e.getCode()).isEqualTo(403);
      assertThat(e.getMessage()).contains("status.lastUsedAt of an ApiKey and nothing else");
    }
    assertThat(get(NS, "webhook-status").getStatus().accessKey)
        .isEqualTo(active.getStatus().accessKey);

    Kubectl.Result userStatus =
        platform.run(
            null,
            List.of(
                "patch",
                "apiuser",
                "webhook-alice",
                "--subresource=status",
                "--type=merge",
                "-p",
                "{\"status\":{\"keyRefs\":[]}}"));
    assertThat(userStatus.exitCode()).isNotZero();
    assertThat(userStatus.output())
        .contains("only the Keyward operator writes the status of an ApiUser");

    client().resources(ApiKey.class).inNamespace(NS).withName("webhook-status").delete();
    await().atMost(WAIT).until(() -> get(NS, "webhook-status") == null);
  }

  @Test
  void immutableFieldsAreRefusedAtApply() {
    tenant.apply(good("webhook-immutable", "webhook-alice"), "-n", NS);
    awaitKey(NS, "webhook-immutable", phase("Active"));
    Kubectl.Result r =
        tenant.apply(
            good("webhook-immutable", "webhook-alice").replace("note: ", "type: futures\n  note: "),
            "-n",
            NS);
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.output()).contains("spec.type").contains("immutable");
    client().resources(ApiKey.class).inNamespace(NS).withName("webhook-immutable").delete();
    await().atMost(WAIT).until(() -> get(NS, "webhook-immutable") == null);
  }

  @Test
  void aWebhookOutageBlocksNoDeletion() throws IOException {
    tenant.apply(good("webhook-outage", "webhook-alice"), "-n", NS);
    awaitKey(NS, "webhook-outage", phase("Active"));
    String doomed = "webhook-doomed";
    RealCluster.namespace(doomed);
    editUser(
        "webhook-alice",
        u -> {
          u.getSpec().namespaces = List.of(NS, doomed);
          return u;
        });
    key(doomed, "doomed-bot", "webhook-alice", s -> {});
    awaitKey(doomed, "doomed-bot", phase("Active"));

    int dead;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      dead = s.getLocalPort();
    }
    install(dead);
    try {
      // Creates fail closed while the webhook is unreachable...
      Kubectl.Result create =
          tenant.apply(good("webhook-during-outage", "webhook-alice"), "-n", NS);
      assertThat(create.exitCode()).isNotZero();
      assertThat(create.output()).contains("failed calling webhook");

      // ...deletions do not wait: the operator removes its finalizer, and a namespace goes.
      Kubectl.Result delete =
          tenant.run(null, List.of("delete", "apikey", "webhook-outage", "-n", NS, "--wait=false"));
      assertThat(delete.exitCode()).as(delete.output()).isZero();
      await().atMost(WAIT).until(() -> get(NS, "webhook-outage") == null);
      client().namespaces().withName(doomed).delete();
      await()
          .atMost(java.time.Duration.ofSeconds(90))
          .until(() -> client().namespaces().withName(doomed).get() == null);
    } finally {
      install(operator.admissionPort());
    }
  }

  private static String good(String name, String user) {
    return """
        apiVersion: keyward.io/v1alpha1
        kind: ApiKey
        metadata:
          name: %s
        spec:
          user: %s
          note: Bot %s
          permissions: [read]
        """
        .formatted(name, user, name);
  }

  private static String example(String name) {
    try {
      return Files.readString(REFUSED.resolve(name + ".yaml"), StandardCharsets.UTF_8)
          .replace("user: alice", "user: webhook-alice");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * A ServiceAccount of {@link #OPS} with a ClusterRole of its own ({@code resources} in group
   * keyward.io, {@code verbs}), and a token for it.
   */
  private static String account(String name, List<String> resources, String... verbs) {
    client()
        .resource(
            new ServiceAccountBuilder()
                .withMetadata(new ObjectMetaBuilder().withName(name).withNamespace(OPS).build())
                .build())
        .createOr(e -> e.update());
    client()
        .resource(
            new ClusterRoleBuilder()
                .withMetadata(new ObjectMetaBuilder().withName(name).build())
                .withRules(
                    new PolicyRuleBuilder()
                        .withApiGroups("keyward.io")
                        .withResources(resources)
                        .withVerbs(verbs)
                        .build())
                .build())
        .createOr(e -> e.update());
    client()
        .resource(
            new ClusterRoleBindingBuilder()
                .withMetadata(new ObjectMetaBuilder().withName(name).build())
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", name)
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName(name)
                .withNamespace(OPS)
                .endSubject()
                .build())
        .createOr(e -> e.update());
    return ChartRbac.token(OPS, name);
  }

  private static Path findExamples() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("examples/refused"))) {
        return p.resolve("examples");
      }
    }
    throw new IllegalStateException("examples/refused not found");
  }
}
