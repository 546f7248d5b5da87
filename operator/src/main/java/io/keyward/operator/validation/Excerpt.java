package io.keyward.operator.validation;

/**
 * A user's value as a refusal message quotes it: at most {@link #MAX} characters of it, with every
 * character that could change how the message reads (control and format characters, line and
 * paragraph separators, an unpaired surrogate) written as a {@code \}{@code uXXXX} escape. A
 * message built from excerpts is bounded, and is one line however hostile the value: it goes into a
 * condition, an event and the log, and one refused 41,000-character note must not put 41,000
 * characters into each.
 */
public final class Excerpt {
  /** Characters of a value a message quotes. */
  public static final int MAX = 64;

  private Excerpt() {}

  /**
   * The value in single quotes, escaped; cut after {@link #MAX} characters with its length added:
   * {@code 'aaaa…' (41000 characters)}. {@code null} is {@code null}, unquoted.
   */
  public static String of(String value) {
    if (value == null) {
      return "null";
    }
    int length = value.codePointCount(0, value.length());
    StringBuilder sb = new StringBuilder(Math.min(value.length(), MAX) + 24).append('\'');
    int shown = 0;
    for (int i = 0; i < value.length() && shown < MAX; shown++) {
      int cp = value.codePointAt(i);
      i += Character.charCount(cp);
      if (escaped(cp)) {
        sb.append(String.format("\\u%04x", cp));
      } else {
        sb.appendCodePoint(cp);
      }
    }
    sb.append('\'');
    if (length > MAX) {
      sb.insert(sb.length() - 1, '…').append(" (").append(length).append(" characters)");
    }
    return sb.toString();
  }

  private static boolean escaped(int cp) {
    return switch (Character.getType(cp)) {
      case Character.CONTROL,
              Character.FORMAT,
              Character.LINE_SEPARATOR,
              Character.PARAGRAPH_SEPARATOR,
              Character.SURROGATE,
              Character.PRIVATE_USE,
              Character.UNASSIGNED ->
          true;
      default -> cp == '\\';
    };
  }
}
