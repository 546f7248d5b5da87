package io.keyward.operator.validation;

/**
 * Whether a text shows nothing a reader could tell apart from empty. {@link String#isBlank()} knows
 * only the whitespace of {@link Character#isWhitespace}, so a note of no-break spaces (U+00A0,
 * U+2007, U+202F), ideographic spaces (U+3000) or zero-width spaces (U+200B) would pass it. Blank
 * here is every code point that is:
 *
 * <ul>
 *   <li>whitespace ({@link Character#isWhitespace}) or a space, line or paragraph separator ({@link
 *       Character#isSpaceChar}: Unicode Zs, Zl, Zp);
 *   <li>a control character (Cc) or a format character (Cf: zero-width spaces and joiners, word
 *       joiner, soft hyphen, bidi marks and overrides, the byte order mark, tag characters);
 *   <li>one of the other code points Unicode marks default-ignorable, which render as nothing: the
 *       combining grapheme joiner U+034F, the Hangul fillers U+115F, U+1160, U+3164, U+FFA0, the
 *       Khmer inherent vowels U+17B4 and U+17B5, the Mongolian free variation selectors U+180B to
 *       U+180F, and the variation selectors U+FE00 to U+FE0F and U+E0100 to U+E01EF;
 *   <li>the Braille pattern blank U+2800, which prints as a space.
 * </ul>
 *
 * <p>{@link #SCHEMA_PATTERN} states the same set for the CRD schema (a Go regular expression on the
 * API server), so that such a note is refused at apply time too.
 */
public final class Blank {
  /**
   * Matches a text that holds at least one code point that is not blank. Go's {@code \s} is ASCII
   * only, hence the Unicode classes; Java reads the pattern the same way.
   */
  public static final String SCHEMA_PATTERN =
      "[^\\s\\p{Z}\\p{Cc}\\p{Cf}\\x{034F}\\x{115F}\\x{1160}\\x{17B4}\\x{17B5}\\x{180B}-\\x{180F}"
          + "\\x{2800}\\x{3164}\\x{FE00}-\\x{FE0F}\\x{FFA0}\\x{E0100}-\\x{E01EF}]";

  private Blank() {}

  /** Whether {@code text} is null, empty or only blank code points. */
  public static boolean isBlank(String text) {
    return text == null || text.codePoints().allMatch(Blank::isBlank);
  }

  /** Whether one code point is blank. */
  public static boolean isBlank(int cp) {
    if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
      return true;
    }
    int type = Character.getType(cp);
    if (type == Character.CONTROL || type == Character.FORMAT) {
      return true;
    }
    return cp == 0x034F
        || cp == 0x115F
        || cp == 0x1160
        || cp == 0x17B4
        || cp == 0x17B5
        || (cp >= 0x180B && cp <= 0x180F)
        || cp == 0x2800
        || cp == 0x3164
        || (cp >= 0xFE00 && cp <= 0xFE0F)
        || cp == 0xFFA0
        || (cp >= 0xE0100 && cp <= 0xE01EF);
  }
}
