package io.keyward.verifier.core;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

/**
 * Compares client addresses with a key's bound addresses: by value, so {@code 2001:db8::1} and
 * {@code 2001:0db8:0:0:0:0:0:1} are one address, and an IPv4 client seen through an IPv6 socket
 * ({@code ::ffff:192.0.2.7}) is the IPv4 address it carries.
 */
public final class AddressMatch {
  private AddressMatch() {}

  /** Whether {@code client} is one of {@code bound}; an empty list binds nothing (any address). */
  public static boolean allowed(List<InetAddress> bound, InetAddress client) {
    if (bound.isEmpty()) {
      return true;
    }
    if (client == null) {
      return false;
    }
    byte[] c = normal(client).getAddress();
    for (InetAddress a : bound) {
      if (Arrays.equals(normal(a).getAddress(), c)) {
        return true;
      }
    }
    return false;
  }

  /** The IPv4 address an IPv4-mapped IPv6 address carries, else the address without its scope. */
  public static InetAddress normal(InetAddress address) {
    if (address instanceof Inet6Address) {
      byte[] b = address.getAddress();
      boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
      for (int i = 0; i < 10 && mapped; i++) {
        mapped = b[i] == 0;
      }
      try {
        return mapped
            ? InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16))
            : ((Inet6Address) address).getScopeId() == 0 ? address : InetAddress.getByAddress(b);
      } catch (UnknownHostException e) {
        throw new IllegalStateException("an address of 4 or 16 bytes was refused", e);
      }
    }
    return address;
  }
}
