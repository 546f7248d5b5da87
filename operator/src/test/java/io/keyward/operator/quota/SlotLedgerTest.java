package io.keyward.operator.quota;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.quota.SlotLedger.Candidate;
import io.keyward.operator.quota.SlotLedger.Slot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SlotLedgerTest {
  private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");

  private static Slot slot(int i) {
    return new Slot("ns", "k" + i, "uid-" + i, "spot");
  }

  private static List<Slot> ledger(int n) {
    List<Slot> l = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(slot(i));
    }
    return l;
  }

  @Test
  void aHolderKeepsItsSlotEvenOverTheLimit() {
    assertThat(SlotLedger.decide(ledger(5), 3, "uid-4", 0)).isInstanceOf(SlotLedger.Holds.class);
  }

  @Test
  void claimsWhileSlotsAreFreeAndNobodyOlderWaits() {
    assertThat(SlotLedger.decide(ledger(4), 5, "new", 0)).isInstanceOf(SlotLedger.Claim.class);
    assertThat(SlotLedger.decide(ledger(0), 5, "new", 4)).isInstanceOf(SlotLedger.Claim.class);
  }

  @Test
  void waitsWhenFullOrWhenOlderKeysTakeTheFreeSlots() {
    SlotLedger.Decision full = SlotLedger.decide(ledger(5), 5, "new", 0);
    assertThat(full).isInstanceOf(SlotLedger.Wait.class);
    String message = ((SlotLedger.Wait) full).message("alice");
    assertThat(message)
        .contains("5 of 5 key slots", "ns/k0", "ns/k4", "alice")
        .doesNotContain("wait ahead");
    SlotLedger.Decision behind = SlotLedger.decide(ledger(3), 5, "new", 2);
    assertThat(behind).isInstanceOf(SlotLedger.Wait.class);
    assertThat(((SlotLedger.Wait) behind).message("alice")).contains("2 older keys wait ahead");
    // A limit lowered below the slots in use: nobody is evicted, nobody new gets in.
    assertThat(SlotLedger.decide(ledger(5), 2, "new", 0)).isInstanceOf(SlotLedger.Wait.class);
    assertThat(SlotLedger.decide(ledger(0), 0, "new", 0)).isInstanceOf(SlotLedger.Wait.class);
  }

  @Test
  void keysAheadAreCountedOnlyWhenFreeSlotsCouldRunShort() {
    int[] asked = {0};
    java.util.function.IntSupplier twoAhead =
        () -> {
          asked[0]++;
          return 2;
        };
    // 3 free, at most 2 keys without a slot: nobody can be ahead, so nobody is counted.
    assertThat(SlotLedger.decide(ledger(2), 5, "new", 2, twoAhead))
        .isInstanceOf(SlotLedger.Claim.class);
    assertThat(asked[0]).isZero();
    // A holder is told so without counting.
    assertThat(SlotLedger.decide(ledger(5), 5, "uid-1", 9, twoAhead))
        .isInstanceOf(SlotLedger.Holds.class);
    assertThat(asked[0]).isZero();
    // 2 free and up to 3 without a slot: counted, and the decision is the exact one.
    SlotLedger.Decision behind = SlotLedger.decide(ledger(3), 5, "new", 3, twoAhead);
    assertThat(asked[0]).isEqualTo(1);
    assertThat(behind).isEqualTo(SlotLedger.decide(ledger(3), 5, "new", 2));
    assertThat(SlotLedger.decide(ledger(2), 5, "new", 3, twoAhead))
        .isInstanceOf(SlotLedger.Claim.class);
    assertThat(asked[0]).isEqualTo(2);
  }

  @Test
  void longHolderListsAreAbbreviated() {
    String message = new SlotLedger.Wait(ledger(14), 14, 0).message("bob");
    assertThat(message).contains("ns/k9", "and 4 more").doesNotContain("ns/k10");
  }

  @Test
  void olderMeansEarlierCreationThenNamespaceThenName() {
    Candidate me = new Candidate("m", "ns", "key-10", T0.plusSeconds(1));
    List<Candidate> waiting =
        List.of(
            new Candidate("a", "ns", "key-01", T0),
            new Candidate("b", "ns", "key-09", T0.plusSeconds(1)),
            new Candidate("c", "ns", "key-11", T0.plusSeconds(1)),
            new Candidate("d", "ma", "key-99", T0.plusSeconds(1)),
            new Candidate("e", "ns", "key-00", T0.plusSeconds(2)),
            me);
    // a (earlier), b (same second, name before), d (same second, namespace before).
    assertThat(SlotLedger.olderThan(me, waiting)).isEqualTo(3);
  }

  @Test
  void withAndWithoutAreIdempotent() {
    List<Slot> l = SlotLedger.with(ledger(2), slot(1));
    assertThat(l).hasSize(2);
    l = SlotLedger.with(l, slot(7));
    assertThat(l).extracting(Slot::uid).containsExactly("uid-0", "uid-1", "uid-7");
    assertThat(SlotLedger.without(l, Set.of("uid-1", "gone")))
        .extracting(Slot::uid)
        .containsExactly("uid-0", "uid-7");
  }
}
