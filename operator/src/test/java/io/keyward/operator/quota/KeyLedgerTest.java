package io.keyward.operator.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.keyward.operator.MockApiServer;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.kube.StatusWriter;
import io.keyward.operator.kube.UserStatusUpdater;
import io.keyward.operator.quota.SlotLedger.Slot;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ledger on the ApiUser's status, against a mock API server whose status writes are compare and
 * swap: a claim never takes more slots than the user has, whatever it read.
 */
class KeyLedgerTest {
  static MockApiServer api;
  static KubernetesClient client;
  static KeyLedger ledger;

  @BeforeAll
  static void start() {
    api = new MockApiServer();
    client = api.client();
    ledger =
        new KeyLedger(
            new UserStatusUpdater(client, new StatusWriter(client)), KeywardConfig.defaults());
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  @Test
  void aFreeSlotIsClaimedAndRecorded() {
    ApiUser u = user("free", 2);
    assertThat(ledger.claim(u, slot("a"), 0, () -> 0)).isInstanceOf(SlotLedger.Claim.class);
    ApiUser stored = read("free");
    assertThat(KeyLedger.slots(stored)).containsExactly(slot("a"));
    assertThat(stored.getStatus().keys.used).isEqualTo(1);
  }

  @Test
  void aKeyThatHoldsASlotClaimsNothingMore() {
    ApiUser u = user("holds", 2);
    ledger.claim(u, slot("a"), 0, () -> 0);
    int writes = api.writes().size();
    assertThat(ledger.claim(read("holds"), slot("a"), 0, () -> 0))
        .isInstanceOf(SlotLedger.Holds.class);
    assertThat(api.writes()).hasSize(writes);
    assertThat(KeyLedger.slots(read("holds"))).containsExactly(slot("a"));
  }

  @Test
  void aClaimReleasesTheSlotsOfVanishedKeysInTheSameWrite() {
    ApiUser u = user("orphaned", 2);
    ledger.claim(u, slot("a"), 0, () -> 0);
    ledger.claim(read("orphaned"), slot("b"), 0, () -> 0);
    int writes = api.writes().size();

    KeyLedger.Claimed c =
        ledger.claim(read("orphaned"), slot("c"), 0, () -> 0, Set.of("a", "gone"));

    assertThat(c.decision()).isInstanceOf(SlotLedger.Claim.class);
    assertThat(c.reclaimed()).containsExactly(slot("a"));
    assertThat(KeyLedger.slots(read("orphaned"))).containsExactly(slot("b"), slot("c"));
    assertThat(api.writes()).as("release and claim in one write").hasSize(writes + 1);
  }

  @Test
  void vanishedKeysAreReleasedEvenWhenTheClaimStillWaits() {
    ApiUser u = user("still-full", 2);
    ledger.claim(u, slot("a"), 0, () -> 0);
    ledger.claim(read("still-full"), slot("b"), 0, () -> 0);

    // One slot freed by a vanished key, but two older keys wait ahead of this one.
    KeyLedger.Claimed c = ledger.claim(read("still-full"), slot("c"), 2, () -> 2, Set.of("a"));

    assertThat(c.decision()).isInstanceOf(SlotLedger.Wait.class);
    assertThat(c.reclaimed()).containsExactly(slot("a"));
    assertThat(KeyLedger.slots(read("still-full"))).containsExactly(slot("b"));
  }

  @Test
  void aFullUserMakesTheKeyWaitAndNamesTheHolders() {
    ApiUser u = user("full", 2);
    ledger.claim(u, slot("a"), 0, () -> 0);
    ledger.claim(read("full"), slot("b"), 0, () -> 0);
    int writes = api.writes().size();

    SlotLedger.Decision d = ledger.claim(read("full"), slot("c"), 0, () -> 0);

    assertThat(d).isInstanceOf(SlotLedger.Wait.class);
    SlotLedger.Wait w = (SlotLedger.Wait) d;
    assertThat(w.holders()).containsExactly(slot("a"), slot("b"));
    assertThat(w.message("full"))
        .startsWith("ApiUser full has 2 of 2 key slots in use, held by ns/key-a, ns/key-b");
    assertThat(api.writes()).as("a wait writes nothing").hasSize(writes);
    assertThat(KeyLedger.slots(read("full"))).hasSize(2);
  }

  @Test
  void aClaimOnAStaleReadIsDecidedAgainAndWaitsForTheLastSlot() {
    ApiUser u = user("race", 2);
    ledger.claim(u, slot("a"), 0, () -> 0);
    ApiUser readByC = read("race"); // one slot free, as C sees it
    // B's claim lands between C's read and C's write.
    assertThat(ledger.claim(read("race"), slot("b"), 0, () -> 0))
        .isInstanceOf(SlotLedger.Claim.class);

    SlotLedger.Decision d = ledger.claim(readByC, slot("c"), 0, () -> 0);

    assertThat(d).isInstanceOf(SlotLedger.Wait.class);
    assertThat(((SlotLedger.Wait) d).holders()).containsExactly(slot("a"), slot("b"));
    assertThat(KeyLedger.slots(read("race"))).containsExactly(slot("a"), slot("b"));
    assertThat(read("race").getStatus().keys.used).isEqualTo(2);
  }

  @Test
  void aClaimOnAStaleReadStillClaimsWhenASlotIsLeft() {
    ApiUser u = user("race-room", 3);
    ApiUser readByC = u;
    ledger.claim(read("race-room"), slot("b"), 0, () -> 0);

    assertThat(ledger.claim(readByC, slot("c"), 0, () -> 0)).isInstanceOf(SlotLedger.Claim.class);
    // B's slot survives C's write.
    assertThat(KeyLedger.slots(read("race-room"))).containsExactly(slot("b"), slot("c"));
  }

  @Test
  void olderKeysWaitingAheadTakeTheLastSlotFirst() {
    ApiUser u = user("oldest", 2);
    ledger.claim(u, slot("a"), 0, () -> 0);
    AtomicInteger asked = new AtomicInteger();

    // One slot, one other key without a slot: whether it is older decides.
    SlotLedger.Decision d =
        ledger.claim(
            read("oldest"),
            slot("young"),
            1,
            () -> {
              asked.incrementAndGet();
              return 1;
            });
    assertThat(d).isInstanceOf(SlotLedger.Wait.class);
    assertThat(((SlotLedger.Wait) d).olderWaiting()).isEqualTo(1);
    assertThat(asked).hasValue(1);

    // No other key waits: the keys ahead are not even counted.
    assertThat(
            ledger.claim(
                read("oldest"),
                slot("old"),
                0,
                () -> {
                  asked.incrementAndGet();
                  return 1;
                }))
        .isInstanceOf(SlotLedger.Claim.class);
    assertThat(asked).hasValue(1);
  }

  @Test
  void theLimitIsMaxKeysElseTheConfiguredDefault() {
    assertThat(ledger.limit(user("limit-2", 2))).isEqualTo(2);
    assertThat(ledger.limit(user("limit-default", null))).isEqualTo(5);
  }

  @Test
  void releaseRemovesOnlyTheGivenKeysAndReturnsThem() {
    ApiUser u = user("release", 3);
    ledger.claim(u, slot("a"), 0, () -> 0);
    ledger.claim(read("release"), slot("b"), 0, () -> 0);
    ledger.claim(read("release"), slot("c"), 0, () -> 0);

    UserStatusUpdater.Updated<List<Slot>> released =
        ledger.release("release", Set.of("b", "not-a-holder"));

    assertThat(released.result()).containsExactly(slot("b"));
    assertThat(KeyLedger.slots(released.user())).containsExactly(slot("a"), slot("c"));
    ApiUser stored = read("release");
    assertThat(KeyLedger.slots(stored)).containsExactly(slot("a"), slot("c"));
    assertThat(stored.getStatus().keys.used).isEqualTo(2);
  }

  @Test
  void releasingASlotNobodyHoldsWritesNothing() {
    ApiUser u = user("release-none", 2);
    ledger.claim(u, slot("a"), 0, () -> 0);
    int writes = api.writes().size();
    assertThat(ledger.release("release-none", Set.of("x")).result()).isEmpty();
    assertThat(api.writes()).hasSize(writes);
    assertThat(KeyLedger.slots(read("release-none"))).containsExactly(slot("a"));
  }

  @Test
  void releasingASlotOfAMissingUserReturnsNothing() {
    UserStatusUpdater.Updated<List<Slot>> released = ledger.release("nobody", Set.of("a"));
    assertThat(released.result()).isEmpty();
    assertThat(released.user()).isNull();
  }

  @Test
  void aGrantIsRecordedOnlyOverTheGrantItWasDecidedOn() {
    ApiUser u = user("granted", 3);
    ledger.claim(u, slot("a"), 0, () -> 0);
    ApiUserStatus.KeyGrant first = grant("KWFIRST");
    ledger.recordGrant(read("granted"), "granted", "a", null, first);
    assertThat(KeyLedger.grant(read("granted"), "a")).contains(first);

    // Decided on a stale view (no grant): refused, whatever the cache said.
    ApiUser stale = u;
    assertThatThrownBy(() -> ledger.recordGrant(stale, "granted", "a", null, grant("KWSECOND")))
        .isInstanceOf(KeyLedger.GrantChanged.class);
    assertThat(KeyLedger.grant(read("granted"), "a")).contains(first);

    // Writing what is recorded is no write; a key without a slot gets no grant.
    int writes = api.writes().size();
    ledger.recordGrant(read("granted"), "granted", "a", grant("other"), first);
    assertThat(api.writes()).hasSize(writes);
    assertThatThrownBy(() -> ledger.recordGrant(null, "granted", "b", null, grant("KWB")))
        .isInstanceOf(KeyLedger.GrantChanged.class);
  }

  @Test
  void claimsAndReleasesOfOtherKeysKeepTheGrants() {
    ApiUser u = user("kept", 3);
    ledger.claim(u, slot("a"), 0, () -> 0);
    ledger.recordGrant(null, "kept", "a", null, grant("KWA"));
    ledger.claim(read("kept"), slot("b"), 0, () -> 0, Set.of("gone"));
    ledger.release("kept", Set.of("b"));
    assertThat(KeyLedger.grant(read("kept"), "a")).contains(grant("KWA"));
  }

  @Test
  void theKeysOfAGrantAreCurrentPendingPrevious() {
    ApiUserStatus.KeyGrant g = grant("KWCURRENT");
    g.pending = new io.keyward.operator.api.ApiKeyStatus.PendingKey();
    g.pending.accessKey = "KWPENDING";
    g.previous = new io.keyward.operator.api.ApiKeyStatus.PreviousKey();
    g.previous.accessKey = "KWPREVIOUS";
    assertThat(KeyLedger.accessKeys(g)).containsExactly("KWCURRENT", "KWPENDING", "KWPREVIOUS");
    assertThat(KeyLedger.accessKeys(null)).isEmpty();
  }

  @Test
  void aSlotIsVanishedOnlyWhenTheServerHasNoKeyOfItsUidInAWatchedNamespace() {
    io.keyward.operator.api.ApiKey live = new io.keyward.operator.api.ApiKey();
    live.setMetadata(new ObjectMetaBuilder().withName("key-live").withNamespace("ns").build());
    live.setSpec(new io.keyward.operator.api.ApiKeySpec());
    live = client.resource(live).create();
    Slot kept = new Slot("ns", "key-live", live.getMetadata().getUid(), "spot");
    Slot replaced = new Slot("ns", "key-live", "an-older-uid", "spot");
    Slot gone = new Slot("ns", "key-gone", "gone-uid", "spot");
    Slot elsewhere = new Slot("other", "key-gone", "elsewhere-uid", "spot");

    assertThat(
            KeyLedger.vanished(
                List.of(kept, replaced, gone, elsewhere),
                (namespace, name) -> java.util.Optional.empty(),
                client,
                "ns"::equals))
        .containsExactlyInAnyOrder("an-older-uid", "gone-uid");
  }

  private static ApiUserStatus.KeyGrant grant(String accessKey) {
    ApiUserStatus.KeyGrant g = new ApiUserStatus.KeyGrant();
    g.accessKey = accessKey;
    g.secretFingerprint = "sha256:" + accessKey;
    g.expiresAt = "2027-03-01T10:00:00Z";
    g.permissions = List.of("read");
    return g;
  }

  private static Slot slot(String uid) {
    return new Slot("ns", "key-" + uid, uid, "spot");
  }

  private static ApiUser read(String name) {
    return client.resources(ApiUser.class).withName(name).get();
  }

  private static ApiUser user(String name, Integer maxKeys) {
    ApiUser u = new ApiUser();
    u.setMetadata(new ObjectMetaBuilder().withName(name).build());
    u.setSpec(new ApiUserSpec());
    u.getSpec().maxKeys = maxKeys;
    return client.resource(u).create();
  }
}
