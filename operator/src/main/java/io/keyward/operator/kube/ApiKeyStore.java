package io.keyward.operator.kube;

import io.keyward.operator.api.ApiKey;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The ApiKey controller's informer store, shared with the ApiUser controller: that controller needs
 * to know which keys exist (a slot whose key is gone is reclaimed) and to hear when a key stops
 * being, or may stop being, one of a user's. One cache of the keys serves both; a second informer
 * of its own would hold a second copy of every key and parse every key event twice.
 *
 * <p>The store tells its listener the users of a key that was removed (deleted, also when its
 * finalizer was taken off by hand), that started being deleted, or whose user changed. Additions
 * and other updates are not told: they free no slot.
 */
public final class ApiKeyStore extends SharedItemStore<ApiKey> {
  private volatile Consumer<Set<String>> listener = users -> {};

  /** Whom to tell; the listener runs on the informer's thread and must not block. */
  public void onUsersChanged(Consumer<Set<String>> listener) {
    this.listener = Objects.requireNonNull(listener);
  }

  /** The cached key of that name, if any. */
  public Optional<ApiKey> find(String namespace, String name) {
    return Optional.ofNullable(get(namespace + "/" + name));
  }

  @Override
  public ApiKey put(String key, ApiKey obj) {
    ApiKey previous = super.put(key, obj);
    if (previous != null
        && (!owners(previous).equals(owners(obj))
            || !Objects.equals(
                previous.getMetadata().getDeletionTimestamp(),
                obj.getMetadata().getDeletionTimestamp()))) {
      Set<String> users = owners(previous);
      users.addAll(owners(obj));
      listener.accept(users);
    }
    return previous;
  }

  @Override
  public ApiKey remove(String key) {
    ApiKey removed = super.remove(key);
    if (removed != null) {
      listener.accept(owners(removed));
    }
    return removed;
  }

  /**
   * The users a key belongs to, in this order: its spec's, and the one it was issued for (they
   * differ after the spec moved the key to another user).
   */
  public static Set<String> owners(ApiKey k) {
    Set<String> owners = new LinkedHashSet<>();
    if (k.getSpec() != null && k.getSpec().user != null) {
      owners.add(k.getSpec().user);
    }
    if (k.getStatus() != null
        && k.getStatus().effective != null
        && k.getStatus().effective.user != null) {
      owners.add(k.getStatus().effective.user);
    }
    return owners;
  }
}
