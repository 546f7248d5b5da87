package io.keyward.operator.quota;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.kube.UserStatusUpdater;
import io.keyward.operator.quota.SlotLedger.Slot;
import java.util.List;
import java.util.Set;
import java.util.function.IntSupplier;

/** Claims and releases key slots in ApiUser.status.keyRefs (compare and swap, see the updater). */
public final class KeyLedger {
  private final UserStatusUpdater updater;
  private final KeywardConfig config;

  public KeyLedger(UserStatusUpdater updater, KeywardConfig config) {
    this.updater = updater;
    this.config = config;
  }

  /** The user's limit: spec.maxKeys, else the configured default. */
  public int limit(ApiUser user) {
    return user.getSpec() != null && user.getSpec().maxKeys != null
        ? user.getSpec().maxKeys
        : config.keysPerUser();
  }

  /** The ledger as recorded in a user's status. */
  public static List<Slot> slots(ApiUserStatus status) {
    return status == null || status.keyRefs == null
        ? List.of()
        : status.keyRefs.stream().map(r -> new Slot(r.namespace, r.name, r.uid, r.type)).toList();
  }

  /** The ledger of a user. */
  public static List<Slot> slots(ApiUser user) {
    return slots(user.getStatus());
  }

  /** What a claim decided, and the slots of vanished keys it released on the way. */
  public record Claimed(SlotLedger.Decision decision, List<Slot> reclaimed, ApiUser user) {}

  /**
   * Claims a slot for {@code slot}'s key when it holds none, a slot is free and no older key waits
   * (see {@link SlotLedger#decide}); decided again on every conflict.
   *
   * @param cached the user as the cache has it
   * @param atMostWaiting how many of the user's keys, other than this one, hold no slot
   * @param olderWaiting counts those that wait ahead of this one; asked only when slots are short
   */
  public SlotLedger.Decision claim(
      ApiUser cached, Slot slot, int atMostWaiting, IntSupplier olderWaiting) {
    return claim(cached, slot, atMostWaiting, olderWaiting, Set.of()).decision();
  }

  /**
   * As {@link #claim(ApiUser, Slot, int, IntSupplier)}, releasing in the same write the slots of
   * {@code orphans}: keys known to be gone (their uids never come back), so the claim is decided on
   * the ledger without them.
   */
  public Claimed claim(
      ApiUser cached, Slot slot, int atMostWaiting, IntSupplier olderWaiting, Set<String> orphans) {
    return claim(cached, slot, atMostWaiting, olderWaiting, orphans, null);
  }

  /**
   * As {@link #claim(ApiUser, Slot, int, IntSupplier, Set)}, recording {@code grant} with the slot
   * in the same write when the slot is claimed (a key about to be issued: its pending record). A
   * key that already holds its slot gets no grant from this call.
   */
  public Claimed claim(
      ApiUser cached,
      Slot slot,
      int atMostWaiting,
      IntSupplier olderWaiting,
      Set<String> orphans,
      ApiUserStatus.KeyGrant grant) {
    UserStatusUpdater.Updated<Claimed> updated =
        updater.update(
            cached,
            cached.getMetadata().getName(),
            (user, status) -> {
              List<Slot> all = slots(status);
              List<Slot> reclaimed = all.stream().filter(s -> orphans.contains(s.uid())).toList();
              List<Slot> ledger = SlotLedger.without(all, orphans);
              SlotLedger.Decision d =
                  SlotLedger.decide(ledger, limit(user), slot.uid(), atMostWaiting, olderWaiting);
              if (d instanceof SlotLedger.Claim) {
                List<ApiUserStatus.KeyRef> next = without(status.keyRefs, orphans);
                ApiUserStatus.KeyRef claimed = refs(List.of(slot)).get(0);
                claimed.grant = grant;
                next.add(claimed);
                status.keyRefs = next;
                return UserStatusUpdater.Step.write(new Claimed(d, reclaimed, null));
              }
              if (!reclaimed.isEmpty()) {
                status.keyRefs = without(status.keyRefs, orphans);
                return UserStatusUpdater.Step.write(new Claimed(d, reclaimed, null));
              }
              return UserStatusUpdater.Step.keep(new Claimed(d, List.of(), null));
            });
    Claimed c = updated.result();
    return new Claimed(c.decision(), c.reclaimed(), updated.user());
  }

  /**
   * Releases the slots of the given keys; returns the slots released and the user as the server now
   * has it (no slots and a null user when the user is gone).
   */
  public UserStatusUpdater.Updated<List<Slot>> release(String userName, Set<String> uids) {
    try {
      return updater.update(
          null,
          userName,
          (user, status) -> {
            List<Slot> ledger = slots(status);
            List<Slot> released = ledger.stream().filter(s -> uids.contains(s.uid())).toList();
            if (released.isEmpty()) {
              return UserStatusUpdater.Step.keep(released);
            }
            status.keyRefs = without(status.keyRefs, uids);
            return UserStatusUpdater.Step.write(released);
          });
    } catch (UserStatusUpdater.UserNotFoundException e) {
      return new UserStatusUpdater.Updated<>(List.of(), null);
    }
  }

  /**
   * The grant the ledger records for the key {@code uid}: empty when the key holds no slot or was
   * granted nothing yet.
   */
  public static java.util.Optional<ApiUserStatus.KeyGrant> grant(ApiUser user, String uid) {
    return ref(user == null ? null : user.getStatus(), uid).map(r -> r.grant);
  }

  /** The ledger entry of the key {@code uid}. */
  public static java.util.Optional<ApiUserStatus.KeyRef> ref(ApiUserStatus status, String uid) {
    if (status == null || status.keyRefs == null) {
      return java.util.Optional.empty();
    }
    return status.keyRefs.stream().filter(r -> uid.equals(r.uid)).findFirst();
  }

  /** The access keys a grant records, in this order: current, pending, previous. */
  public static List<String> accessKeys(ApiUserStatus.KeyGrant g) {
    List<String> keys = new java.util.ArrayList<>();
    if (g == null) {
      return keys;
    }
    if (g.accessKey != null) {
      keys.add(g.accessKey);
    }
    if (g.pending != null && g.pending.accessKey != null) {
      keys.add(g.pending.accessKey);
    }
    if (g.previous != null && g.previous.accessKey != null) {
      keys.add(g.previous.accessKey);
    }
    return keys;
  }

  /**
   * The uids of the slots whose key no longer exists. A cache shows most keys; one it does not
   * show, or shows with another uid, is looked up on the server, since the cache may lag behind a
   * key that just claimed (on another replica). A uid never comes back, so a key gone is gone for
   * good. A slot in a namespace not {@code watched}, or one the server refuses to show (403: a
   * namespace this operator may no longer read), stays: its key may well exist.
   */
  public static Set<String> vanished(
      List<Slot> slots,
      java.util.function.BiFunction<String, String, java.util.Optional<ApiKey>> cached,
      KubernetesClient client,
      java.util.function.Predicate<String> watched) {
    Set<String> gone = new java.util.HashSet<>();
    for (Slot slot : slots) {
      if (slot.uid() == null
          || slot.namespace() == null
          || slot.name() == null
          || !watched.test(slot.namespace())) {
        continue;
      }
      java.util.Optional<ApiKey> seen = cached.apply(slot.namespace(), slot.name());
      if (seen.isPresent() && slot.uid().equals(seen.get().getMetadata().getUid())) {
        continue;
      }
      ApiKey live;
      try {
        live =
            client
                .resources(ApiKey.class)
                .inNamespace(slot.namespace())
                .withName(slot.name())
                .get();
      } catch (KubernetesClientException e) {
        if (e.getCode() == 403) {
          continue;
        }
        throw e;
      }
      if (live == null || !slot.uid().equals(live.getMetadata().getUid())) {
        gone.add(slot.uid());
      }
    }
    return gone;
  }

  /** A grant's record changed since it was read: the caller reads again and decides again. */
  public static final class GrantChanged extends io.keyward.operator.kube.Stale {
    public GrantChanged(String message) {
      super(message);
    }
  }

  /**
   * Replaces the grant of the key {@code uid} by compare and swap: only while the server still
   * records {@code expected} (what the caller decided on) and the key still holds its slot; else
   * {@link GrantChanged}. Writing what is already recorded is no write.
   *
   * @param next the new grant (null: nothing granted, the slot stays)
   * @return the user as the server now has it
   */
  public ApiUser recordGrant(
      ApiUser cached,
      String userName,
      String uid,
      ApiUserStatus.KeyGrant expected,
      ApiUserStatus.KeyGrant next) {
    if (cached != null) {
      try {
        return recordGrantOn(cached, userName, uid, expected, next);
      } catch (GrantChanged e) {
        // The cached copy may be behind the server: decided again on what the server has.
      }
    }
    return recordGrantOn(null, userName, uid, expected, next);
  }

  private ApiUser recordGrantOn(
      ApiUser cached,
      String userName,
      String uid,
      ApiUserStatus.KeyGrant expected,
      ApiUserStatus.KeyGrant next) {
    try {
      return updater
          .update(
              cached,
              userName,
              (user, status) -> {
                ApiUserStatus.KeyRef ref =
                    ref(status, uid)
                        .orElseThrow(
                            () ->
                                new GrantChanged("the key no longer holds a slot of " + userName));
                if (java.util.Objects.equals(ref.grant, next)) {
                  return UserStatusUpdater.Step.keep(Boolean.FALSE);
                }
                if (!java.util.Objects.equals(ref.grant, expected)) {
                  throw new GrantChanged("the grant recorded in ApiUser " + userName + " changed");
                }
                ref.grant = next;
                return UserStatusUpdater.Step.write(Boolean.TRUE);
              })
          .user();
    } catch (UserStatusUpdater.UserNotFoundException e) {
      throw new GrantChanged("ApiUser " + userName + " no longer exists");
    }
  }

  private static List<ApiUserStatus.KeyRef> without(
      List<ApiUserStatus.KeyRef> refs, Set<String> uids) {
    List<ApiUserStatus.KeyRef> next = new java.util.ArrayList<>();
    if (refs != null) {
      refs.stream().filter(r -> !uids.contains(r.uid)).forEach(next::add);
    }
    return next;
  }

  public static List<ApiUserStatus.KeyRef> refs(List<Slot> slots) {
    return slots.stream()
        .map(
            s -> {
              ApiUserStatus.KeyRef r = new ApiUserStatus.KeyRef();
              r.namespace = s.namespace();
              r.name = s.name();
              r.uid = s.uid();
              r.type = s.type();
              return r;
            })
        .toList();
  }
}
