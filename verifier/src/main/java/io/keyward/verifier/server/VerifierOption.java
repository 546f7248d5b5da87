package io.keyward.verifier.server;

import java.util.Locale;
import java.util.function.Function;

/**
 * One setting of the verifier: its path in the YAML file, its environment variable, its default and
 * what it means.
 *
 * @param <T> the parsed type
 */
public record VerifierOption<T>(
    String path, String defaultValue, String description, Function<String, T> parser) {

  /** The environment variable: the path in upper snake case behind {@code KEYWARD_VERIFIER_}. */
  public String envName() {
    StringBuilder sb = new StringBuilder("KEYWARD_VERIFIER_");
    for (char c : path.toCharArray()) {
      if (c == '.') {
        sb.append('_');
      } else if (Character.isUpperCase(c)) {
        sb.append('_').append(c);
      } else {
        sb.append(Character.toUpperCase(c));
      }
    }
    return sb.toString().toUpperCase(Locale.ROOT);
  }

  /** Parses a value; a bad one fails naming this option, its variable and the rule. */
  T parse(String raw) {
    try {
      return parser.apply(raw.trim());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "configuration " + path + " (" + envName() + "): " + e.getMessage(), e);
    }
  }
}
