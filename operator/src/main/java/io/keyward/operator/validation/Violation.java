package io.keyward.operator.validation;

/** One broken rule: the field (as a spec path) and the rule it breaks. */
public record Violation(String field, String rule) {
  @Override
  public String toString() {
    return field + ": " + rule;
  }
}
