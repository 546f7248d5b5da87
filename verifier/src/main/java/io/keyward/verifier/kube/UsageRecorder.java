package io.keyward.verifier.kube;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.keyward.verifier.core.KeyEntry;
import io.keyward.verifier.kube.ClusterRecords.Key;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records when each key was last used, and writes it to its ApiKey's {@code status.lastUsedAt} at
 * most about once per {@code minInterval} (60 s) per key across all replicas: a key is written only
 * when the value the informer shows (another replica's write included) is that much older than its
 * latest use. {@link #used} is cheap (one map lookup and a compare-and-set), for every accepted
 * request; a flusher writes every {@code flushInterval} (10 s). Each write is a JSON merge patch of
 * the status subresource carrying the resourceVersion the informer showed: it fails (409) rather
 * than land on a newer version, a recreated ApiKey of the same name included, and it never fights
 * the operator, whose status writes carry theirs too and keep the field. A refused write (404, 403,
 * 409, anything else) is counted by outcome and logged without values, and that key is not tried
 * again before {@code minInterval} has passed: never a retry loop.
 */
public final class UsageRecorder implements AutoCloseable {
  public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(10);
  public static final Duration DEFAULT_MIN_INTERVAL = Duration.ofSeconds(60);

  /** The counter of last-use writes, by {@code outcome}. */
  public static final String WRITES_METRIC = "keyward.verifier.last.use.writes";

  private static final Logger LOG = LoggerFactory.getLogger(UsageRecorder.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final ClusterKeyDirectory directory;
  private final Clock clock;
  private final Duration flushInterval;
  private final long minIntervalMillis;
  private final Map<String, Use> uses = new ConcurrentHashMap<>();
  private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
  private final MeterRegistry meters;
  private ScheduledExecutorService flusher;

  /** The latest use of one ApiKey (by uid), and what was written of it. */
  private static final class Use {
    final AtomicLong at = new AtomicLong(Long.MIN_VALUE);

    /** The last value this recorder wrote (epoch millis; MIN_VALUE: none). */
    volatile long written = Long.MIN_VALUE;

    /** No write before this (epoch millis), after one was refused. */
    volatile long notBefore = Long.MIN_VALUE;
  }

  /** A recorder with the default intervals (flush every 10 s, at most once a minute per key). */
  public UsageRecorder(
      KubernetesClient client, ClusterKeyDirectory directory, Clock clock, MeterRegistry meters) {
    this(client, directory, clock, meters, DEFAULT_FLUSH_INTERVAL, DEFAULT_MIN_INTERVAL);
  }

  /**
   * A recorder; nothing is written until {@link #start()} (or {@link #flush()}).
   *
   * @param directory where the stored value and version of each ApiKey are read (its informer)
   * @param flushInterval how often the flusher writes
   * @param minInterval how much newer a use must be than the stored value to be written
   */
  public UsageRecorder(
      KubernetesClient client,
      ClusterKeyDirectory directory,
      Clock clock,
      MeterRegistry meters,
      Duration flushInterval,
      Duration minInterval) {
    if (flushInterval.isNegative() || flushInterval.isZero() || minInterval.isNegative()) {
      throw new IllegalArgumentException(
          "flushInterval must be positive and minInterval not negative");
    }
    this.client = client;
    this.directory = directory;
    this.clock = clock;
    this.meters = meters;
    this.flushInterval = flushInterval;
    this.minIntervalMillis = minInterval.toMillis();
    for (String outcome :
        new String[] {"written", "not_found", "forbidden", "conflict", "failed"}) {
      counter(outcome);
    }
  }

  /** Notes that a request signed with {@code key} was accepted now. */
  public void used(KeyEntry key) {
    long now = clock.millis();
    AtomicLong at = uses.computeIfAbsent(key.uid(), u -> new Use()).at;
    long seen = at.get();
    while (now > seen && !at.compareAndSet(seen, now)) {
      seen = at.get();
    }
  }

  /** Starts the flusher: a write pass every flush interval, on a thread of its own. */
  public synchronized UsageRecorder start() {
    if (flusher == null) {
      flusher =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "keyward-last-use");
                t.setDaemon(true);
                return t;
              });
      long every = flushInterval.toMillis();
      flusher.scheduleWithFixedDelay(this::flushQuietly, every, every, TimeUnit.MILLISECONDS);
    }
    return this;
  }

  /**
   * One write pass: every key used since its stored value by at least the minimum interval is
   * written once.
   *
   * @return how many keys were written
   */
  public synchronized int flush() {
    long now = clock.millis();
    int written = 0;
    for (Map.Entry<String, Use> e : uses.entrySet()) {
      String uid = e.getKey();
      Use use = e.getValue();
      long at = use.at.get();
      if (at <= use.written || now < use.notBefore) {
        continue;
      }
      Key key = directory.key(uid);
      if (key == null) {
        // Deleted: nothing to write, and nothing to keep.
        uses.remove(uid, use);
        continue;
      }
      long shown = millis(key.lastUsedAt());
      if (shown > now + minIntervalMillis) {
        // A value from the future was not written by a verifier: it holds back nothing.
        shown = Long.MIN_VALUE;
      }
      long stored = Math.max(shown, use.written);
      if (stored != Long.MIN_VALUE && at - stored < minIntervalMillis) {
        continue;
      }
      Instant value = Instant.ofEpochMilli(at).truncatedTo(ChronoUnit.SECONDS);
      if (write(key, value)) {
        use.written = value.toEpochMilli();
        written++;
      } else {
        use.notBefore = now + minIntervalMillis;
      }
    }
    return written;
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (RuntimeException e) {
      // The flusher must keep running; the exception's text could quote a request.
      LOG.atWarn()
          .setMessage("a last-use pass failed")
          .addKeyValue("error", e.getClass().getSimpleName())
          .log();
    }
  }

  /** Writes one key's last use; false when the server refused it (counted and logged). */
  private boolean write(Key key, Instant value) {
    ObjectNode patch = JSON.createObjectNode();
    patch.putObject("metadata").put("resourceVersion", key.resourceVersion());
    patch.putObject("status").put("lastUsedAt", value.toString());
    try {
      client
          .genericKubernetesResources(ClusterRecords.API_KEYS)
          .inNamespace(key.namespace())
          .withName(key.name())
          .subresource("status")
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
      counter("written").increment();
      return true;
    } catch (KubernetesClientException e) {
      String outcome =
          switch (e.getCode()) {
            case 404 -> "not_found";
            case 403 -> "forbidden";
            case 409 -> "conflict";
            default -> "failed";
          };
      counter(outcome).increment();
      LOG.atWarn()
          .setMessage("last use not written")
          .addKeyValue("outcome", outcome)
          .addKeyValue("httpStatus", e.getCode())
          .addKeyValue("uid", key.uid())
          .log();
      return false;
    }
  }

  /** The count of writes with this outcome so far. */
  public double writes(String outcome) {
    return counter(outcome).count();
  }

  private Counter counter(String outcome) {
    return outcomes.computeIfAbsent(
        outcome,
        o ->
            Counter.builder(WRITES_METRIC)
                .description("Writes of ApiKey status.lastUsedAt, by outcome")
                .tag("outcome", o)
                .register(meters));
  }

  private static long millis(String rfc3339) {
    if (rfc3339 == null) {
      return Long.MIN_VALUE;
    }
    try {
      return Instant.parse(rfc3339).toEpochMilli();
    } catch (DateTimeParseException | ArithmeticException e) {
      // Not a time (anyone who may write the status could put anything there): write ours.
      return Long.MIN_VALUE;
    }
  }

  /** Stops the flusher; uses not yet written are dropped (the next replica or run writes anew). */
  @Override
  public synchronized void close() {
    if (flusher != null) {
      flusher.shutdownNow();
      flusher = null;
    }
  }
}
