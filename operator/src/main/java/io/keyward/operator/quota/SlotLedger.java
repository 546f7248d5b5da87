package io.keyward.operator.quota;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * The per-user key limit as decisions over a ledger of slots. The ledger itself lives in the
 * ApiUser's status and is only changed by compare-and-swap writes; this class decides what such a
 * write should contain, and nothing else.
 */
public final class SlotLedger {
  /** How many holders a waiting message names before it abbreviates. */
  private static final int NAMED = 10;

  private SlotLedger() {}

  /** One slot: the key holding it. */
  public record Slot(String namespace, String name, String uid, String type) {
    /** namespace/name. */
    public String id() {
      return namespace + "/" + name;
    }
  }

  /** A key that could take a slot, for the oldest-first order. */
  public record Candidate(String uid, String namespace, String name, Instant created) {}

  /** Oldest first; keys created in the same second are ordered by namespace, then name. */
  public static final Comparator<Candidate> OLDEST_FIRST =
      Comparator.comparing(Candidate::created, Comparator.nullsLast(Comparator.naturalOrder()))
          .thenComparing(Candidate::namespace)
          .thenComparing(Candidate::name);

  /** What a key may do. */
  public sealed interface Decision {}

  /** The key already holds a slot. */
  public record Holds() implements Decision {}

  /** A slot is free and no older key waits for it: claim it. */
  public record Claim() implements Decision {}

  /**
   * No slot for this key now.
   *
   * @param olderWaiting keys that wait ahead of this one
   */
  public record Wait(List<Slot> holders, int limit, int olderWaiting) implements Decision {
    /** A message that names the keys holding the slots. */
    public String message(String user) {
      StringBuilder m = new StringBuilder();
      m.append("ApiUser ")
          .append(user)
          .append(" has ")
          .append(holders.size())
          .append(" of ")
          .append(limit)
          .append(" key slots in use");
      if (!holders.isEmpty()) {
        m.append(", held by ");
        m.append(String.join(", ", holders.stream().limit(NAMED).map(Slot::id).toList()));
        if (holders.size() > NAMED) {
          m.append(" and ").append(holders.size() - NAMED).append(" more");
        }
      }
      if (olderWaiting > 0) {
        m.append("; ").append(olderWaiting).append(" older keys wait ahead of this one");
      }
      m.append("; the key is issued when a slot frees (delete a key or raise spec.maxKeys)");
      return m.toString();
    }
  }

  /**
   * The decision for the key {@code uid}.
   *
   * @param olderWaiting keys without a slot that are older than this one and could take one
   */
  public static Decision decide(List<Slot> ledger, int limit, String uid, int olderWaiting) {
    if (ledger.stream().anyMatch(s -> s.uid().equals(uid))) {
      return new Holds();
    }
    int free = limit - ledger.size();
    if (free > olderWaiting) {
      return new Claim();
    }
    return new Wait(List.copyOf(ledger), limit, olderWaiting);
  }

  /**
   * As {@link #decide(List, int, String, int)}, with the keys ahead counted only when it matters:
   * when more slots are free than {@code atMostWaiting} (keys without a slot, older or not), none
   * can be ahead, and {@code olderWaiting} is not asked. Counting them validates every waiting key
   * of the user, and with many keys per user that made each claim cost as much as the user's keys.
   */
  public static Decision decide(
      List<Slot> ledger, int limit, String uid, int atMostWaiting, IntSupplier olderWaiting) {
    if (limit - ledger.size() > atMostWaiting
        || ledger.stream().anyMatch(s -> s.uid().equals(uid))) {
      return decide(ledger, limit, uid, 0);
    }
    return decide(ledger, limit, uid, olderWaiting.getAsInt());
  }

  /** How many of {@code waiting} (keys without a slot) come before {@code me}. */
  public static int olderThan(Candidate me, List<Candidate> waiting) {
    return (int)
        waiting.stream()
            .filter(c -> !c.uid().equals(me.uid()))
            .filter(c -> OLDEST_FIRST.compare(c, me) < 0)
            .count();
  }

  /** The ledger with {@code slot} added (unchanged if its key already holds one). */
  public static List<Slot> with(List<Slot> ledger, Slot slot) {
    List<Slot> next = new ArrayList<>(ledger);
    if (next.stream().noneMatch(s -> s.uid().equals(slot.uid()))) {
      next.add(slot);
    }
    return next;
  }

  /** The ledger without the slots of the given keys. */
  public static List<Slot> without(List<Slot> ledger, Set<String> uids) {
    return ledger.stream().filter(s -> !uids.contains(s.uid())).toList();
  }
}
