package io.keyward.chart;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Argo CD health check, run in Lua (luaj) on ApiKeys in each state. The keys are written as the
 * JSON Argo CD hands the check; ExamplesIT runs the same check on the operator's live objects.
 */
class ArgoCdHealthTest {

  private static Map<String, Object> key(
      String phase, String readyStatus, String reason, long observed) {
    Map<String, Object> k = new LinkedHashMap<>();
    k.put("apiVersion", "keyward.io/v1alpha1");
    k.put("kind", "ApiKey");
    k.put("metadata", Map.of("name", "k", "generation", 2L));
    if (phase == null) {
      return k;
    }
    Map<String, Object> st = new LinkedHashMap<>();
    st.put("phase", phase);
    st.put("observedGeneration", observed);
    if (readyStatus != null) {
      Map<String, Object> verified = Map.of("type", "Verified", "status", "True");
      Map<String, Object> ready =
          Map.of(
              "type",
              "Ready",
              "status",
              readyStatus,
              "reason",
              reason,
              "message",
              "because " + reason);
      st.put("conditions", List.of(verified, ready));
    }
    k.put("status", st);
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
