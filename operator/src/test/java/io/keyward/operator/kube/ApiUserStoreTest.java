package io.keyward.operator.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The user cache the two controllers share, and what it tells the ApiKey controller. */
class ApiUserStoreTest {
  private final ApiUserStore store = new ApiUserStore();
  private final List<String> told = new ArrayList<>();

  ApiUserStoreTest() {
    store.onChange((before, after) -> told.add(version(before) + "->" + version(after)));
  }

  private static String version(ApiUser u) {
    return u == null ? "none" : u.getMetadata().getResourceVersion();
  }

  private static ApiUser user(String name, String version) {
    ApiUser u = new ApiUser();
    u.setMetadata(new ObjectMetaBuilder().withName(name).withResourceVersion(version).build());
    return u;
  }

  @Test
  void everyChangeIsToldWithTheVersionBeforeAndAfter() {
    store.put(store.getKey(user("alice", "1")), user("alice", "1"));
    store.put("alice", user("alice", "2"));
    store.remove("alice");
    store.remove("alice");
    assertThat(told).containsExactly("none->1", "1->2", "2->none");
  }

  @Test
  void usersAreFoundByNameTheirCacheKey() {
    ApiUser alice = user("alice", "7");
    store.put(store.getKey(alice), alice);
    assertThat(store.getKey(alice)).isEqualTo("alice");
    assertThat(store.find("alice"))
        .get()
        .extracting(ApiUser::getMetadata)
        .satisfies(m -> assertThat(m.getResourceVersion()).isEqualTo("7"));
    assertThat(store.find("bob")).isEmpty();
  }

  @Test
  void theStoreIsListedWhenItsSignalStarts() {
    SimpleInboundEventSource<ApiKey> signal = store.listedSignal("apiusers-listed");
    assertThat(store.synced()).isFalse();
    signal.start();
    assertThat(store.synced()).isTrue();
  }
}
