package io.keyward.operator.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The consent rule: a workload's own annotation must name the ApiKey. */
class RestartConsentTest {
  @ParameterizedTest(name = "[{0}] for key {1}: {2}")
  @CsvSource(
      delimiter = '|',
      nullValues = "<none>",
      value = {
        "bot|bot|true",
        "'a,bot,c'|bot|true",
        "' a , bot '|bot|true",
        "other|bot|false",
        "bots|bot|false",
        "robot|bot|false",
        "*|bot|false",
        "''|bot|false",
        "','|bot|false",
        "Bot|bot|false",
        "<none>|bot|false",
      })
  void onlyAnAnnotationNamingTheKeyConsents(String value, String key, boolean consents) {
    Map<String, String> annotations = new HashMap<>();
    annotations.put("unrelated", "bot");
    if (value != null) {
      annotations.put(RestartConsent.ANNOTATION, value);
    }
    assertThat(RestartConsent.grants(annotations, key)).isEqualTo(consents);
  }

  @ParameterizedTest
  @CsvSource({"keyward.io/restart-on-rotation-x", "restart-on-rotation", "keyward.io/rotate"})
  void otherAnnotationsDoNotConsent(String annotation) {
    assertThat(RestartConsent.grants(Map.of(annotation, "bot"), "bot")).isFalse();
  }

  @org.junit.jupiter.api.Test
  void noAnnotationsOrNoKeyDoNotConsent() {
    assertThat(RestartConsent.grants(null, "bot")).isFalse();
    assertThat(RestartConsent.grants(Map.of(RestartConsent.ANNOTATION, ""), "")).isFalse();
  }
}
