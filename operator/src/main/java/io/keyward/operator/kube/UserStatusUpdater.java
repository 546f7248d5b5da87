package io.keyward.operator.kube;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserStatus;

/**
 * Changes an ApiUser's status by compare and swap: the write carries the resourceVersion that was
 * read, and on 409 the user is read again and the change decided again on what the server has. This
 * is what keeps the quota ledger and the TOTP replay record exact with any number of writers.
 */
public final class UserStatusUpdater {
  private static final int ATTEMPTS = 50;

  private final KubernetesClient client;
  private final StatusWriter statusWriter;

  public UserStatusUpdater(KubernetesClient client, StatusWriter statusWriter) {
    this.client = client;
    this.statusWriter = statusWriter;
  }

  /** A change: decides on a user and a copy of its status, and says whether to write the copy. */
  public interface Change<T> {
    Step<T> apply(ApiUser user, ApiUserStatus status);
  }

  /** What a change decided. */
  public record Step<T>(T result, boolean write) {
    public static <T> Step<T> write(T result) {
      return new Step<>(result, true);
    }

    public static <T> Step<T> keep(T result) {
      return new Step<>(result, false);
    }
  }

  /** The decision that was written (or needed no write), and the user as the server has it. */
  public record Updated<T>(T result, ApiUser user) {}

  /** Raised when the user does not exist (any more). */
  public static final class UserNotFoundException extends RuntimeException {
    public UserNotFoundException(String user) {
      super("ApiUser " + user + " does not exist", null, false, false);
    }
  }

  /**
   * Applies {@code change} to the user's status and writes it, retrying on conflict.
   *
   * @param cached the user as a cache has it (may be stale or null: then it is read)
   */
  public <T> Updated<T> update(ApiUser cached, String name, Change<T> change) {
    // A cached copy of another user is never written on.
    ApiUser user =
        cached != null && name.equals(cached.getMetadata().getName()) ? cached : read(name);
    for (int attempt = 1; ; attempt++) {
      if (user == null) {
        throw new UserNotFoundException(name);
      }
      ApiUserStatus status =
          StatusWriter.copy(user.getStatus(), ApiUserStatus.class, ApiUserStatus::new);
      Step<T> step = change.apply(user, status);
      if (!step.write()) {
        return new Updated<>(step.result(), user);
      }
      if (status.keys == null) {
        status.keys = new ApiUserStatus.KeyCount();
      }
      status.keys.used = status.keyRefs.size();
      try {
        return new Updated<>(step.result(), statusWriter.write(user, status));
      } catch (StatusWriter.Conflict e) {
        if (attempt >= ATTEMPTS) {
          throw e;
        }
        user = read(name);
      }
    }
  }

  private ApiUser read(String name) {
    return client.resources(ApiUser.class).withName(name).get();
  }
}
