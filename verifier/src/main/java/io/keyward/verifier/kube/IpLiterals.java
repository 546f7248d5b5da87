package io.keyward.verifier.kube;

import com.google.common.net.InetAddresses;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * IP literals as ApiKeys and grants write them, parsed without DNS: a string that is not an IPv4 or
 * IPv6 literal is no address (never a host name to resolve), and an IPv4-mapped IPv6 address is the
 * IPv4 address it maps, so it matches a client that connects over IPv4.
 */
final class IpLiterals {
  private IpLiterals() {}

  // The characters of an IPv4 or IPv6 literal, as the CRD schema allows them: no zones, no
  // brackets, no names. Guava parses the rest without any lookup.
  private static final Pattern CHARACTERS = Pattern.compile("^[0-9A-Fa-f:.]{2,45}$");

  /** The address a literal writes, or null when it is none. */
  static InetAddress parse(String literal) {
    if (literal == null || !CHARACTERS.matcher(literal).matches()) {
      return null;
    }
    InetAddress address;
    try {
      address = InetAddresses.forString(literal);
    } catch (IllegalArgumentException e) {
      return null;
    }
    return normalised(address);
  }

  /** An IPv4-mapped IPv6 address as the IPv4 address it maps; any other as it is. */
  static InetAddress normalised(InetAddress address) {
    if (address instanceof Inet6Address) {
      byte[] b = address.getAddress();
      boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
      for (int i = 0; i < 10 && mapped; i++) {
        mapped = b[i] == 0;
      }
      if (mapped) {
        try {
          return (Inet4Address) InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
        } catch (UnknownHostException e) {
          throw new IllegalStateException("four bytes are an IPv4 address", e);
        }
      }
    }
    return address;
  }
}
