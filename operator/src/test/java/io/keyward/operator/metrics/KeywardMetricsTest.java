package io.keyward.operator.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-key expiry series, written straight in the exposition format. */
class KeywardMetricsTest {
  private static final String SERIES = "keyward_apikey_expiration_timestamp_seconds";

  private static ApiKey key(String name, String user, String phase, String expiresAt) {
    ApiKey k = new ApiKey();
    k.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("bots").build());
    k.setSpec(new ApiKeySpec());
    k.getSpec().user = user;
    k.setStatus(new ApiKeyStatus());
    k.getStatus().phase = phase;
    k.getStatus().accessKey = "KW" + name;
    k.getStatus().expiresAt = expiresAt;
    return k;
  }

  @Test
  void eachKeyInForceHasOneSeriesWhichLeavesWithTheKey() {
    KeywardMetrics metrics = new KeywardMetrics();
    List<ApiKey> keys = new ArrayList<>();
    keys.add(key("a", "alice", "Active", "2027-01-01T00:00:00Z"));
    keys.add(key("b", "bob", "Expired", "2026-01-01T00:00:00Z"));
    keys.add(key("c", "we\"ird\\", "Expiring", "2027-02-01T00:00:00Z"));
    metrics.apiKeys(
        keys::stream, Clock.fixed(Instant.parse("2026-11-27T00:00:00Z"), ZoneOffset.UTC));

    String scrape = metrics.scrape();
    assertThat(scrape)
        .contains("# TYPE " + SERIES + " gauge\n")
        .contains(
            SERIES
                + "{name=\"a\",namespace=\"bots\",user=\"alice\"} "
                + Instant.parse("2027-01-01T00:00:00Z").getEpochSecond()
                + "\n")
        .contains(
            SERIES
                + "{name=\"c\",namespace=\"bots\",user=\"we\\\"ird\\\\\"} "
                + Instant.parse("2027-02-01T00:00:00Z").getEpochSecond()
                + "\n")
        // An expired key is not in force: it has no series.
        .doesNotContain("name=\"b\"")
        .contains("keyward_apikeys{phase=\"Expired\",type=\"spot\"} 1.0");
    assertThat(scrape.lines().filter(l -> l.startsWith(SERIES + "{"))).hasSize(2);

    keys.remove(0);
    assertThat(metrics.scrape()).doesNotContain("name=\"a\"");
  }
}
