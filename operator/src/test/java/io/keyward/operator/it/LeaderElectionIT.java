package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.issuance.CredentialSecret;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * HA: two replicas with leader election. Only the leader reconciles; when it stops, the other takes
 * over without waiting for the Lease to expire; when it dies, when the Lease expires; no key is
 * issued twice. Takeover times are measured from what the Lease records, not from when the test
 * looked.
 */
@ExtendWith(RealCluster.class)
@Order(10)
class LeaderElectionIT {
  private static final String OPERATOR_NS = "keyward-ha";
  private static final String NS = "ha-keys";
  private static final String LEASE = "keyward-ha";
  private static final Duration LEASE_DURATION = Duration.ofSeconds(15);
  private static final Duration RETRY_PERIOD = Duration.ofSeconds(2);

  /**
   * The longest a candidate waits between two tries: fabric8's LeaderElector waits the retry period
   * plus a random part of up to 1.2 times it (its JITTER_FACTOR), so up to 4.4 s.
   */
  private static final Duration LONGEST_RETRY =
      RETRY_PERIOD.plusMillis((long) (RETRY_PERIOD.toMillis() * 1.2));

  private static final Map<String, String> CONFIG =
      Map.of(
          "operator.namespace", OPERATOR_NS,
          "operator.leaderElection.enabled", "true",
          "operator.leaderElection.leaseName", LEASE);

  @Test
  void onlyTheLeaderReconcilesAndTheOtherTakesOverWithoutIssuingTwice() throws Exception {
    RealCluster.namespace(OPERATOR_NS);
    RealCluster.namespace(NS);
    user("hana", NS);
    Set<String> secretsWritten = ConcurrentHashMap.newKeySet();
    try (Watch watch =
            client()
                .secrets()
                .inNamespace(NS)
                .withLabel(CredentialSecret.LABEL_USER, "hana")
                .watch(
                    new Watcher<>() {
                      @Override
                      public void eventReceived(Action action, Secret s) {
                        secretsWritten.add(s.getMetadata().getUid());
                      }

                      @Override
                      public void onClose(WatcherException cause) {}
                    });
        RunningOperator first = RunningOperator.start(CONFIG)) {
      await().atMost(WAIT).until(() -> first.identity().equals(holder()));
      AtomicReference<Instant> lastRenewed = new AtomicReference<>();
      try (Watch leaseWatch = watchRenewals(first, lastRenewed);
          RunningOperator second = RunningOperator.start(CONFIG)) {
        for (int i = 0; i < 3; i++) {
          key(NS, "ha-" + i, "hana", s -> {});
        }
        for (int i = 0; i < 3; i++) {
          awaitKey(NS, "ha-" + i, phase("Active"));
        }
        assertThat(reconciliations(first)).isPositive();
        assertThat(reconciliations(second)).as("the follower reconciles nothing").isZero();
        // A follower is live and ready too: otherwise Kubernetes would restart it forever and a
        // rolling update would wait for it.
        for (RunningOperator op : List.of(first, second)) {
          assertThat(op.health().live()).as("%s live", op.identity()).isTrue();
          assertThat(op.health().ready()).as("%s ready", op.identity()).isTrue();
        }
        assertThat(holder()).isEqualTo(first.identity());

        // The leader stops; the follower takes over without waiting for the Lease to expire.
        first.close();
        await()
            .atMost(LEASE_DURATION.plus(WAIT))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> second.identity().equals(holder()));
        // From the stopped leader's last renewal to the follower's acquisition, as the Lease
        // records them. Had the Lease not been handed over, the follower could not have taken it
        // before the lease duration had passed since that renewal.
        Duration takeover = Duration.between(lastRenewed.get(), acquired());
        System.out.printf(
            "leader takeover %d ms after the stopped leader's last renewal%n", takeover.toMillis());
        assertThat(takeover).isLessThan(LEASE_DURATION);

        for (int i = 3; i < 5; i++) {
          key(NS, "ha-" + i, "hana", s -> {});
        }
        for (int i = 0; i < 5; i++) {
          awaitKey(NS, "ha-" + i, phase("Active"));
        }
        assertThat(reconciliations(second)).isPositive();
        // One Secret per key ever written, each key issued once, and the first keys untouched.
        await()
            .during(Duration.ofSeconds(1))
            .atMost(Duration.ofSeconds(1).plus(WAIT))
            .until(() -> secretsWritten.size() == 5);
        for (int i = 0; i < 5; i++) {
          assertThat(events(NS, "ha-" + i, "Issued")).hasSize(1);
          assertThat(events(NS, "ha-" + i, "SecretLost")).isEmpty();
        }
        List<ApiKey> keys = client().resources(ApiKey.class).inNamespace(NS).list().getItems();
        assertThat(keys).allMatch(k -> "Active".equals(k.getStatus().phase));
      }
    }
  }

  @Test
  void aLeaderThatDiesWithoutHandingOverIsReplacedWhenItsLeaseExpires() {
    RealCluster.namespace(OPERATOR_NS);
    try (RunningOperator first = RunningOperator.start(CONFIG)) {
      await().atMost(WAIT).until(() -> first.identity().equals(holder()));
      // The last renewal the dead leader made, as the Lease shows it.
      AtomicReference<Instant> lastRenewed = new AtomicReference<>();
      try (Watch watch = watchRenewals(first, lastRenewed);
          RunningOperator second = RunningOperator.start(CONFIG)) {
        await().atMost(WAIT).until(() -> lastRenewed.get() != null);
        first.crash();
        await()
            .atMost(LEASE_DURATION.plus(WAIT))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> second.identity().equals(holder()));
        // From the dead leader's last renewal to the follower's acquisition, as the Lease records
        // them (not when this test polled it).
        Duration takeover = Duration.between(lastRenewed.get(), acquired());
        System.out.printf(
            "takeover after a crash: %d ms after the last renewal%n", takeover.toMillis());
        // Not before the dead leader's Lease expired, and at the follower's next try after that:
        // one wait between tries at most, and 1 s for that try's read and write.
        assertThat(takeover)
            .isGreaterThanOrEqualTo(LEASE_DURATION)
            .isLessThanOrEqualTo(LEASE_DURATION.plus(LONGEST_RETRY).plusSeconds(1));
      }
    }
  }

  /** Records the renewTime of every Lease version the given instance holds. */
  private static Watch watchRenewals(RunningOperator leader, AtomicReference<Instant> lastRenewed) {
    return client()
        .leases()
        .inNamespace(OPERATOR_NS)
        .withName(LEASE)
        .watch(
            new Watcher<>() {
              @Override
              public void eventReceived(Action action, Lease l) {
                if (leader.identity().equals(l.getSpec().getHolderIdentity())) {
                  lastRenewed.set(l.getSpec().getRenewTime().toInstant());
                }
              }

              @Override
              public void onClose(WatcherException cause) {}
            });
  }

  /** When the Lease's holder acquired it, as the holder recorded it. */
  private static Instant acquired() {
    Lease lease = client().leases().inNamespace(OPERATOR_NS).withName(LEASE).get();
    assertThat(lease.getSpec().getAcquireTime()).as("the Lease's acquireTime").isNotNull();
    return lease.getSpec().getAcquireTime().toInstant();
  }

  private static String holder() {
    Lease lease = client().leases().inNamespace(OPERATOR_NS).withName(LEASE).get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }

  /** JOSDK's count of reconciliations this instance started. */
  private static double reconciliations(RunningOperator op) {
    return op.metrics()
        .scrape()
        .lines()
        .filter(l -> l.startsWith("operator_sdk_reconciliations_started_total"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }
}
