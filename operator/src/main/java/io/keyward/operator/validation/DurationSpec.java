package io.keyward.operator.validation;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations written as {@code 90d}, {@code 36h}, {@code 15m}, {@code 30s} or {@code 1d12h}. */
public final class DurationSpec {
  private static final Pattern FORMAT =
      Pattern.compile("^(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?$");

  private DurationSpec() {}

  /**
   * Parses a duration.
   *
   * @throws IllegalArgumentException naming the rule when the text is not a duration
   */
  public static Duration parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("must be a duration such as 90d, 36h, 15m, 30s or 1d12h");
    }
    Matcher m = FORMAT.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          Excerpt.of(text) + " is not a duration such as 90d, 36h, 15m, 30s or 1d12h");
    }
    try {
      Duration d = Duration.ZERO;
      d = d.plusDays(part(m.group(1)));
      d = d.plusHours(part(m.group(2)));
      d = d.plusMinutes(part(m.group(3)));
      d = d.plusSeconds(part(m.group(4)));
      return d;
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException(Excerpt.of(text) + " is too long a duration");
    }
  }

  private static long part(String digits) {
    if (digits == null) {
      return 0;
    }
    if (digits.length() > 9) {
      throw new NumberFormatException("too many digits");
    }
    return Long.parseLong(digits);
  }

  /** Formats a duration in the same notation, largest units first ({@code 1d12h}, {@code 0s}). */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder sb = new StringBuilder();
    long days = d.toDays();
    if (days > 0) {
      sb.append(days).append('d');
    }
    if (d.toHoursPart() > 0) {
      sb.append(d.toHoursPart()).append('h');
    }
    if (d.toMinutesPart() > 0) {
      sb.append(d.toMinutesPart()).append('m');
    }
    if (d.toSecondsPart() > 0) {
      sb.append(d.toSecondsPart()).append('s');
    }
    return sb.toString();
  }
}
