package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.apikey.ApiKeyReconciler;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code limits.minRotationInterval} on the real API server: a tenant who annotates {@code
 * keyward.io/rotate} again and again gets one rotation (and one restart of its workloads) per
 * interval, not one per annotation; the rotation asked for inside the interval is done when it
 * ends, by the operator's own timer, not dropped. A {@code renewal.before} that would rotate more
 * often is refused.
 */
@ExtendWith(RealCluster.class)
class RotationIntervalIT {
  private static final String NS = "rotation-interval";
  private static final String USER = "ria";
  private static final Duration INTERVAL = Duration.ofSeconds(15);
  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    RealCluster.namespace(NS);
    user(USER, NS);
    operator = RunningOperator.start(Map.of("limits.minRotationInterval", "15s"));
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  @Test
  void twoRotationsAskedForAtOnceAreOneNowAndOneWhenTheIntervalEnds() {
    key(NS, "twice", USER, s -> {});
    ApiKey issued = awaitKey(NS, "twice", phase("Active"));
    String first = issued.getStatus().accessKey;
    // The key is older than the interval (by the operator's clock): the first rotation is at once.
    operator.clock().advance(INTERVAL);

    annotateKey(NS, "twice", ApiKeyReconciler.ROTATE_ANNOTATION, "one");
    ApiKey once = awaitKey(NS, "twice", k -> "one".equals(k.getStatus().lastHandledRotate));
    String second = once.getStatus().accessKey;
    assertThat(second).isNotEqualTo(first);
    Instant secondIssued = Instant.parse(once.getStatus().issuedAt);

    annotateKey(NS, "twice", ApiKeyReconciler.ROTATE_ANNOTATION, "two");
    Event deferred = only(awaitEvents(NS, "twice", "RotationDeferred"));
    Instant until = secondIssued.plus(INTERVAL);
    assertThat(deferred.getType()).isEqualTo("Normal");
    assertThat(deferred.getMessage())
        .isEqualTo(
            "keyward.io/rotate=two: rotation deferred until "
                + until
                + " (limits.minRotationInterval is 15s and the key was issued at "
                + secondIssued
                + ")");
    // Said in the pass that did not rotate: the key is still the one of the first rotation.
    ApiKey waiting = get(NS, "twice");
    assertThat(waiting.getStatus().accessKey).isEqualTo(second);
    assertThat(waiting.getStatus().lastHandledRotate).isEqualTo("one");
    assertThat(waiting.getStatus().phase).isEqualTo("Active");

    // Done when the interval ends, with no further edit: the operator looked again at `until`.
    ApiKey twice =
        await()
            .atMost(INTERVAL.plus(WAIT))
            .until(() -> get(NS, "twice"), k -> "two".equals(k.getStatus().lastHandledRotate));
    assertThat(twice.getStatus().accessKey).isNotIn(first, second);
    assertThat(Instant.parse(twice.getStatus().issuedAt)).isAfterOrEqualTo(until);
    // The event is written after the status: wait for it with a bound, then expect exactly two.
    List<Event> rotated =
        await().atMost(WAIT).until(() -> events(NS, "twice", "Rotated"), e -> e.size() >= 2);
    assertThat(rotated).hasSize(2);
    assertThat(rotated)
        .anySatisfy(e -> assertThat(e.getMessage()).contains("keyward.io/rotate=one"))
        .anySatisfy(e -> assertThat(e.getMessage()).contains("keyward.io/rotate=two"));
  }

  @Test
  void aRenewalWindowThatWouldRotateMoreOftenIsRefused() {
    key(
        NS,
        "eager",
        USER,
        s -> {
          s.validity = "1h";
          s.renewal = new ApiKeySpec.Renewal();
          s.renewal.before = "59m50s";
        });
    ApiKey refused = awaitKey(NS, "eager", phase("Invalid"));
    assertThat(condition(refused, "Ready").orElseThrow().message)
        .contains("spec.renewal.before: would rotate the key every 10s")
        .contains("limits.minRotationInterval (15s)")
        .contains("at most 59m45s");
    assertThat(refused.getStatus().accessKey).isNull();
  }

  private static Event only(List<Event> events) {
    assertThat(events).hasSize(1);
    return events.get(0);
  }
}
