package io.keyward.operator.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretList;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Every version of some Secrets that the API server sent on a watch opened before any of them
 * existed. A Secret that looks the same at the end may still have been written twice (a second key
 * generated, then the first put back, or a Secret deleted and created again); its history shows it.
 */
final class SecretHistory implements AutoCloseable {
  /** One version of a Secret as the watch delivered it. */
  record Version(String action, String uid, String resourceVersion, Map<String, String> data) {
    @Override
    public String toString() {
      // Never the data itself: a failure report must not print secret values.
      return action
          + " uid="
          + uid
          + " rv="
          + resourceVersion
          + " data#"
          + Integer.toHexString(Objects.hashCode(data));
    }
  }

  private final Set<String> names;
  private final Map<String, List<Version>> versions = new ConcurrentHashMap<>();
  private final List<String> closed = new CopyOnWriteArrayList<>();
  private final Watch watch;

  private SecretHistory(String namespace, Collection<String> names) {
    this.names = Set.copyOf(names);
    SecretList existing = Fixtures.client().secrets().inNamespace(namespace).list();
    assertThat(existing.getItems())
        .as("the history must start before any of %s exists", names)
        .noneMatch(s -> this.names.contains(s.getMetadata().getName()));
    // From the list's resourceVersion: whenever the watch opens, it misses no write after the list.
    this.watch =
        Fixtures.client()
            .secrets()
            .inNamespace(namespace)
            .watch(
                new ListOptionsBuilder()
                    .withResourceVersion(existing.getMetadata().getResourceVersion())
                    .build(),
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Secret s) {
                    String name = s.getMetadata().getName();
                    if (SecretHistory.this.names.contains(name)) {
                      versions
                          .computeIfAbsent(name, n -> new CopyOnWriteArrayList<>())
                          .add(
                              new Version(
                                  action.name(),
                                  s.getMetadata().getUid(),
                                  s.getMetadata().getResourceVersion(),
                                  s.getData() == null ? Map.of() : Map.copyOf(s.getData())));
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {
                    closed.add(String.valueOf(cause));
                  }
                });
  }

  /** Starts recording the Secrets of these names in the namespace; none may exist yet. */
  static SecretHistory of(String namespace, Collection<String> names) {
    return new SecretHistory(namespace, names);
  }

  /**
   * Each Secret was created once and its data never changed: one uid, one set of data, never
   * deleted. Metadata-only updates are allowed.
   */
  void assertEachWrittenOnce() {
    assertThat(closed).as("the watch closed early, so the history is incomplete").isEmpty();
    List<String> wrong = new ArrayList<>();
    for (String name : names) {
      List<Version> seen = versions.getOrDefault(name, List.of());
      long uids = seen.stream().map(Version::uid).distinct().count();
      long data = seen.stream().map(Version::data).distinct().count();
      boolean deleted = seen.stream().anyMatch(v -> v.action().equals("DELETED"));
      if (seen.isEmpty() || uids != 1 || data != 1 || deleted) {
        wrong.add(name + ": " + seen);
      }
    }
    assertThat(wrong).as("Secrets not written exactly once").isEmpty();
  }

  /** The one data version of a Secret written once. */
  Map<String, String> data(String name) {
    assertEachWrittenOnce();
    return versions.get(name).get(0).data();
  }

  @Override
  public void close() {
    watch.close();
  }
}
