package io.keyward.operator.mfa;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.mfa.AccessChange.Access;
import io.keyward.operator.mfa.AccessChange.Result;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccessChangeTest {
  private static Access access(List<String> permissions, List<String> ips) {
    return new Access(permissions, ips);
  }

  @Test
  void noChangeAndNarrowingApplyAtOnce() {
    Access a = access(List.of("read", "trade"), List.of("203.0.113.10", "203.0.113.11"));
    assertThat(AccessChange.apply(a, a).widens()).isFalse();
    Result narrower = AccessChange.apply(a, access(List.of("read"), List.of("203.0.113.11")));
    assertThat(narrower.widens()).isFalse();
    assertThat(narrower.inForce()).isEqualTo(access(List.of("read"), List.of("203.0.113.11")));
    // Binding a key that had no binding narrows it.
    Result bound =
        AccessChange.apply(
            access(List.of("read"), List.of()), access(List.of("read"), List.of("2001:db8::1")));
    assertThat(bound.widens()).isFalse();
    assertThat(bound.inForce().ipWhitelist()).containsExactly("2001:db8::1");
  }

  @Test
  void anAddedPermissionWaitsWhileRemovedOnesStopAtOnce() {
    Access a = access(List.of("read", "trade"), List.of("203.0.113.10"));
    Result r = AccessChange.apply(a, access(List.of("read", "withdraw"), List.of("203.0.113.10")));
    assertThat(r.widened()).containsExactly("adds permission withdraw");
    assertThat(r.inForce().permissions()).containsExactly("read");
    assertThat(r.inForce().ipWhitelist()).containsExactly("203.0.113.10");
  }

  @Test
  void changingOrEmptyingTheIpListWaits() {
    Access a = access(List.of("read"), List.of("203.0.113.10", "203.0.113.11"));
    Result emptied = AccessChange.apply(a, access(List.of("read"), List.of()));
    assertThat(emptied.widened()).singleElement().asString().contains("removes the IP binding");
    assertThat(emptied.inForce().ipWhitelist()).containsExactly("203.0.113.10", "203.0.113.11");

    Result swapped =
        AccessChange.apply(a, access(List.of("read"), List.of("203.0.113.10", "198.51.100.7")));
    assertThat(swapped.widened()).singleElement().asString().contains("adds IP 198.51.100.7");
    // The dropped address stops at once; the added one waits.
    assertThat(swapped.inForce().ipWhitelist()).containsExactly("203.0.113.10");

    Result replaced =
        AccessChange.apply(
            access(List.of("read"), List.of("203.0.113.10")),
            access(List.of("read"), List.of("198.51.100.7")));
    assertThat(replaced.widens()).isTrue();
    // Nothing in common: the old binding stays (an empty list would mean any address).
    assertThat(replaced.inForce().ipWhitelist()).containsExactly("203.0.113.10");
  }
}
