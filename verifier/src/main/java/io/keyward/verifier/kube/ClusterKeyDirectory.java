package io.keyward.verifier.kube;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keyward.verifier.core.KeyDirectory;
import io.keyward.verifier.core.KeyEntry;
import io.keyward.verifier.kube.ClusterRecords.Key;
import io.keyward.verifier.kube.ClusterRecords.KeyRef;
import io.keyward.verifier.kube.ClusterRecords.User;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys of the cluster, from informers on ApiUsers (cluster-scoped), ApiKeys and Keyward's
 * Secrets (labelled {@code app.kubernetes.io/managed-by=keyward}), in all namespaces or in a given
 * set. An event recomputes only what it concerns: an ApiUser event the keys of that user, an ApiKey
 * event that key (by uid), a Secret event the keys whose grant names it; so an event costs the keys
 * of one user at most, and a lookup is one map read. Entries are built by {@link EntryBuilder}: the
 * grant is the only authority, the ApiKey and the Secret only narrow. A key whose ApiKey is gone
 * (deleted, even without its finalizer) keeps a {@code REVOKED} entry for as long as its grant is
 * in the ledger, so it is refused at once, and as revoked rather than unknown.
 */
public final class ClusterKeyDirectory implements KeyDirectory, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterKeyDirectory.class);

  private final KubernetesClient client;
  private final Set<String> namespaces;
  // Read on every request (ready()): never behind the lock the events take.
  private final List<Feed<?>> feeds = new CopyOnWriteArrayList<>();

  /** What verification reads: access key to entry. */
  private final Map<String, KeyEntry> entries = new ConcurrentHashMap<>();

  // The records the entries are built from, changed under `this` by the informers' threads.
  private final Map<String, User> users = new HashMap<>();
  private final Map<String, Holder> grants = new HashMap<>();
  private final Map<String, Key> keys = new ConcurrentHashMap<>();
  private final Map<String, SecretMaterial> secrets = new HashMap<>();
  private final Map<String, Set<String>> keysOfSecret = new HashMap<>();
  private final Map<String, Set<String>> accessKeysOf = new HashMap<>();

  /** A key's grant and the user whose ledger holds it. */
  private record Holder(User user, KeyRef ref) {
    String secretId() {
      return ref.grant() == null || ref.grant().secretName() == null
          ? null
          : ref.namespace() + "/" + ref.grant().secretName();
    }
  }

  /**
   * A directory of the keys in {@code namespaces} (empty: in all namespaces), read through {@code
   * client}; nothing is watched until {@link #start()}.
   */
  public ClusterKeyDirectory(KubernetesClient client, Collection<String> namespaces) {
    this.client = client;
    this.namespaces = Set.copyOf(namespaces);
  }

  /**
   * Starts the informers and returns at once; {@link #ready()} says when all have listed. Needs
   * get, list and watch on apiusers (cluster-wide), apikeys and secrets (in the namespaces).
   */
  public synchronized ClusterKeyDirectory start() {
    if (!feeds.isEmpty()) {
      return this;
    }
    SharedIndexInformer<GenericKubernetesResource> users =
        client.genericKubernetesResources(ClusterRecords.API_USERS).runnableInformer(0);
    start(users, GenericKubernetesResource::new, this::userChanged, this::userDeleted);
    if (namespaces.isEmpty()) {
      start(
          client.genericKubernetesResources(ClusterRecords.API_KEYS).inAnyNamespace(),
          client.secrets().inAnyNamespace());
    } else {
      for (String ns : namespaces) {
        start(
            client.genericKubernetesResources(ClusterRecords.API_KEYS).inNamespace(ns),
            client.secrets().inNamespace(ns));
      }
    }
    return this;
  }

  private void start(
      io.fabric8.kubernetes.client.dsl.Informable<GenericKubernetesResource> apiKeys,
      io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable<
              Secret, ?, ? extends io.fabric8.kubernetes.client.dsl.Resource<Secret>>
          secrets) {
    start(
        apiKeys.runnableInformer(0),
        GenericKubernetesResource::new,
        this::keyChanged,
        this::keyDeleted);
    start(
        secrets
            .withLabel(ClusterRecords.MANAGED_BY, ClusterRecords.MANAGED_BY_VALUE)
            .runnableInformer(0),
        Secret::new,
        this::secretChanged,
        this::secretDeleted);
  }

  private <T extends HasMetadata> void start(
      SharedIndexInformer<T> informer,
      java.util.function.Supplier<T> fresh,
      Consumer<T> changed,
      Consumer<T> deleted) {
    Feed<T> feed = new Feed<>(informer);
    informer.itemStore(new SlimStore<>(fresh));
    informer.addEventHandler(
        new ResourceEventHandler<T>() {
          @Override
          public void onAdd(T obj) {
            changed.accept(obj);
            feed.handled(obj);
          }

          @Override
          public void onUpdate(T oldObj, T newObj) {
            changed.accept(newObj);
            feed.handled(newObj);
          }

          @Override
          public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            deleted.accept(obj);
          }
        });
    feeds.add(feed);
    informer
        .start()
        .whenComplete(
            (ok, failure) -> {
              if (failure != null) {
                // The API server's answer could quote what it was sent: only the kind is logged.
                LOG.atWarn()
                    .setMessage("an informer of the key directory did not start")
                    .addKeyValue("kind", informer.getApiTypeClass().getSimpleName())
                    .addKeyValue("error", failure.getClass().getSimpleName())
                    .log();
              }
            });
  }

  /**
   * One informer and how far its handler got. An informer counts as synced once it has listed, but
   * its handler is told of what it listed on another thread, later: until the handler has handled
   * every object of the store at the version the store holds, the directory does not know them all
   * yet. Once it has, that is latched (and the record dropped): after that, events are the ordinary
   * catching up of any watch.
   */
  private static final class Feed<T extends HasMetadata> {
    final SharedIndexInformer<T> informer;
    private final Map<String, String> handled = new ConcurrentHashMap<>();
    private volatile boolean caughtUp;

    Feed(SharedIndexInformer<T> informer) {
      this.informer = informer;
    }

    void handled(T obj) {
      if (!caughtUp) {
        handled.put(key(obj), String.valueOf(obj.getMetadata().getResourceVersion()));
      }
    }

    boolean ready() {
      if (!informer.isRunning() || !informer.hasSynced()) {
        return false;
      }
      if (caughtUp) {
        return true;
      }
      for (T listed : informer.getStore().list()) {
        String version = String.valueOf(listed.getMetadata().getResourceVersion());
        if (!version.equals(handled.get(key(listed)))) {
          return false;
        }
      }
      caughtUp = true;
      handled.clear();
      return true;
    }

    private static String key(HasMetadata obj) {
      return obj.getMetadata().getNamespace() + "/" + obj.getMetadata().getName();
    }
  }

  /**
   * True once every informer has listed and the directory has taken in all it listed, and while all
   * run: before, no key may be refused as unknown. A watch being re-established keeps the directory
   * ready (its cache is still the last list's, and the informer catches up); an informer that
   * stopped does not.
   */
  @Override
  public boolean ready() {
    return !feeds.isEmpty() && feeds.stream().allMatch(Feed::ready);
  }

  @Override
  public KeyEntry find(String accessKey) {
    return accessKey == null ? null : entries.get(accessKey);
  }

  /** How many access keys the directory knows (current and previous keys). */
  public int size() {
    return entries.size();
  }

  /** The ApiKey with this uid as the informer last showed it, or null. */
  Key key(String uid) {
    return uid == null ? null : keys.get(uid);
  }

  @Override
  public void close() {
    feeds.forEach(f -> f.informer.stop());
  }

  // --- events ---

  private synchronized void userChanged(GenericKubernetesResource r) {
    User next = ClusterRecords.user(r);
    User before = users.put(next.name(), next);
    Set<String> concerned = new LinkedHashSet<>();
    if (before != null) {
      for (KeyRef ref : before.keyRefs()) {
        concerned.add(ref.uid());
        Holder h = grants.get(ref.uid());
        if (h != null && h.user().name().equals(before.name())) {
          setGrant(ref.uid(), null);
        }
      }
    }
    for (KeyRef ref : next.keyRefs()) {
      if (watched(ref.namespace())) {
        concerned.add(ref.uid());
        setGrant(ref.uid(), new Holder(next, ref));
      }
    }
    concerned.forEach(this::recompute);
  }

  private synchronized void userDeleted(GenericKubernetesResource r) {
    User before = users.remove(r.getMetadata().getName());
    if (before == null) {
      return;
    }
    for (KeyRef ref : before.keyRefs()) {
      Holder h = grants.get(ref.uid());
      if (h != null && h.user().name().equals(before.name())) {
        setGrant(ref.uid(), null);
        recompute(ref.uid());
      }
    }
  }

  private synchronized void keyChanged(GenericKubernetesResource r) {
    Key next = ClusterRecords.key(r);
    if (next.uid() == null) {
      return;
    }
    Key before = keys.put(next.uid(), next);
    // The verifier's own last-use writes change only the version and lastUsedAt: nothing to build.
    if (before == null || !before.narrowing().equals(next.narrowing())) {
      recompute(next.uid());
    }
  }

  private synchronized void keyDeleted(GenericKubernetesResource r) {
    String uid = r.getMetadata().getUid();
    if (uid != null && keys.remove(uid) != null) {
      recompute(uid);
    }
  }

  private synchronized void secretChanged(Secret s) {
    String id = s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
    SecretMaterial material = SecretMaterial.of(s);
    if (material == null) {
      secrets.remove(id);
    } else {
      secrets.put(id, material);
    }
    recomputeKeysOf(id);
  }

  private synchronized void secretDeleted(Secret s) {
    String id = s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
    if (secrets.remove(id) != null) {
      recomputeKeysOf(id);
    }
  }

  // --- the index ---

  private void recomputeKeysOf(String secretId) {
    Set<String> uids = keysOfSecret.get(secretId);
    if (uids != null) {
      List.copyOf(uids).forEach(this::recompute);
    }
  }

  /** Records the grant of a key (null: none), and which Secret it names. */
  private void setGrant(String uid, Holder holder) {
    Holder before = holder == null ? grants.remove(uid) : grants.put(uid, holder);
    String was = before == null ? null : before.secretId();
    String is = holder == null ? null : holder.secretId();
    if (Objects.equals(was, is)) {
      return;
    }
    if (was != null) {
      Set<String> of = keysOfSecret.get(was);
      if (of != null && of.remove(uid) && of.isEmpty()) {
        keysOfSecret.remove(was);
      }
    }
    if (is != null) {
      keysOfSecret.computeIfAbsent(is, x -> new HashSet<>()).add(uid);
    }
  }

  /**
   * Builds the entries of one key again and swaps them in: the new ones are put before the stale
   * ones go, so a key that stays in force is never missing for a moment.
   */
  private void recompute(String uid) {
    Holder h = grants.get(uid);
    List<KeyEntry> next =
        h == null ? List.of() : EntryBuilder.entries(h.user(), h.ref(), keys.get(uid), material(h));
    Set<String> now = new HashSet<>();
    for (KeyEntry e : next) {
      KeyEntry other = entries.get(e.accessKey());
      if (other != null && !other.uid().equals(uid)) {
        // The operator never grants one access key twice; were it recorded so, neither verifies.
        LOG.atWarn()
            .setMessage("an access key is granted to two keys; neither is used")
            .addKeyValue("uid", uid)
            .addKeyValue("otherUid", other.uid())
            .log();
        entries.remove(e.accessKey());
        continue;
      }
      entries.put(e.accessKey(), e);
      now.add(e.accessKey());
    }
    Set<String> before = now.isEmpty() ? accessKeysOf.remove(uid) : accessKeysOf.put(uid, now);
    if (before != null) {
      for (String accessKey : before) {
        if (!now.contains(accessKey)) {
          entries.computeIfPresent(accessKey, (k, e) -> e.uid().equals(uid) ? null : e);
        }
      }
    }
  }

  private SecretMaterial material(Holder h) {
    String id = h.secretId();
    return id == null ? null : secrets.get(id);
  }

  private boolean watched(String namespace) {
    return namespace != null && (namespaces.isEmpty() || namespaces.contains(namespace));
  }
}
