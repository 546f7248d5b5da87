package io.keyward.operator.config;

import java.util.Locale;
import java.util.function.Function;

/**
 * One setting: its path in the YAML file, its environment variable, its default and what it means.
 *
 * @param <T> the parsed type
 */
public record ConfigOption<T>(
    String path, String defaultValue, String description, Function<String, T> parser) {

  /** The environment variable: the path in upper snake case behind {@code KEYWARD_}. */
  public String envName() {
    StringBuilder sb = new StringBuilder("KEYWARD_");
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

  T parse(String raw) {
    try {
      return parser.apply(raw.trim());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "configuration " + path + " (" + envName() + "): " + e.getMessage(), e);
    }
  }
}
