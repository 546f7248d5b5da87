package io.keyward.verifier.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;

class AddressMatchTest {

  @Test
  void anEmptyBindingTakesAnyClientEvenAnUnknownOne() {
    assertThat(AddressMatch.allowed(List.of(), ip("198.51.100.7"))).isTrue();
    assertThat(AddressMatch.allowed(List.of(), null)).isTrue();
  }

  @Test
  void aBoundKeyRefusesAClientWhoseAddressIsUnknown() {
    assertThat(AddressMatch.allowed(List.of(ip("203.0.113.10")), null)).isFalse();
  }

  @Test
  void ipv4AddressesAreComparedByValue() {
    List<InetAddress> bound = List.of(ip("203.0.113.10"), ip("192.0.2.7"));

    assertThat(AddressMatch.allowed(bound, ip("192.0.2.7"))).isTrue();
    assertThat(AddressMatch.allowed(bound, ip("192.0.2.8"))).isFalse();
    assertThat(AddressMatch.allowed(bound, ip("203.0.113.1"))).isFalse();
  }

  @Test
  void ipv6AddressesAreOneAddressInEveryWrittenForm() {
    List<InetAddress> bound = List.of(ip("2001:db8::1"));

    assertThat(AddressMatch.allowed(bound, ip("2001:0db8:0000:0000:0000:0000:0000:0001"))).isTrue();
    assertThat(AddressMatch.allowed(bound, ip("2001:DB8:0:0::1"))).isTrue();
    assertThat(AddressMatch.allowed(bound, ip("2001:db8::2"))).isFalse();
    assertThat(AddressMatch.allowed(bound, ip("2001:db9::1"))).isFalse();
  }

  @Test
  void anIpv4MappedIpv6ClientIsTheIpv4AddressItCarries() {
    InetAddress mapped = mapped("192.0.2.7");

    assertThat(mapped).isInstanceOf(Inet6Address.class);
    assertThat(AddressMatch.allowed(List.of(ip("192.0.2.7")), mapped)).isTrue();
    assertThat(AddressMatch.allowed(List.of(ip("192.0.2.8")), mapped)).isFalse();
    assertThat(AddressMatch.normal(mapped))
        .isInstanceOf(Inet4Address.class)
        .isEqualTo(ip("192.0.2.7"));
  }

  @Test
  void anIpv4MappedBindingTakesTheIpv4Client() {
    assertThat(AddressMatch.allowed(List.of(mapped("192.0.2.7")), ip("192.0.2.7"))).isTrue();
    assertThat(AddressMatch.allowed(List.of(mapped("192.0.2.7")), ip("192.0.2.8"))).isFalse();
  }

  @Test
  void anIpv4CompatibleOrOtherIpv6AddressIsNotTakenForIpv4() throws Exception {
    byte[] compatible = new byte[16];
    System.arraycopy(ip("192.0.2.7").getAddress(), 0, compatible, 12, 4);
    byte[] almostMapped = mapped("192.0.2.7").getAddress();
    almostMapped[9] = 1;

    List<InetAddress> bound = List.of(ip("192.0.2.7"));
    assertThat(AddressMatch.allowed(bound, Inet6Address.getByAddress(null, compatible, -1)))
        .isFalse();
    assertThat(AddressMatch.allowed(bound, Inet6Address.getByAddress(null, almostMapped, -1)))
        .isFalse();
  }

  @Test
  void aScopeIdDoesNotMakeALinkLocalAddressAnother() throws Exception {
    byte[] linkLocal = ip("fe80::1").getAddress();
    InetAddress scoped = Inet6Address.getByAddress(null, linkLocal, 2);

    assertThat(((Inet6Address) scoped).getScopeId()).isEqualTo(2);
    assertThat(AddressMatch.allowed(List.of(ip("fe80::1")), scoped)).isTrue();
    assertThat(AddressMatch.allowed(List.of(scoped), ip("fe80::1"))).isTrue();
    assertThat(AddressMatch.allowed(List.of(ip("fe80::2")), scoped)).isFalse();
    assertThat(AddressMatch.normal(scoped)).isEqualTo(ip("fe80::1"));
  }

  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(literal, e);
    }
  }

  /** {@code ::ffff:a.b.c.d} as an IPv6 address, as an IPv6 socket reports an IPv4 peer. */
  private static InetAddress mapped(String ipv4) {
    byte[] b = new byte[16];
    b[10] = (byte) 0xff;
    b[11] = (byte) 0xff;
    System.arraycopy(ip(ipv4).getAddress(), 0, b, 12, 4);
    try {
      return Inet6Address.getByAddress(null, b, -1);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
