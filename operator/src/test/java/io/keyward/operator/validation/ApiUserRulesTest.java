package io.keyward.operator.validation;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.api.ApiUserSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ApiUser rules the operator checks whatever the CRD it runs against. */
class ApiUserRulesTest {
  private static ApiUserSpec spec(List<String> namespaces) {
    ApiUserSpec s = new ApiUserSpec();
    s.namespaces = namespaces;
    return s;
  }

  @Test
  void aValidSpecHasNoViolation() {
    assertThat(ApiUserRules.validate(spec(List.of("trading-eth", "*")))).isEmpty();
    assertThat(ApiUserRules.validate(spec(Collections.nCopies(256, "a")))).isEmpty();
  }

  @Test
  void namespacesAreBounded() {
    assertThat(ApiUserRules.validate(spec(Collections.nCopies(257, "a"))))
        .containsExactly("spec.namespaces: at most 256 entries (has 257; [\"*\"] allows any)");
    assertThat(ApiUserRules.validate(spec(List.of("ok", "n".repeat(64)))))
        .singleElement()
        .asString()
        .startsWith("spec.namespaces[1]: '" + "n".repeat(64) + "' is not a namespace name")
        .contains("at most 63 characters");
    assertThat(ApiUserRules.validate(spec(List.of(" ok"))))
        .singleElement()
        .asString()
        .startsWith("spec.namespaces[0]: ' ok' is not a namespace name");
  }

  @Test
  void manyBadNamespacesMakeABoundedReport() {
    List<String> bad = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      bad.add("Bad_" + i + "\n" + "x".repeat(1000));
    }
    List<String> v = ApiUserRules.validate(spec(bad));
    assertThat(v).hasSize(21);
    assertThat(v.get(0)).contains("\\u000a").doesNotContain("\n").hasSizeLessThan(250);
    assertThat(v.get(20)).isEqualTo("spec.namespaces: and 180 more entries that are no namespace");
  }

  @Test
  void theDisplayNameIsBounded() {
    ApiUserSpec s = spec(List.of("*"));
    s.displayName = "d".repeat(128);
    assertThat(ApiUserRules.validate(s)).isEmpty();
    s.displayName = "d".repeat(41_000);
    assertThat(ApiUserRules.validate(s))
        .containsExactly(
            "spec.displayName: must be at most 128 characters (has 41000): '"
                + "d".repeat(64)
                + "…' (41000 characters)");
  }
}
