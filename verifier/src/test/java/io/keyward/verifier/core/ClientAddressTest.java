package io.keyward.verifier.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.net.InetAddresses;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientAddressTest {
  private static final ClientAddress BEHIND_LB =
      ClientAddress.trusting(ClientAddress.parseRanges(List.of("10.0.0.0/8", "fd00::/8")));

  private static InetAddress ip(String s) {
    return InetAddresses.forString(s);
  }

  @Test
  void anUntrustedPeerIsTheClientWhateverItForwards() {
    assertThat(BEHIND_LB.resolve(ip("203.0.113.9"), "198.51.100.1")).isEqualTo(ip("203.0.113.9"));
    assertThat(ClientAddress.DIRECT.resolve(ip("10.1.2.3"), "198.51.100.1"))
        .isEqualTo(ip("10.1.2.3"));
  }

  @Test
  void aTrustedPeerNamesTheRightMostAddressThatIsNotATrustedProxy() {
    // The client wrote "1.1.1.1" itself; the first proxy appended the real 198.51.100.7; a second
    // trusted proxy 10.0.0.5 appended the first proxy's address.
    assertThat(BEHIND_LB.resolve(ip("10.0.0.9"), "1.1.1.1, 198.51.100.7, 10.0.0.5"))
        .isEqualTo(ip("198.51.100.7"));
    assertThat(BEHIND_LB.resolve(ip("fd00::1"), "2001:db8::7,fd12::3"))
        .isEqualTo(ip("2001:db8::7"));
  }

  @Test
  void aTrustedPeerWithoutForwardedForIsTheClient() {
    assertThat(BEHIND_LB.resolve(ip("10.0.0.9"), null)).isEqualTo(ip("10.0.0.9"));
    assertThat(BEHIND_LB.resolve(ip("10.0.0.9"), "")).isEqualTo(ip("10.0.0.9"));
    assertThat(BEHIND_LB.resolve(ip("10.0.0.9"), "  ")).isEqualTo(ip("10.0.0.9"));
  }

  @Test
  void whenEveryHopIsTrustedTheLeftMostIsTheClient() {
    assertThat(BEHIND_LB.resolve(ip("10.0.0.9"), "10.9.9.9, 10.0.0.5")).isEqualTo(ip("10.9.9.9"));
  }

  @Test
  void aMalformedEntryLeavesTheClientUnknown() {
    for (String bad :
        List.of(
            "evil.example.com",
            "198.51.100.7:443",
            "[2001:db8::1]",
            "010.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "fe80::1%eth0",
            "unknown",
            "198.51.100.7,",
            "0x7f.0.0.1",
            "2001:db8::1::2")) {
      assertThat(BEHIND_LB.resolve(ip("10.0.0.9"), bad)).as(bad).isNull();
    }
    // Only what lies right of the first trusted-side malformed entry counts: here a good entry is
    // behind a broken one, and the walk stops at the broken one.
    assertThat(BEHIND_LB.resolve(ip("10.0.0.9"), "198.51.100.7, bogus, 10.0.0.5")).isNull();
    // A malformed entry left of the client's address is the client's own text and does not matter.
    assertThat(BEHIND_LB.resolve(ip("10.0.0.9"), "bogus, 198.51.100.7"))
        .isEqualTo(ip("198.51.100.7"));
  }

  @Test
  void tooManyTrustedHopsLeaveTheClientUnknown() {
    String hops = String.join(",", java.util.Collections.nCopies(40, "10.0.0.1"));
    assertThat(BEHIND_LB.resolve(ip("10.0.0.9"), "198.51.100.7," + hops)).isNull();
  }

  @Test
  void mappedAddressesAreTheirIpv4Addresses() {
    assertThat(BEHIND_LB.trusted(ip("::ffff:10.1.1.1"))).isTrue();
    assertThat(BEHIND_LB.resolve(ip("::ffff:10.1.1.1"), "::ffff:198.51.100.7"))
        .isEqualTo(ip("198.51.100.7"));
    ClientAddress mapped =
        ClientAddress.trusting(ClientAddress.parseRanges(List.of("::ffff:192.168.0.0/112")));
    assertThat(mapped.trusted(ip("192.168.3.4"))).isTrue();
    assertThat(mapped.trusted(ip("192.169.0.1"))).isFalse();
  }

  @Test
  void rangesOfEveryPrefix() {
    ClientAddress.Range r = ClientAddress.Range.parse("192.0.2.128/25");
    assertThat(r.contains(ip("192.0.2.128"))).isTrue();
    assertThat(r.contains(ip("192.0.2.255"))).isTrue();
    assertThat(r.contains(ip("192.0.2.127"))).isFalse();
    assertThat(r.contains(ip("::ffff:192.0.2.200"))).isTrue();
    assertThat(r.contains(ip("2001:db8::1"))).isFalse();
    assertThat(ClientAddress.Range.parse("0.0.0.0/0").contains(ip("8.8.8.8"))).isTrue();
    assertThat(ClientAddress.Range.parse("::/0").contains(ip("8.8.8.8"))).isFalse();
    assertThat(ClientAddress.Range.parse("2001:db8::/29").contains(ip("2001:dbf:ffff::1")))
        .isTrue();
    assertThat(ClientAddress.Range.parse("2001:db8::/29").contains(ip("2001:dc0::1"))).isFalse();
    assertThat(ClientAddress.Range.parse("198.51.100.7").contains(ip("198.51.100.7"))).isTrue();
    assertThat(ClientAddress.Range.parse("198.51.100.7").contains(ip("198.51.100.8"))).isFalse();
    assertThat(ClientAddress.Range.parse("2001:DB8::/32").toString()).isEqualTo("2001:db8::/32");
  }

  @Test
  void badRangesNameTheRule() {
    assertThatThrownBy(() -> ClientAddress.Range.parse("10.0.0.1/8"))
        .hasMessageContaining("bits set past the prefix");
    assertThatThrownBy(() -> ClientAddress.Range.parse("10.0.0.0/33"))
        .hasMessageContaining("0 to 32");
    assertThatThrownBy(() -> ClientAddress.Range.parse("fd00::/129"))
        .hasMessageContaining("0 to 128");
    assertThatThrownBy(() -> ClientAddress.Range.parse("localhost"))
        .hasMessageContaining("not a CIDR range");
    assertThatThrownBy(() -> ClientAddress.Range.parse("10.0.0.0/"))
        .hasMessageContaining("prefix length");
    assertThatThrownBy(() -> ClientAddress.parseRanges(List.of("10.0.0.0/8", "nope")))
        .hasMessageStartingWith("entry 2: ");
  }

  @Test
  void literalsAreStrict() {
    assertThat(ClientAddress.literal("192.0.2.1")).isEqualTo(ip("192.0.2.1"));
    assertThat(ClientAddress.literal("2001:db8::1")).isEqualTo(ip("2001:db8::1"));
    assertThat(ClientAddress.literal("::ffff:192.0.2.1")).isNotNull();
    assertThat(ClientAddress.literal("192.0.2.01")).isNull();
    assertThat(ClientAddress.literal("256.0.0.1")).isNull();
    assertThat(ClientAddress.literal("example.com")).isNull();
    assertThat(ClientAddress.literal("")).isNull();
    assertThat(ClientAddress.literal(null)).isNull();
  }
}
