package io.keyward.verifier.server;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations in the operator's notation: {@code 90d}, {@code 36h}, {@code 15m}, {@code 30s}, {@code
 * 1d12h}. (The operator's own parser is not on the verifier's class path: a gateway carries no
 * operator code.)
 */
final class Durations {
  private static final Pattern FORMAT =
      Pattern.compile("^(?:(\\d{1,9})d)?(?:(\\d{1,9})h)?(?:(\\d{1,9})m)?(?:(\\d{1,9})s)?$");

  private Durations() {}

  static Duration parse(String text) {
    Matcher m = FORMAT.matcher(text);
    if (text.isEmpty() || !m.matches()) {
      throw new IllegalArgumentException("must be a duration such as 5s, 30m, 36h or 1d12h");
    }
    return Duration.ofDays(part(m.group(1)))
        .plusHours(part(m.group(2)))
        .plusMinutes(part(m.group(3)))
        .plusSeconds(part(m.group(4)));
  }

  static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder sb = new StringBuilder();
    if (d.toDays() > 0) {
      sb.append(d.toDays()).append('d');
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

  private static long part(String digits) {
    return digits == null ? 0 : Long.parseLong(digits);
  }
}
