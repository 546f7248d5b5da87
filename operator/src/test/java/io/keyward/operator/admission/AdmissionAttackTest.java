package io.keyward.operator.admission;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.config.KeywardConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * The webhook attacked as a tenant would: one with create/update/patch on ApiKeys (and perhaps
 * {@code apikeys/status}) in a namespace, no rights on ApiUsers, and who is not among the owners of
 * the user whose keys it edits; or anyone who can reach the webhook's port and POST to it.
 */
class AdmissionAttackTest {
  private static final ObjectMapper JSON = AdmissionFixtures.JSON;
  private static final String OPERATOR = "system:serviceaccount:keyward-system:keyward";
  private static final String OWNER = "alice@example.com";
  private static final String TENANT = "mallory";

  private final Map<String, ApiUser> users = new HashMap<>();
  private final AdmissionRules rules =
      new AdmissionRules(
          KeywardConfig.defaults(),
          OPERATOR,
          new AdmissionRules.Lookup() {
            @Override
            public Optional<ApiUser> user(String name) {
              return Optional.ofNullable(users.get(name));
            }

            @Override
            public Optional<String> keyUid(String namespace, String name) {
              return Optional.empty();
            }
          });

  private static ApiUser owned(String name, List<String> namespaces) {
    ApiUser u = new ApiUser();
    u.getMetadata().setName(name);
    u.setSpec(new ApiUserSpec());
    u.getSpec().namespaces = namespaces;
    u.getSpec().owners = List.of(new ApiUserSpec.Owner("User", OWNER, null));
    return u;
  }

  private static ObjectNode key(String ns, String name, String user) {
    return AdmissionFixtures.key(ns, name, user);
  }

  private static ObjectNode update(String username, JsonNode obj, JsonNode old) {
    return AdmissionFixtures.review(
        "UPDATE", "apikeys", null, username, List.of("tenants"), obj, old);
  }

  private Decision decide(ObjectNode review) {
    return rules.decide(Review.parse(JSON, review));
  }

  /** A withdraw key for the tenant's own address: what a non-owner would like to hold. */
  private static ObjectNode withdrawing(ObjectNode k) {
    ObjectNode w = k.deepCopy();
    ObjectNode spec = (ObjectNode) w.get("spec");
    spec.putArray("permissions").add("read").add("withdraw");
    spec.putArray("ipWhitelist").add("203.0.113.7");
    return w;
  }

  @Test
  void aKeyWithoutASpecCannotBeGivenAnOwnedUsersNameByANonOwner() {
    // A spec-less ApiKey (the schema does not require spec; one made before the webhook, or while
    // a create webhook set to Ignore was down): the user of record is the one the write names.
    users.put("alice", owned("alice", List.of("trading")));
    ObjectNode bare = key("trading", "k", "alice");
    bare.remove("spec");
    Decision d = decide(update(TENANT, withdrawing(key("trading", "k", "alice")), bare));
    assertThat(d.allowed()).isFalse();
    assertThat(d.code()).isEqualTo(403);
    assertThat(d.message()).contains("user 'mallory' is not an owner of ApiUser 'alice'");

    ObjectNode elsewhere = key("other", "k", "alice");
    elsewhere.remove("spec");
    Decision foreign = decide(update(OWNER, withdrawing(key("other", "k", "alice")), elsewhere));
    assertThat(foreign.allowed()).isFalse();
    assertThat(foreign.message()).contains("does not allow keys in namespace 'other'");

    assertThat(decide(update(OWNER, withdrawing(key("trading", "k", "alice")), bare)).allowed())
        .isTrue();
  }

  @Test
  void aKeyOfAUserThatDoesNotExistCannotBeChangedUntilItDoes() {
    // alice's key outlives alice (deleted, to be created again with the same owners). A change
    // made meanwhile would be issued once she is back, so it is held to her owners, who are not
    // there to name: refused, as the create is.
    ObjectNode k = key("trading", "k", "alice");
    Decision spec = decide(update(TENANT, withdrawing(k), k));
    assertThat(spec.allowed()).isFalse();
    assertThat(spec.message()).contains("spec.user: ApiUser 'alice' does not exist");

    ObjectNode coded = k.deepCopy();
    ((ObjectNode) coded.get("metadata"))
        .putObject("annotations")
        .put("keyward.io/totp-code", "123456@1/uid-k");
    assertThat(decide(update(TENANT, coded, k)).allowed()).isFalse();

    // What grants nothing stays open: a label of another tool, a finalizer removed.
    ObjectNode labelled = k.deepCopy();
    ((ObjectNode) labelled.get("metadata")).putObject("labels").put("team", "desk-1");
    assertThat(decide(update(TENANT, labelled, k)).allowed()).isTrue();

    users.put("alice", owned("alice", List.of("*")));
    assertThat(decide(update(TENANT, withdrawing(k), k)).message())
        .contains("is not an owner of ApiUser 'alice'");
    assertThat(decide(update(OWNER, withdrawing(k), k)).allowed()).isTrue();
  }

  @Test
  void theRefusalLogLineQuotesWhatTheCallerSentBounded() {
    // The endpoint does not authenticate its caller: anyone who reaches the port may POST a review
    // naming any requester, namespace and name. The log line carries them as bounded excerpts.
    Logger log = (Logger) LoggerFactory.getLogger(WebhookServer.class);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    log.addAppender(seen);
    try {
      String huge = "x".repeat(100_000);
      ObjectNode k = key("trading", "k", "alice");
      k.putObject("status").put("phase", "Pending");
      ObjectNode forged = k.deepCopy();
      ((ObjectNode) forged.get("status")).put("phase", "Active");
      ObjectNode review = update(huge, forged, k);
      ((ObjectNode) review.get("request"))
          .put("subResource", "status")
          .put("name", huge)
          .put("namespace", huge);
      new WebhookServer.Answerer(JSON, rules::decide).answer(review);
      ILoggingEvent refused =
          seen.list.stream()
              .filter(e -> e.getMessage().equals("admission refused"))
              .findFirst()
              .orElseThrow();
      for (KeyValuePair kv : refused.getKeyValuePairs()) {
        assertThat(String.valueOf(kv.value)).as(kv.key).hasSizeLessThan(1_000);
      }
      assertThat(refused.getKeyValuePairs())
          .filteredOn(kv -> kv.key.equals("requester"))
          .singleElement()
          .satisfies(kv -> assertThat(kv.value).asString().startsWith("'xxx"));
    } finally {
      log.detachAppender(seen);
    }
  }
}
