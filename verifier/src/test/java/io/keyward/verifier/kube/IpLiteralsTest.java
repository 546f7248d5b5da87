package io.keyward.verifier.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Addresses are literals only (never looked up), IPv4-mapped IPv6 as IPv4. */
class IpLiteralsTest {
  @Test
  void literalsParseAndMappedAddressesAreIpv4() throws Exception {
    assertThat(IpLiterals.parse("203.0.113.10")).isEqualTo(InetAddress.getByName("203.0.113.10"));
    assertThat(IpLiterals.parse("2001:DB8:0:0::1")).isEqualTo(IpLiterals.parse("2001:db8::1"));
    InetAddress mapped = IpLiterals.parse("::ffff:10.0.0.1");
    assertThat(mapped).isInstanceOf(Inet4Address.class).isEqualTo(IpLiterals.parse("10.0.0.1"));
    assertThat(IpLiterals.parse("::ffff:a00:1")).isEqualTo(IpLiterals.parse("10.0.0.1"));
    assertThat(IpLiterals.parse("::a00:1"))
        .as("IPv4-compatible is not mapped")
        .isNotEqualTo(mapped);
  }

  @Test
  void anythingButALiteralIsNoAddressAndIsNeverResolved() {
    // Each of these would be resolved or read loosely by InetAddress.getByName.
    for (String s :
        new String[] {
          "abc",
          "cafe",
          "1.2.3",
          "10",
          "010.0.0.1",
          "0x7f.1",
          "host.example",
          " 10.0.0.1",
          "fe80::1%eth0",
          "[::1]",
          "10.0.0.0/8",
          "",
          "1.2.3.4.5",
          "256.0.0.1"
        }) {
      assertThat(IpLiterals.parse(s)).as(s).isNull();
    }
    assertThat(IpLiterals.parse(null)).isNull();
  }
}
