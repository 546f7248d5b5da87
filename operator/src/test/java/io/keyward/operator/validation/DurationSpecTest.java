package io.keyward.operator.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationSpecTest {
  @ParameterizedTest
  @CsvSource({
    "90d,PT2160H",
    "36h,PT36H",
    "15m,PT15M",
    "30s,PT30S",
    "1d12h,PT36H",
    "1d2h3m4s,PT26H3M4S",
    "0s,PT0S"
  })
  void parses(String text, Duration expected) {
    assertThat(DurationSpec.parse(text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "90", "d", "1h1d", "1.5h", "-1h", "1w", "1 h", "9999999999d"})
  void refuses(String text) {
    assertThatThrownBy(() -> DurationSpec.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("duration");
  }

  @ParameterizedTest
  @ValueSource(strings = {"90d", "1d12h", "15m", "1d2h3m4s", "0s"})
  void formatsBackToTheSameText(String text) {
    assertThat(DurationSpec.format(DurationSpec.parse(text))).isEqualTo(text);
  }
}
