package io.keyward.operator.chart;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.Condition;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Argo CD health check, run in Lua (luaj) on ApiKeys in each state. */
class ArgoCdHealthTest {

  private static ApiKey key(String phase, String readyStatus, String reason, long observed) {
    ApiKey k = new ApiKey();
    k.setMetadata(new ObjectMetaBuilder().withName("k").withGeneration(2L).build());
    if (phase == null) {
      return k;
    }
    ApiKeyStatus st = new ApiKeyStatus();
    st.phase = phase;
    st.observedGeneration = observed;
    if (readyStatus != null) {
      Condition verified = new Condition();
      verified.type = "Verified";
      verified.status = "True";
      Condition ready = new Condition();
      ready.type = "Ready";
      ready.status = readyStatus;
      ready.reason = reason;
      ready.message = "because " + reason;
      st.conditions.add(verified);
      st.conditions.add(ready);
    }
    k.setStatus(st);
    return k;
  }

  @ParameterizedTest(name = "{0} Ready={1} {2} -> {3}")
  @CsvSource({
    "Active, True, Issued, Healthy",
    "Expiring, True, Issued, Healthy",
    "Active, False, KeyLimitReached, Degraded",
    "Active, False, UserSuspended, Suspended",
    "Pending, False, UserSuspended, Suspended",
    "Pending, False, KeyLimitReached, Progressing",
    "Pending, False, UserNotFound, Progressing",
    "AwaitingVerification, False, AwaitingVerification, Progressing",
    "Pending, False, SecretConflict, Degraded",
    "Invalid, False, InvalidSpec, Degraded",
    "Invalid, False, NamespaceNotAllowed, Degraded",
    "Expired, False, Expired, Degraded",
  })
  void eachStateHasTheHealthArgoCdShows(
      String phase, String ready, String reason, String expected) {
    ArgoHealth.Status hs = ArgoHealth.of(key(phase, ready, reason, 2));
    assertThat(hs.status()).isEqualTo(expected);
    assertThat(hs.message()).isEqualTo("because " + reason);
  }

  @Test
  void aKeyTheOperatorHasNotCaughtUpWithIsProgressing() {
    assertThat(ArgoHealth.of(key(null, null, null, 0)).status()).isEqualTo("Progressing");
    ArgoHealth.Status stale = ArgoHealth.of(key("Active", "True", "Issued", 1));
    assertThat(stale.status()).isEqualTo("Progressing");
    assertThat(stale.message()).contains("generation 2");
  }

  @Test
  void theArgoCdConfigMapCarriesTheSameScript() throws Exception {
    String lua = Files.readString(ArgoHealth.script());
    String cm = Files.readString(ArgoHealth.script().resolveSibling("argocd-cm.yaml"));
    String embedded =
        cm.substring(cm.indexOf("|\n") + 2)
            .lines()
            .map(l -> l.startsWith("    ") ? l.substring(4) : l)
            .reduce("", (a, b) -> a + b + "\n");
    assertThat(embedded).isEqualTo(lua);
  }
}
