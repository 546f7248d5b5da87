package io.keyward.operator.apikey;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.kube.StatusWriter;
import org.junit.jupiter.api.Test;

/** Which updates of an ApiKey reconcile it: not the verifier's writes of its last use alone. */
class UpdateFilterTest {
  private final ApiKeyReconciler.NotOnlyStatus filter = new ApiKeyReconciler.NotOnlyStatus();

  private static ApiKey issued(String resourceVersion) {
    ApiKey k = new ApiKey();
    k.setMetadata(
        new ObjectMetaBuilder()
            .withName("bot")
            .withNamespace("ns")
            .withUid("uid-filter")
            .withGeneration(1L)
            .withResourceVersion(resourceVersion)
            .build());
    k.setSpec(new ApiKeySpec());
    k.setStatus(new ApiKeyStatus());
    k.getStatus().phase = "Active";
    k.getStatus().accessKey = "KWFILTER";
    return k;
  }

  private static ApiKey next(ApiKey previous, String resourceVersion) {
    ApiKey k = StatusWriter.deepCopy(previous);
    k.getMetadata().setResourceVersion(resourceVersion);
    return k;
  }

  @Test
  void aWriteOfOnlyLastUsedAtReconcilesNothing() {
    ApiKey before = issued("10");
    ApiKey used = next(before, "11");
    used.getStatus().lastUsedAt = "2026-12-01T10:00:00Z";
    assertThat(filter.accept(used, before)).isFalse();

    ApiKey usedAgain = next(used, "12");
    usedAgain.getStatus().lastUsedAt = "2026-12-01T10:01:00Z";
    assertThat(filter.accept(usedAgain, used)).isFalse();
  }

  @Test
  void anyOtherStatusChangeByAnotherWriterStillReconciles() {
    ApiKey before = issued("20");
    ApiKey forged = next(before, "21");
    forged.getStatus().lastUsedAt = "2026-12-01T10:00:00Z";
    forged.getStatus().expiresAt = "2099-01-01T00:00:00Z";
    assertThat(filter.accept(forged, before)).as("a forgery beside a last use").isTrue();

    ApiKey phase = next(before, "22");
    phase.getStatus().phase = "Expired";
    assertThat(filter.accept(phase, before)).isTrue();
  }

  @Test
  void aSpecChangeReconcilesWhateverTheStatus() {
    ApiKey before = issued("30");
    ApiKey edited = next(before, "31");
    edited.getMetadata().setGeneration(2L);
    edited.getStatus().lastUsedAt = "2026-12-01T10:00:00Z";
    assertThat(filter.accept(edited, before)).isTrue();
  }

  @Test
  void equalityStillSeesLastUsedAtSoAStatusWriteKeepsIt() {
    ApiKeyStatus a = issued("40").getStatus();
    ApiKeyStatus b = issued("40").getStatus();
    b.lastUsedAt = "2026-12-01T10:00:00Z";
    assertThat(a.sameApartFromLastUse(b)).isTrue();
    assertThat(a).isNotEqualTo(b);
  }
}
