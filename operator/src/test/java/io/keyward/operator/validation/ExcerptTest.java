package io.keyward.operator.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** How a refusal quotes a value: bounded, one line, every invisible character made visible. */
class ExcerptTest {
  static Stream<Arguments> values() {
    return Stream.of(
        Arguments.of("10.0.0.1", "'10.0.0.1'"),
        Arguments.of("a\nb", "'a\\u000ab'"),
        Arguments.of("a\r\n", "'a\\u000d\\u000a'"),
        Arguments.of("\u001b[2K", "'\\u001b[2K'"),
        Arguments.of("x\u2028y\u2029", "'x\\u2028y\\u2029'"),
        Arguments.of("\u202egnp.exe", "'\\u202egnp.exe'"),
        Arguments.of("zero\u200bwidth", "'zero\\u200bwidth'"),
        Arguments.of("back\\slash", "'back\\u005cslash'"),
        Arguments.of("\u0085", "'\\u0085'"),
        Arguments.of("日本\uD83D\uDE42", "'日本\uD83D\uDE42'"),
        Arguments.of("\u00a0", "'\u00a0'"));
  }

  @ParameterizedTest
  @MethodSource("values")
  void escapesWhatCouldChangeHowTheMessageReads(String value, String quoted) {
    assertThat(Excerpt.of(value)).isEqualTo(quoted);
  }

  @Test
  void cutsAfterSixtyFourCharactersAndSaysHowLong() {
    assertThat(Excerpt.of("b".repeat(64))).isEqualTo("'" + "b".repeat(64) + "'");
    assertThat(Excerpt.of("b".repeat(41_000)))
        .isEqualTo("'" + "b".repeat(64) + "…' (41000 characters)");
    // Characters are code points: an emoji is not cut in half, and counts once.
    String emoji = "\uD83D\uDE42".repeat(65);
    assertThat(Excerpt.of(emoji)).isEqualTo("'" + "\uD83D\uDE42".repeat(64) + "…' (65 characters)");
    // Escapes do not count against the bound: 64 newlines are 64 characters shown.
    assertThat(Excerpt.of("\n".repeat(100))).hasSize(2 + 64 * 6 + 1 + " (100 characters)".length());
  }

  @Test
  void nullIsNull() {
    assertThat(Excerpt.of(null)).isEqualTo("null");
  }
}
