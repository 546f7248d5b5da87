package io.keyward.operator.quota;

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
  public record Claimed(SlotLedger.Decision decision, List<Slot> reclaimed) {}

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
    return updater
        .update(
            cached,
            cached.getMetadata().getName(),
            (user, status) -> {
              List<Slot> all = slots(status);
              List<Slot> reclaimed = all.stream().filter(s -> orphans.contains(s.uid())).toList();
              List<Slot> ledger = SlotLedger.without(all, orphans);
              SlotLedger.Decision d =
                  SlotLedger.decide(ledger, limit(user), slot.uid(), atMostWaiting, olderWaiting);
              if (d instanceof SlotLedger.Claim) {
                status.keyRefs = new java.util.ArrayList<>(refs(SlotLedger.with(ledger, slot)));
                return UserStatusUpdater.Step.write(new Claimed(d, reclaimed));
              }
              if (!reclaimed.isEmpty()) {
                status.keyRefs = new java.util.ArrayList<>(refs(ledger));
                return UserStatusUpdater.Step.write(new Claimed(d, reclaimed));
              }
              return UserStatusUpdater.Step.keep(new Claimed(d, List.of()));
            })
        .result();
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
            status.keyRefs = new java.util.ArrayList<>(refs(SlotLedger.without(ledger, uids)));
            return UserStatusUpdater.Step.write(released);
          });
    } catch (UserStatusUpdater.UserNotFoundException e) {
      return new UserStatusUpdater.Updated<>(List.of(), null);
    }
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
