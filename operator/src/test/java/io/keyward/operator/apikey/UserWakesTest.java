package io.keyward.operator.apikey;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.kube.StatusWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class UserWakesTest {
  private final UserWakes wakes = new UserWakes();

  private static ApiKey key(String uid) {
    ApiKey k = new ApiKey();
    k.setMetadata(new ObjectMetaBuilder().withName(uid).withNamespace("ns").withUid(uid).build());
    return k;
  }

  private int versions;

  /** The same user as a new version, as the API server would number it. */
  private ApiUser next(ApiUser u) {
    ApiUser copy = StatusWriter.deepCopy(u);
    copy.getMetadata().setResourceVersion(String.valueOf(++versions));
    return copy;
  }

  private ApiUser user(String... holders) {
    ApiUser u = new ApiUser();
    u.setMetadata(
        new ObjectMetaBuilder()
            .withName("alice")
            .withUid("user-1")
            .withResourceVersion(String.valueOf(++versions))
            .build());
    u.setSpec(new ApiUserSpec());
    u.getSpec().namespaces = List.of("ns");
    u.setStatus(new ApiUserStatus());
    for (String h : holders) {
      ApiUserStatus.KeyRef r = new ApiUserStatus.KeyRef();
      r.uid = h;
      u.getStatus().keyRefs.add(r);
    }
    return u;
  }

  private static List<String> names(List<ApiKey> keys) {
    return keys.stream().map(k -> k.getMetadata().getName()).toList();
  }

  @Test
  void aLedgerChangeWakesOnlyTheKeysWithoutASlot() {
    List<ApiKey> keys = List.of(key("a"), key("b"), key("c"));
    assertThat(names(wakes.wake(user("a"), keys))).as("first sight: all").hasSize(3);
    assertThat(names(wakes.wake(user("a", "b"), keys))).containsExactly("c");
    assertThat(names(wakes.wake(user("a", "b", "c"), keys))).isEmpty();
  }

  @Test
  void anAccountChangeWakesEveryKeyOncePerVersion() {
    List<ApiKey> keys = List.of(key("a"), key("b"));
    wakes.wake(user("a", "b"), keys);
    ApiUser suspended = next(user("a", "b"));
    suspended.getSpec().suspended = true;
    assertThat(wakes.wake(suspended, keys)).hasSize(2);
    // JOSDK may map one informer event more than once (an index, then the event itself).
    assertThat(wakes.wake(suspended, keys)).as("the same version again").hasSize(2);
    ApiUser enrolled = next(suspended);
    enrolled.getStatus().mfa = new ApiUserStatus.MfaStatus();
    enrolled.getStatus().mfa.confirmed = true;
    assertThat(wakes.wake(enrolled, keys)).hasSize(2);
    assertThat(wakes.wake(next(enrolled), keys)).as("nothing changed").isEmpty();
  }

  @Test
  void aForgottenUserWakesEveryKeyWhenItComesBack() {
    List<ApiKey> keys = List.of(key("a"));
    wakes.wake(user("a"), keys);
    assertThat(wakes.wake(user("a"), keys)).isEmpty();
    wakes.forget("alice");
    assertThat(wakes.wake(user("a"), keys)).hasSize(1);
  }
}
