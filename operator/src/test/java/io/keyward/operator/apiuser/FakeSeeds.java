package io.keyward.operator.apiuser;

import java.util.List;
import java.util.Optional;

/**
 * {@link UserStatus.Seeds} for the pure tests: each new secret seals to {@code sealed-<n>}, the
 * legacy one to {@code sealed-legacy}; a sealed value starting with {@code unreadable} does not
 * open; a code matches {@link #steps} under every sealed value that opens.
 */
final class FakeSeeds implements UserStatus.Seeds {
  private int sealed;
  List<Long> steps = List.of();

  FakeSeeds matching(List<Long> s) {
    steps = s;
    return this;
  }

  @Override
  public String sealNew() {
    return "sealed-" + ++sealed;
  }

  @Override
  public String sealLegacy() {
    return "sealed-legacy";
  }

  @Override
  public boolean opens(String s) {
    return s != null && !s.startsWith("unreadable");
  }

  @Override
  public Optional<List<Long>> steps(String s) {
    return opens(s) ? Optional.of(steps) : Optional.empty();
  }
}
