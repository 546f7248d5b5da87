package io.keyward.operator.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The key cache the two controllers share, and what it tells the ApiUser controller. */
class ApiKeyStoreTest {
  private final ApiKeyStore store = new ApiKeyStore();
  private final List<Set<String>> told = new ArrayList<>();

  ApiKeyStoreTest() {
    store.onUsersChanged(told::add);
  }

  private static ApiKey key(String user, String issuedFor, String version) {
    ApiKey k = new ApiKey();
    k.setMetadata(
        new ObjectMetaBuilder()
            .withName("bot")
            .withNamespace("ns")
            .withUid("uid-1")
            .withResourceVersion(version)
            .build());
    k.setSpec(new ApiKeySpec());
    k.getSpec().user = user;
    if (issuedFor != null) {
      k.setStatus(new ApiKeyStatus());
      k.getStatus().effective = new ApiKeyStatus.Effective();
      k.getStatus().effective.user = issuedFor;
    }
    return k;
  }

  @Test
  void anAddedOrOtherwiseUpdatedKeyFreesNoSlotAndIsNotTold() {
    store.put("ns/bot", key("alice", null, "1"));
    store.put("ns/bot", key("alice", "alice", "2"));
    assertThat(told).isEmpty();
    assertThat(store.find("ns", "bot")).get().extracting(k -> k.getSpec().user).isEqualTo("alice");
    assertThat(store.find("ns", "other")).isEmpty();
  }

  @Test
  void aRemovedKeyTellsItsUsersAlsoWhenNoFinalizerRan() {
    store.put("ns/bot", key("bob", "alice", "1"));
    store.remove("ns/bot");
    assertThat(told).containsExactly(Set.of("alice", "bob"));
    assertThat(store.find("ns", "bot")).isEmpty();
  }

  @Test
  void aKeyMovedToAnotherUserTellsBoth() {
    store.put("ns/bot", key("alice", "alice", "1"));
    store.put("ns/bot", key("bob", null, "2"));
    assertThat(told).containsExactly(Set.of("alice", "bob"));
  }

  @Test
  void aKeyThatStartsBeingDeletedTellsItsUser() {
    store.put("ns/bot", key("alice", "alice", "1"));
    ApiKey deleting = key("alice", "alice", "2");
    deleting.getMetadata().setDeletionTimestamp("2026-11-27T10:00:00Z");
    store.put("ns/bot", deleting);
    assertThat(told).containsExactly(Set.of("alice"));
  }

  @Test
  void itIsNotSyncedUntilTheInformerListed() {
    assertThat(store.synced()).isFalse();
    store.markSynced();
    assertThat(store.synced()).isTrue();
  }
}
