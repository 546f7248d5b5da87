package io.keyward.operator.kube;

import io.keyward.operator.api.ApiUser;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * The ApiUser controller's informer store, shared with the ApiKey controller: that controller reads
 * each key's user from it and hears of every change to a user. Before, it watched the users with an
 * informer of its own, which held a second copy of every user and parsed every user event twice;
 * under load most user events are slot claims, each carrying the user's whole ledger.
 */
public final class ApiUserStore extends SharedItemStore<ApiUser> {
  private volatile BiConsumer<ApiUser, ApiUser> listener = (before, after) -> {};

  /**
   * Whom to tell of each change: the user before (null when added) and after (null when removed).
   * The listener runs on the informer's thread and must not block.
   */
  public void onChange(BiConsumer<ApiUser, ApiUser> listener) {
    this.listener = Objects.requireNonNull(listener);
  }

  /** The cached user of that name, if any (users are cluster-scoped). */
  public Optional<ApiUser> find(String name) {
    return Optional.ofNullable(get(name));
  }

  @Override
  public ApiUser put(String key, ApiUser obj) {
    ApiUser previous = super.put(key, obj);
    listener.accept(previous, obj);
    return previous;
  }

  @Override
  public ApiUser remove(String key) {
    ApiUser removed = super.remove(key);
    if (removed != null) {
      listener.accept(removed, null);
    }
    return removed;
  }
}
