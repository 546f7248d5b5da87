package io.keyward.operator.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.config.KeywardConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AdmissionRulesTest {
  private static final ObjectMapper JSON = AdmissionFixtures.JSON;
  private static final String OPERATOR = "system:serviceaccount:keyward-system:keyward";
  private static final String VERIFIER = "system:serviceaccount:keyward-system:keyward-verifier";

  private final Map<String, ApiUser> users = new HashMap<>();
  private final Map<String, String> keys = new HashMap<>();
  private final AdmissionRules rules =
      new AdmissionRules(
          KeywardConfig.defaults().with(Map.of("admission.verifierUsers", VERIFIER)),
          OPERATOR,
          new AdmissionRules.Lookup() {
            @Override
            public Optional<ApiUser> user(String name) {
              return Optional.ofNullable(users.get(name));
            }

            @Override
            public Optional<String> keyUid(String namespace, String name) {
              return Optional.ofNullable(keys.get(namespace + "/" + name));
            }
          });

  private static ApiUser user(String name, List<String> namespaces, ApiUserSpec.Owner... owners) {
    ApiUser u = new ApiUser();
    u.getMetadata().setName(name);
    u.setSpec(new ApiUserSpec());
    u.getSpec().namespaces = namespaces;
    if (owners.length > 0) {
      u.getSpec().owners = List.of(owners);
    }
    return u;
  }

  private static ObjectNode key(String ns, String name, String user) {
    return AdmissionFixtures.key(ns, name, user);
  }

  private static ObjectNode review(
      String op, String resource, String sub, String username, JsonNode obj, JsonNode old) {
    List<String> groups =
        username.equals("bob")
            ? List.of("system:authenticated", "traders")
            : List.of("system:authenticated");
    return AdmissionFixtures.review(op, resource, sub, username, groups, obj, old);
  }

  private Decision decide(ObjectNode review) {
    return rules.decide(Review.parse(JSON, review));
  }

  @Test
  void aValidKeyForAnExistingUserInAnAllowedNamespaceIsAdmitted() {
    users.put("alice", user("alice", List.of("trading")));
    assertThat(decide(review("CREATE", "apikeys", null, "dev", key("trading", "k", "alice"), null)))
        .extracting(Decision::allowed)
        .isEqualTo(true);
  }

  @Test
  void eachSpecRuleIsRefusedWithItsFieldAndRule() {
    users.put("alice", user("alice", List.of("*")));
    ObjectNode k = key("trading", "k", "alice");
    ObjectNode spec = (ObjectNode) k.get("spec");
    spec.putArray("ipWhitelist").add("999.1.1.1").add("10.0.0.0/8");
    spec.putArray("permissions").add("withdraw");
    spec.put("note", "\u00a0\u200b");
    spec.put("validity", "90 days");
    Decision d = decide(review("CREATE", "apikeys", null, "dev", k, null));
    assertThat(d.allowed()).isFalse();
    assertThat(d.code()).isEqualTo(422);
    assertThat(d.message())
        .contains("spec.ipWhitelist[0]")
        .contains("spec.ipWhitelist[1]")
        .contains("spec.note: must not be blank")
        .contains("spec.validity");
  }

  @Test
  void immutableFieldsAreRefusedOnUpdate() {
    users.put("alice", user("alice", List.of("*")));
    users.put("mallory", user("mallory", List.of("*")));
    ObjectNode old = key("trading", "k", "alice");
    ObjectNode now = key("trading", "k", "mallory");
    Decision d = decide(review("UPDATE", "apikeys", null, "dev", now, old));
    assertThat(d.allowed()).isFalse();
    assertThat(d.message()).contains("spec.user: is immutable");
    ObjectNode typed = key("trading", "k", "alice");
    ((ObjectNode) typed.get("spec")).put("type", "futures");
    assertThat(decide(review("UPDATE", "apikeys", null, "dev", typed, old)).message())
        .contains("spec.type: is immutable");
  }

  @Test
  void aMissingUserAndAForeignNamespaceAreRefusedAtCreate() {
    Decision missing =
        decide(review("CREATE", "apikeys", null, "dev", key("trading", "k", "ghost"), null));
    assertThat(missing.allowed()).isFalse();
    assertThat(missing.message()).contains("spec.user: ApiUser 'ghost' does not exist");
    users.put("alice", user("alice", List.of("trading")));
    Decision foreign =
        decide(review("CREATE", "apikeys", null, "dev", key("other", "k", "alice"), null));
    assertThat(foreign.allowed()).isFalse();
    assertThat(foreign.code()).isEqualTo(403);
    assertThat(foreign.message()).contains("does not allow keys in namespace 'other'");
  }

  @Test
  void aFullLedgerRefusesTheCreateAndNamesTheHolders() {
    ApiUser alice = user("alice", List.of("*"));
    alice.getSpec().maxKeys = 2;
    alice.setStatus(new ApiUserStatus());
    alice.getStatus().keyRefs = new ArrayList<>(List.of(ref("trading", "a"), ref("trading", "b")));
    users.put("alice", alice);
    keys.put("trading/a", "uid-a");
    keys.put("trading/b", "uid-b");
    Decision d =
        decide(review("CREATE", "apikeys", null, "dev", key("trading", "c", "alice"), null));
    assertThat(d.allowed()).isFalse();
    assertThat(d.message()).contains("limit of 2 keys").contains("trading/a, trading/b");
    // A holder that vanished (or whose name now has another uid) holds no slot for this check.
    keys.put("trading/b", "uid-b-recreated");
    assertThat(
            decide(review("CREATE", "apikeys", null, "dev", key("trading", "c", "alice"), null))
                .allowed())
        .isTrue();
  }

  private static ApiUserStatus.KeyRef ref(String ns, String name) {
    ApiUserStatus.KeyRef r = new ApiUserStatus.KeyRef();
    r.namespace = ns;
    r.name = name;
    r.uid = "uid-" + name;
    r.type = "spot";
    return r;
  }

  @Test
  void withOwnersOnlyTheyCreateOrChangeKeysAndHandInCodes() {
    users.put(
        "alice",
        user(
            "alice",
            List.of("*"),
            new ApiUserSpec.Owner("User", "alice@example.com", null),
            new ApiUserSpec.Owner("Group", "traders", null),
            new ApiUserSpec.Owner("ServiceAccount", "argocd", "gitops")));
    ObjectNode k = key("trading", "k", "alice");
    assertThat(decide(review("CREATE", "apikeys", null, "mallory", k, null)).message())
        .contains("user 'mallory' is not an owner of ApiUser 'alice'");
    assertThat(decide(review("CREATE", "apikeys", null, "alice@example.com", k, null)).allowed())
        .isTrue();
    assertThat(decide(review("CREATE", "apikeys", null, "bob", k, null)).allowed()).isTrue();
    assertThat(
            decide(
                    review(
                        "CREATE", "apikeys", null, "system:serviceaccount:gitops:argocd", k, null))
                .allowed())
        .isTrue();
    // A service account of the same name elsewhere is not the owner.
    assertThat(
            decide(review("CREATE", "apikeys", null, "system:serviceaccount:dev:argocd", k, null))
                .allowed())
        .isFalse();

    ObjectNode coded = k.deepCopy();
    ((ObjectNode) coded.get("metadata"))
        .putObject("annotations")
        .put("keyward.io/totp-code", "123456@1/uid-k");
    assertThat(decide(review("UPDATE", "apikeys", null, "mallory", coded, k)).allowed()).isFalse();
    assertThat(decide(review("UPDATE", "apikeys", null, "bob", coded, k)).allowed()).isTrue();
    // Other tools' metadata governs no grant: a non-owner may label the key.
    ObjectNode labelled = k.deepCopy();
    ((ObjectNode) labelled.get("metadata")).putObject("labels").put("team", "desk-1");
    assertThat(decide(review("UPDATE", "apikeys", null, "mallory", labelled, k)).allowed())
        .isTrue();
  }

  @Test
  void withoutOwnersAnyoneRbacLetsMayCreate() {
    users.put("alice", user("alice", List.of("*")));
    assertThat(
            decide(review("CREATE", "apikeys", null, "anyone", key("ns", "k", "alice"), null))
                .allowed())
        .isTrue();
  }

  @Test
  void aCodeOnAnApiUserNeedsAnOwnerOfRecordBeforeTheWrite() throws Exception {
    ApiUser before =
        user("alice", List.of("*"), new ApiUserSpec.Owner("User", "alice@example.com", null));
    ApiUser after =
        user(
            "alice",
            List.of("*"),
            new ApiUserSpec.Owner("User", "alice@example.com", null),
            new ApiUserSpec.Owner("User", "mallory", null));
    after.getMetadata().setAnnotations(Map.of("keyward.io/totp-code", "123456"));
    Decision d =
        decide(
            review(
                "UPDATE",
                "apiusers",
                null,
                "mallory",
                JSON.valueToTree(after),
                JSON.valueToTree(before)));
    assertThat(d.allowed()).isFalse();
    assertThat(d.message()).contains("metadata.annotations[keyward.io/totp-code]");
  }

  @Test
  void anInvalidApiUserIsRefused() {
    ApiUser u =
        user("alice", List.of("Bad_NS"), new ApiUserSpec.Owner("ServiceAccount", "bot", null));
    Decision d = decide(review("CREATE", "apiusers", null, "admin", JSON.valueToTree(u), null));
    assertThat(d.allowed()).isFalse();
    assertThat(d.message())
        .contains("spec.namespaces[0]")
        .contains("spec.owners[0].namespace: a ServiceAccount needs its namespace");
  }

  @Test
  void statusWritesByAnyoneButTheOperatorAreRefused() {
    ObjectNode old = key("trading", "k", "alice");
    old.putObject("status").put("phase", "Pending");
    ObjectNode forged = old.deepCopy();
    ((ObjectNode) forged.get("status")).put("phase", "Active").put("accessKey", "AK");
    Decision d = decide(review("UPDATE", "apikeys", "status", "tenant", forged, old));
    assertThat(d.allowed()).isFalse();
    assertThat(d.code()).isEqualTo(403);
    assertThat(d.message()).contains("only the Keyward operator writes the status");
    assertThat(decide(review("UPDATE", "apikeys", "status", OPERATOR, forged, old)).allowed())
        .isTrue();
    ObjectNode used = old.deepCopy();
    ((ObjectNode) used.get("status")).put("lastUsedAt", "2026-12-01T10:00:00Z");
    assertThat(decide(review("UPDATE", "apikeys", "status", VERIFIER, used, old)).allowed())
        .isTrue();
    ((ObjectNode) used.get("status")).put("phase", "Active");
    assertThat(decide(review("UPDATE", "apikeys", "status", VERIFIER, used, old)).message())
        .contains("status.lastUsedAt of an ApiKey and nothing else");
    ObjectNode u = JSON.valueToTree(user("alice", List.of("*")));
    assertThat(decide(review("UPDATE", "apiusers", "status", VERIFIER, u, u)).allowed()).isFalse();
  }

  @Test
  void objectsBeingDeletedPassSoFinalizersNeverWait() {
    ObjectNode k = key("trading", "k", "ghost");
    ((ObjectNode) k.get("metadata")).put("deletionTimestamp", "2026-12-01T10:00:00Z");
    ((ObjectNode) k.get("spec")).put("note", " ");
    assertThat(decide(review("UPDATE", "apikeys", null, "someone", k, k)).allowed()).isTrue();
  }

  @Test
  void anUnchangedInvalidSpecDoesNotBlockOtherEdits() {
    // Ratcheting, as the API server's CRD validation does: a key accepted under looser rules can
    // still be labelled; only a change of its spec is held to today's rules.
    users.put("alice", user("alice", List.of("*")));
    ObjectNode old = key("trading", "k", "alice");
    ((ObjectNode) old.get("spec")).putArray("ipWhitelist").add("1.1.1.1/32");
    ObjectNode now = old.deepCopy();
    ((ObjectNode) now.get("metadata")).putObject("labels").put("x", "y");
    assertThat(decide(review("UPDATE", "apikeys", null, "dev", now, old)).allowed()).isTrue();
  }

  @Test
  void theAnswerCarriesTheUidAndTheRefusal() {
    WebhookServer.Answerer answerer = new WebhookServer.Answerer(JSON, rules::decide);
    JsonNode out =
        answerer.answer(
            review("CREATE", "apikeys", null, "dev", key("trading", "k", "ghost"), null));
    assertThat(out.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
    assertThat(out.path("response").path("uid").asText()).isEqualTo("review-1");
    assertThat(out.path("response").path("allowed").asBoolean()).isFalse();
    assertThat(out.path("response").path("status").path("code").asInt()).isEqualTo(422);
    JsonNode garbage = answerer.answer(JSON.createObjectNode().put("kind", "Pod"));
    assertThat(garbage.path("response").path("allowed").asBoolean()).isFalse();
  }
}
