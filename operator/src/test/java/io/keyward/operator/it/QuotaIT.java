package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.issuance.CredentialSecret;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The per-user key limit under concurrency on a real API server: 50 keys applied at once, with one
 * operator and with two operators racing (leader election off), never give more than 5 Secrets or
 * leak a slot; freed slots go to the oldest waiting keys; a slot of a key that vanished while no
 * operator ran is reclaimed on start.
 */
@ExtendWith(RealCluster.class)
@Order(6)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QuotaIT {
  private static final int KEYS = 50;
  private static final int LIMIT = 5;
  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    operator = RunningOperator.start(Map.of());
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  @Test
  @Order(1)
  void fiftyKeysAtOnceGiveFiveSecretsAndFortyFiveWaiting() throws Exception {
    race("quota-one", "quinn", operator);
  }

  @Test
  @Order(2)
  void twoOperatorsRacingStillGiveFiveSecretsAndLeakNoSlot() throws Exception {
    try (RunningOperator second = RunningOperator.start(Map.of())) {
      race("quota-two", "rita", null);
    }
  }

  @Test
  @Order(3)
  void aSlotOfAKeyThatVanishedWhileTheOperatorWasDownIsReclaimedOnStart() {
    String ns = "quota-orphan";
    RealCluster.namespace(ns);
    user("sam", ns);
    editUser(
        "sam",
        u -> {
          u.getSpec().maxKeys = 1;
          return u;
        });
    key(ns, "holder", "sam", s -> {});
    awaitKey(ns, "holder", phase("Active"));
    key(ns, "next", "sam", s -> {});
    awaitKey(ns, "next", condition("QuotaAvailable", "False", "KeyLimitReached"));

    operator.pause();
    // Gone without its finalizer running, as after a forced deletion while no operator ran.
    editKey(
        ns,
        "holder",
        k -> {
          k.getMetadata().setFinalizers(List.of());
          return k;
        });
    client().resources(ApiKey.class).inNamespace(ns).withName("holder").delete();
    await().atMost(WAIT).until(() -> get(ns, "holder") == null);
    assertThat(getUser("sam").getStatus().keyRefs)
        .extracting(r -> r.name)
        .containsExactly("holder");

    operator.resume();
    awaitKey(ns, "next", phase("Active"));
    ApiUser sam =
        awaitUser(
            "sam",
            u ->
                u.getStatus().keyRefs.size() == 1
                    && "next".equals(u.getStatus().keyRefs.get(0).name));
    assertThat(sam.getStatus().keys.used).isEqualTo(1);
    assertThat(awaitEvents("default", "sam", "SlotReclaimed"))
        .singleElement()
        .satisfies(e -> assertThat(e.getMessage()).contains(ns + "/holder"));
  }

  /**
   * Applies 50 keys at once; checks 5 issued, 45 waiting, the ledger exact; deletes the 5 holders
   * and checks the next 5 oldest are admitted. Every Secret ever written for the user is counted
   * through a watch, so a Secret that came and went would still be seen.
   */
  private static void race(String ns, String userName, RunningOperator gauged) throws Exception {
    RealCluster.namespace(ns);
    user(userName, ns);
    Set<String> secretsEverWritten = ConcurrentHashMap.newKeySet();
    // What the watch saw, to say so when the count is off.
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Watch watch =
        client()
            .secrets()
            .inNamespace(ns)
            .withLabel(CredentialSecret.LABEL_USER, userName)
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Secret s) {
                    secretsEverWritten.add(s.getMetadata().getUid());
                    seen.add(
                        action + " " + s.getMetadata().getName() + " " + s.getMetadata().getUid());
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                })) {
      ExecutorService pool = Executors.newFixedThreadPool(10);
      try {
        List<Future<ApiKey>> created = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
          String name = String.format("bot-%02d", i);
          created.add(pool.submit(() -> key(ns, name, userName, s -> {})));
        }
        for (Future<ApiKey> f : created) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }

      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(250))
          .until(
              () -> {
                List<ApiKey> keys = keys(ns);
                return count(keys, "Active") == LIMIT && waiting(keys).size() == KEYS - LIMIT;
              });
      // And it stays so: nothing more is issued while the waiting keys are reconciled again.
      await()
          .during(Duration.ofSeconds(2))
          .atMost(Duration.ofSeconds(2).plus(WAIT))
          .untilAsserted(
              () -> assertThat(secretsEverWritten).as("watched: %s", seen).hasSize(LIMIT));
      List<ApiKey> keys = keys(ns);
      assertLedgerExact(userName, keys);
      assertThat(listSecrets(ns, userName)).hasSize(LIMIT);
      if (gauged != null) {
        // The gauge counts every waiting key the operator sees, in any namespace.
        await()
            .atMost(WAIT)
            .untilAsserted(
                () -> {
                  long waitingEverywhere =
                      client().resources(ApiKey.class).inAnyNamespace().list().getItems().stream()
                          .filter(condition("QuotaAvailable", "False", null))
                          .count();
                  assertThat(waitingEverywhere).isGreaterThanOrEqualTo(KEYS - LIMIT);
                  assertThat(gauged.metrics().scrape())
                      .contains("keyward_apikeys_waiting_for_slot " + waitingEverywhere + ".0");
                });
      }
      ApiKey aWaitingKey = waiting(keys).get(0);
      String waitingName = aWaitingKey.getMetadata().getName();
      // The message is rewritten when the key reconciles after the last claim: wait for that.
      await()
          .atMost(WAIT)
          .untilAsserted(
              () -> {
                String message =
                    condition(get(ns, waitingName), "QuotaAvailable").orElseThrow().message;
                for (ApiKey holder : active(keys)) {
                  assertThat(message).contains(ns + "/" + holder.getMetadata().getName());
                }
              });
      assertThat(awaitEvents(ns, aWaitingKey.getMetadata().getName(), "KeyLimitReached"))
          .isNotEmpty();

      // Free the five slots: the five oldest waiting keys, and only they, are admitted.
      List<String> expected =
          waiting(keys).stream()
              .sorted(OLDEST_FIRST)
              .limit(LIMIT)
              .map(k -> k.getMetadata().getName())
              .toList();
      for (ApiKey holder : active(keys)) {
        client().resource(holder).delete();
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(250))
          .until(
              () -> {
                List<ApiKey> now = keys(ns);
                return now.size() == KEYS - LIMIT && count(now, "Active") == LIMIT;
              });
      List<ApiKey> after = keys(ns);
      assertThat(active(after))
          .extracting(k -> k.getMetadata().getName())
          .containsExactlyInAnyOrderElementsOf(expected);
      assertThat(waiting(after)).hasSize(KEYS - 2 * LIMIT);
      await()
          .during(Duration.ofSeconds(2))
          .atMost(Duration.ofSeconds(2).plus(WAIT))
          .untilAsserted(
              () -> assertThat(secretsEverWritten).as("watched: %s", seen).hasSize(2 * LIMIT));
      assertLedgerExact(userName, after);
      await().atMost(WAIT).until(() -> listSecrets(ns, userName).size() == LIMIT);
    }
  }

  /** The ledger names exactly the Active keys, by uid, and counts them. */
  private static void assertLedgerExact(String userName, List<ApiKey> keys) {
    ApiUser user = getUser(userName);
    Set<String> active =
        active(keys).stream().map(k -> k.getMetadata().getUid()).collect(Collectors.toSet());
    assertThat(user.getStatus().keyRefs)
        .extracting((ApiUserStatus.KeyRef r) -> r.uid)
        .containsExactlyInAnyOrderElementsOf(active);
    assertThat(user.getStatus().keys.used).isEqualTo(LIMIT);
    assertThat(user.getStatus().keys.limit).isEqualTo(LIMIT);
  }

  private static final Comparator<ApiKey> OLDEST_FIRST =
      Comparator.comparing((ApiKey k) -> Instant.parse(k.getMetadata().getCreationTimestamp()))
          .thenComparing(k -> k.getMetadata().getNamespace())
          .thenComparing(k -> k.getMetadata().getName());

  private static List<ApiKey> keys(String ns) {
    return client().resources(ApiKey.class).inNamespace(ns).list().getItems().stream()
        .filter(k -> !k.isMarkedForDeletion())
        .toList();
  }

  private static List<Secret> listSecrets(String ns, String userName) {
    return client()
        .secrets()
        .inNamespace(ns)
        .withLabel(CredentialSecret.LABEL_USER, userName)
        .list()
        .getItems();
  }

  private static long count(List<ApiKey> keys, String phase) {
    return keys.stream().filter(phase(phase)).count();
  }

  private static List<ApiKey> active(List<ApiKey> keys) {
    return keys.stream().filter(phase("Active")).toList();
  }

  private static List<ApiKey> waiting(List<ApiKey> keys) {
    return keys.stream()
        .filter(phase("Pending"))
        .filter(condition("QuotaAvailable", "False", "KeyLimitReached"))
        .toList();
  }
}
