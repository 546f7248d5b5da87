package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.client;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.keyward.operator.CrdFiles;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every CEL rule ({@code x-kubernetes-validations}) in the committed CRDs refuses its bad input at
 * apply time, as a user meets it: {@code kubectl apply --server-side} of a bad manifest through the
 * cluster's API server fails, and kubectl's own output names the field path and the rule's message.
 * The rules are read from crds/*.yaml, so a rule added without a bad-input case below fails this
 * test. Only the hybrid (v1.36 serving keyward.io) enforces CEL; 1.20 ignores it.
 */
@ExtendWith(RealCluster.class)
@EnabledIfSystemProperty(named = RealCluster.FLAVOUR_PROPERTY, matches = "1\\.36")
@Order(6)
class CelRulesIT {
  private static final String NS = "cel-rules";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A CEL rule as the CRD declares it: on which kind, at which schema path, with which message. */
  record Rule(String kind, String schemaPath, String message) {
    String id() {
      return kind + " " + schemaPath + ": " + message;
    }
  }

  /**
   * Manifests to apply in order: all but the last must be accepted (the state a transition rule
   * compares against), the last must be refused at {@code fieldPath} with the rule's message.
   */
  record BadInput(String fieldPath, List<Map<String, Object>> manifests) {}

  /** One bad input per rule, by {@link Rule#id()}. */
  private static final Map<String, BadInput> CASES = new LinkedHashMap<>();

  static {
    CASES.put(
        "ApiKey spec.ipWhitelist: spec.ipWhitelist: no duplicates",
        new BadInput(
            "spec.ipWhitelist",
            List.of(key("cel-dup-ips", Map.of("ipWhitelist", List.of("10.0.0.1", "10.0.0.1"))))));
    CASES.put(
        "ApiKey spec.permissions: spec.permissions: each must be read, trade or withdraw",
        new BadInput(
            "spec.permissions",
            List.of(key("cel-admin", Map.of("permissions", List.of("admin"))))));
    CASES.put(
        "ApiKey spec.permissions: spec.permissions: no duplicates",
        new BadInput(
            "spec.permissions",
            List.of(key("cel-dup-perms", Map.of("permissions", List.of("read", "read"))))));
    CASES.put(
        "ApiKey spec.type: spec.type is immutable",
        new BadInput(
            "spec.type",
            List.of(
                key("cel-type", Map.of("type", "spot")),
                key("cel-type", Map.of("type", "futures")))));
    CASES.put(
        "ApiKey spec.user: spec.user is immutable",
        new BadInput(
            "spec.user",
            List.of(
                key("cel-user", Map.of("user", "cel-someone")),
                key("cel-user", Map.of("user", "cel-someone-else")))));
    CASES.put(
        "ApiKey spec: spec.permissions: withdraw needs a non-empty spec.ipWhitelist",
        new BadInput(
            "spec",
            List.of(key("cel-withdraw", Map.of("permissions", List.of("read", "withdraw"))))));
    CASES.put(
        "ApiUser spec.owners[*]: spec.owners: namespace is required for a ServiceAccount and not"
            + " allowed otherwise",
        new BadInput(
            "spec.owners[0]",
            List.of(
                user(
                    "cel-sa-without-ns",
                    List.of(Map.of("kind", "ServiceAccount", "name", "deployer"))))));
    CASES.put(
        "ApiUser spec.owners[*]: spec.owners: a ServiceAccount's name is a DNS subdomain",
        new BadInput(
            "spec.owners[0]",
            List.of(
                user(
                    "cel-sa-bad-name",
                    List.of(
                        Map.of(
                            "kind", "ServiceAccount", "name", "Deploy_Bot", "namespace", NS))))));
  }

  /** The second way {@code namespace is required...} is broken: set where it is not allowed. */
  private static final BadInput USER_WITH_NAMESPACE =
      new BadInput(
          "spec.owners[0]",
          List.of(
              user(
                  "cel-user-with-ns",
                  List.of(Map.of("kind", "User", "name", "alice", "namespace", NS)))));

  @BeforeAll
  static void namespace() {
    RealCluster.namespace(NS);
  }

  @AfterAll
  static void cleanUp() {
    client().resources(ApiKey.class).inNamespace(NS).delete();
    client().resources(ApiUser.class).list().getItems().stream()
        .filter(u -> u.getMetadata().getName().startsWith("cel-"))
        .forEach(u -> client().resource(u).delete());
  }

  @Test
  void theHybridServesKeywardFromV136() {
    assertThat(RealCluster.kubernetesVersion()).startsWith("v1.36.");
  }

  @Test
  void everyRuleHasABadInputAndEveryBadInputARule() throws IOException {
    Set<String> rules =
        rulesInCrds().stream().map(Rule::id).collect(Collectors.toCollection(TreeSet::new));
    assertThat(rules).as("CEL rules in crds/*.yaml").isNotEmpty();
    assertThat(new TreeSet<>(CASES.keySet()))
        .as(
            "each CEL rule needs a bad-input case in CelRulesIT.CASES, and no case may outlive its rule")
        .isEqualTo(rules);
  }

  @TestFactory
  Stream<DynamicTest> eachRuleRefusesItsBadInputAtApply() throws IOException {
    return rulesInCrds().stream()
        .map(
            rule ->
                DynamicTest.dynamicTest(
                    rule.id(),
                    () -> {
                      BadInput bad = CASES.get(rule.id());
                      assertThat(bad).as("a bad-input case for " + rule.id()).isNotNull();
                      assertRefused(bad, rule.message());
                    }));
  }

  @Test
  void anOwnerNamespaceIsRefusedWhereItIsNotAllowed() throws IOException {
    assertRefused(
        USER_WITH_NAMESPACE,
        "spec.owners: namespace is required for a ServiceAccount and not allowed otherwise");
  }

  @Test
  void goodManifestsAreAccepted() throws IOException {
    String key =
        apply(
            key(
                "cel-good",
                Map.of(
                    "permissions", List.of("read", "trade", "withdraw"),
                    "ipWhitelist", List.of("203.0.113.10", "2001:db8::1"),
                    "validity", "30d")));
    assertThat(key).contains("apikey.keyward.io/cel-good serverside-applied");
    String user =
        apply(
            user(
                "cel-good-user",
                List.of(
                    Map.of("kind", "User", "name", "alice@example.com"),
                    Map.of("kind", "Group", "name", "traders"),
                    Map.of("kind", "ServiceAccount", "name", "deployer", "namespace", NS))));
    assertThat(user).contains("apiuser.keyward.io/cel-good-user serverside-applied");
    // The same apply again changes nothing: the transition rules accept an unchanged object.
    assertThat(
            apply(
                key(
                    "cel-good",
                    Map.of(
                        "permissions", List.of("read", "trade", "withdraw"),
                        "ipWhitelist", List.of("203.0.113.10", "2001:db8::1"),
                        "validity", "30d"))))
        .contains("serverside-applied");
  }

  /** The structural-schema refusals (not CEL; 1.20 enforces these too), seen through kubectl. */
  @Test
  void theSchemaRefusesAtApply() throws IOException {
    assertSchemaRefuses(
        key(
            "cel-five-ips",
            Map.of(
                "ipWhitelist",
                List.of("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"))),
        "spec.ipWhitelist: Too many");
    assertSchemaRefuses(key("cel-blank-note", Map.of("note", "   ")), "spec.note: Invalid value");
    assertSchemaRefuses(
        key("cel-long-note", Map.of("note", "n".repeat(65))), "spec.note: Too long");
    assertSchemaRefuses(
        key("cel-bad-validity", Map.of("validity", "90 days")), "spec.validity: Invalid value");
    assertSchemaRefuses(
        key("cel-bad-permission", Map.of("permissions", List.of("admin"))),
        "spec.permissions[0]: Invalid value: \"admin\"");
  }

  private static void assertSchemaRefuses(Map<String, Object> manifest, String expected)
      throws IOException {
    Kubectl.Result r = applyResult(manifest);
    assertThat(r.exitCode()).as(r.output()).isNotZero();
    assertThat(r.output()).contains(expected);
  }

  private static void assertRefused(BadInput bad, String message) throws IOException {
    List<Map<String, Object>> manifests = bad.manifests();
    for (Map<String, Object> before : manifests.subList(0, manifests.size() - 1)) {
      apply(before);
    }
    Kubectl.Result r = applyResult(manifests.get(manifests.size() - 1));
    assertThat(r.exitCode()).as(r.output()).isNotZero();
    assertThat(r.output())
        .as("kubectl's output names the field and the rule")
        .contains(bad.fieldPath() + ": Invalid value")
        .contains(message);
  }

  private static String apply(Map<String, Object> manifest) throws IOException {
    Kubectl.Result r = applyResult(manifest);
    assertThat(r.exitCode()).as(r.output()).isZero();
    return r.output();
  }

  private static Kubectl.Result applyResult(Map<String, Object> manifest) throws IOException {
    // Through the 1.20 server, as a user's kubectl: it proxies keyward.io to the v1.36 server.
    return Kubectl.run(
        RealCluster.server().kubeconfig(),
        JSON.writeValueAsString(manifest),
        "apply",
        "--server-side",
        "--field-manager=cel-rules-it",
        "-f",
        "-");
  }

  /** An ApiKey in {@link #NS} with a user and a note, {@code spec} added over them. */
  private static Map<String, Object> key(String name, Map<String, Object> spec) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("user", "cel-someone");
    s.put("note", "CEL rule check");
    s.putAll(spec);
    return Map.of(
        "apiVersion",
        "keyward.io/v1alpha1",
        "kind",
        "ApiKey",
        "metadata",
        Map.of("name", name, "namespace", NS),
        "spec",
        s);
  }

  private static Map<String, Object> user(String name, List<Map<String, String>> owners) {
    return Map.of(
        "apiVersion",
        "keyward.io/v1alpha1",
        "kind",
        "ApiUser",
        "metadata",
        Map.of("name", name),
        "spec",
        Map.of("namespaces", List.of(NS), "owners", owners));
  }

  /** Every x-kubernetes-validations rule of every committed CRD, in file order. */
  static List<Rule> rulesInCrds() throws IOException {
    List<Rule> rules = new ArrayList<>();
    for (var type : CrdFiles.TYPES) {
      Path file = CrdFiles.crdsDir().resolve(CrdFiles.fileName(type));
      JsonNode crd = YAML.readTree(Files.readString(file));
      String kind = crd.path("spec").path("names").path("kind").asText();
      for (JsonNode version : crd.path("spec").path("versions")) {
        collect(kind, "", version.path("schema").path("openAPIV3Schema"), rules);
      }
    }
    return rules;
  }

  private static void collect(String kind, String path, JsonNode schema, List<Rule> into) {
    for (JsonNode v : schema.path("x-kubernetes-validations")) {
      into.add(new Rule(kind, path, v.path("message").asText()));
    }
    schema
        .path("properties")
        .fields()
        .forEachRemaining(
            f ->
                collect(
                    kind,
                    path.isEmpty() ? f.getKey() : path + "." + f.getKey(),
                    f.getValue(),
                    into));
    if (schema.has("items")) {
      collect(kind, path + "[*]", schema.get("items"), into);
    }
    if (schema.has("additionalProperties") && schema.get("additionalProperties").isObject()) {
      collect(kind, path + "[*]", schema.get("additionalProperties"), into);
    }
  }
}
