package io.keyward.operator.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.keyward.operator.MockApiServer;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.api.Condition;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Status writes: only when changed, always as a compare and swap on the read version. */
class StatusWriterTest {
  static MockApiServer api;
  static KubernetesClient client;
  static StatusWriter writer;
  static final Instant T = Instant.parse("2026-12-01T10:00:00Z");

  @BeforeAll
  static void start() {
    api = new MockApiServer();
    client = api.client();
    writer = new StatusWriter(client);
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  @Test
  void anEqualStatusIsNotWritten() {
    ApiKey key = key("same");
    ApiKeyStatus status = new ApiKeyStatus();
    status.phase = "Active";
    key = writer.write(key, status);
    int before = api.requests().size();

    ApiKey again = writer.write(key, StatusWriter.copyOf(key));

    assertThat(again).isSameAs(key);
    assertThat(api.requests()).hasSize(before);
  }

  @Test
  void aChangedStatusIsWrittenWithTheReadResourceVersion() {
    ApiKey key = key("changed");
    String read = key.getMetadata().getResourceVersion();
    ApiKeyStatus status = StatusWriter.copyOf(key);
    status.phase = "Active";
    status.accessKey = "KWCHANGED";

    ApiKey written = writer.write(key, status);

    MockApiServer.Request put = api.writes().get(api.writes().size() - 1);
    assertThat(put.method()).isEqualTo("PUT");
    assertThat(put.path())
        .isEqualTo("/apis/keyward.io/v1alpha1/namespaces/ns/apikeys/changed/status");
    assertThat(
            Serialization.unmarshal(put.body(), JsonNode.class)
                .at("/metadata/resourceVersion")
                .asText())
        .isEqualTo(read);
    assertThat(written.getMetadata().getResourceVersion()).isNotEqualTo(read);
    assertThat(written.getStatus().accessKey).isEqualTo("KWCHANGED");
    ApiKey stored = client.resources(ApiKey.class).inNamespace("ns").withName("changed").get();
    assertThat(stored.getStatus().phase).isEqualTo("Active");
    assertThat(stored.getStatus().accessKey).isEqualTo("KWCHANGED");
    // The resource given is not changed: it may be a cached instance.
    assertThat(key.getStatus()).isNull();
  }

  @Test
  void aStaleResourceVersionIsAConflictAndWritesNothing() {
    ApiUser user = user("stale");
    ApiUserStatus first = new ApiUserStatus();
    first.observedGeneration = 1L;
    writer.write(user, first); // the server moves on; `user` is now stale

    ApiUserStatus second = new ApiUserStatus();
    second.observedGeneration = 2L;
    assertThatThrownBy(() -> writer.write(user, second)).isInstanceOf(StatusWriter.Conflict.class);

    ApiUser stored = client.resources(ApiUser.class).withName("stale").get();
    assertThat(stored.getStatus().observedGeneration).isEqualTo(1L);
  }

  @Test
  void aStatusWriteLeavesTheSpecAlone() {
    ApiKey key = key("spec");
    key.getSpec().note = "edited locally, never sent";
    ApiKeyStatus status = new ApiKeyStatus();
    status.phase = "Pending";
    writer.write(key, status);
    assertThat(
            client.resources(ApiKey.class).inNamespace("ns").withName("spec").get().getSpec().note)
        .isEqualTo("a bot");
  }

  @Test
  void aConditionWhoseTypeChangedIsWritten() {
    ApiUser user = user("typed");
    ApiUserStatus status = new ApiUserStatus();
    status.conditions.add(condition("Verified"));
    user = writer.write(user, status);

    ApiUserStatus next =
        StatusWriter.copy(user.getStatus(), ApiUserStatus.class, ApiUserStatus::new);
    next.conditions = new java.util.ArrayList<>(List.of(condition("Ready")));
    writer.write(user, next);

    assertThat(client.resources(ApiUser.class).withName("typed").get().getStatus().conditions)
        .extracting(c -> c.type)
        .containsExactly("Ready");
  }

  private static Condition condition(String type) {
    Condition c = new Condition(type, "False", "MfaNotEnrolled", "enrol first");
    c.lastTransitionTime = T.toString();
    c.observedGeneration = 1L;
    return c;
  }

  private static ApiKey key(String name) {
    ApiKey k = new ApiKey();
    k.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ns").build());
    k.setSpec(new ApiKeySpec());
    k.getSpec().user = "alice";
    k.getSpec().note = "a bot";
    return client.resource(k).create();
  }

  private static ApiUser user(String name) {
    ApiUser u = new ApiUser();
    u.setMetadata(new ObjectMetaBuilder().withName(name).build());
    u.setSpec(new ApiUserSpec());
    return client.resource(u).create();
  }
}
