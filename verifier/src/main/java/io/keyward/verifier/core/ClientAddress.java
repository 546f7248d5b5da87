package io.keyward.verifier.core;

import com.google.common.net.InetAddresses;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds a request's client address. It is the connection's peer (for Envoy: the source address it
 * reports), unless that peer is a trusted proxy: then it is the right-most {@code X-Forwarded-For}
 * entry that is not itself a trusted proxy, since every entry to its right was appended by a proxy
 * we trust and everything to its left was written by the client, who can write anything. Entries
 * are IP literals parsed strictly (no host names, no DNS, no leading zeros, no zone ids); an entry
 * that is not one ends the walk with the client unknown (null), so a key bound to addresses refuses
 * rather than trusting a value no trusted proxy could have written.
 */
public final class ClientAddress {
  /** Trusts no proxy: the client is always the connection's peer. */
  public static final ClientAddress DIRECT = new ClientAddress(List.of());

  /** At most this many X-Forwarded-For entries are looked at (from the right). */
  static final int MAX_HOPS = 32;

  private final List<Range> trusted;

  private ClientAddress(List<Range> trusted) {
    this.trusted = List.copyOf(trusted);
  }

  /** Trusts proxies in these ranges. */
  public static ClientAddress trusting(List<Range> trustedProxies) {
    return trustedProxies.isEmpty() ? DIRECT : new ClientAddress(trustedProxies);
  }

  /** The trusted proxy ranges. */
  public List<Range> trustedProxies() {
    return trusted;
  }

  /** Whether an address is inside a trusted proxy range. */
  public boolean trusted(InetAddress address) {
    if (address == null || trusted.isEmpty()) {
      return false;
    }
    byte[] a = AddressMatch.normal(address).getAddress();
    for (Range r : trusted) {
      if (r.contains(a)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The client's address.
   *
   * @param peer the connection's peer (null: unknown)
   * @param forwardedFor the {@code X-Forwarded-For} values in the order received, several header
   *     lines as one comma-separated value (null or empty: none)
   * @return the address, or null when it cannot be known (see the class comment)
   */
  public InetAddress resolve(InetAddress peer, String forwardedFor) {
    if (peer == null) {
      return null;
    }
    InetAddress client = AddressMatch.normal(peer);
    if (forwardedFor == null || forwardedFor.isEmpty() || !trusted(client)) {
      return client;
    }
    if (forwardedFor.isBlank()) {
      return client;
    }
    int end = forwardedFor.length();
    for (int hops = 0; hops < MAX_HOPS; hops++) {
      int comma = forwardedFor.lastIndexOf(',', end - 1);
      InetAddress hop = literal(forwardedFor.substring(comma + 1, end).trim());
      if (hop == null) {
        return null;
      }
      client = AddressMatch.normal(hop);
      if (!trusted(client) || comma < 0) {
        // The first address no trusted proxy stands for; or, when every entry is one, the
        // left-most: a client inside a trusted range.
        return client;
      }
      end = comma;
    }
    // More trusted hops than any real chain has: the client is not known.
    return null;
  }

  /**
   * An IP literal (dotted-quad IPv4 or RFC 4291 IPv6, without zone or brackets), or null when the
   * text is anything else. Never resolves a name.
   */
  public static InetAddress literal(String text) {
    if (text == null || text.isEmpty() || text.length() > 45 || text.indexOf('%') >= 0) {
      return null;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean ok =
          (c >= '0' && c <= '9')
              || (c >= 'a' && c <= 'f')
              || (c >= 'A' && c <= 'F')
              || c == '.'
              || c == ':';
      if (!ok) {
        return null;
      }
    }
    if (text.indexOf(':') < 0 && !text.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      return null;
    }
    try {
      return InetAddresses.forString(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Parses a list of CIDR ranges; the message of a bad one names its position and the rule. */
  public static List<Range> parseRanges(List<String> cidrs) {
    List<Range> out = new ArrayList<>();
    for (int i = 0; i < cidrs.size(); i++) {
      try {
        out.add(Range.parse(cidrs.get(i)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("entry " + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  /**
   * An address range in CIDR notation: {@code 10.0.0.0/8}, {@code 2001:db8::/32}, or one address
   * ({@code 192.0.2.7} is {@code 192.0.2.7/32}). An IPv4-mapped IPv6 range is its IPv4 range.
   *
   * @param network the network's bytes (4 or 16), host bits zero
   * @param prefix the prefix length
   */
  public record Range(byte[] network, int prefix) {
    public Range {
      network = network.clone();
      if ((network.length != 4 && network.length != 16)
          || prefix < 0
          || prefix > network.length * 8) {
        throw new IllegalArgumentException("a network of 4 or 16 bytes and a prefix that fits");
      }
    }

    /**
     * Parses {@code address[/prefix]}.
     *
     * @throws IllegalArgumentException naming the rule (the text is not quoted: it may be long)
     */
    public static Range parse(String cidr) {
      String text = cidr == null ? "" : cidr.trim();
      int slash = text.indexOf('/');
      InetAddress address = literal(slash < 0 ? text : text.substring(0, slash));
      if (address == null) {
        throw new IllegalArgumentException(
            "not a CIDR range: an IPv4 or IPv6 address, optionally /prefix (10.0.0.0/8,"
                + " fd00::/8)");
      }
      String host = slash < 0 ? text : text.substring(0, slash);
      // Java reads ::ffff:a.b.c.d as the IPv4 address itself: the prefix is still one of 128 bits.
      int bits = host.indexOf(':') >= 0 ? 128 : 32;
      int prefix = bits;
      if (slash >= 0) {
        String p = text.substring(slash + 1);
        if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > bits) {
          throw new IllegalArgumentException(
              "the prefix length after / must be 0 to " + bits + " for this address");
        }
        prefix = Integer.parseInt(p);
      }
      byte[] b = AddressMatch.normal(address).getAddress();
      if (b.length == 4 && bits == 128) {
        if (prefix < 96) {
          throw new IllegalArgumentException(
              "an IPv4-mapped range (::ffff:a.b.c.d) needs a prefix of at least 96");
        }
        prefix -= 96;
      }
      for (int bit = prefix; bit < b.length * 8; bit++) {
        if ((b[bit / 8] & (0x80 >>> (bit % 8))) != 0) {
          throw new IllegalArgumentException(
              "the address has bits set past the prefix length (write the network's first"
                  + " address, such as 10.0.0.0/8)");
        }
      }
      return new Range(b, prefix);
    }

    @Override
    public byte[] network() {
      return network.clone();
    }

    /** Whether an address (normalised: IPv4 as 4 bytes) is inside the range. */
    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != network[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (address[full] & mask) == (network[full] & mask);
    }

    /** Whether an address is inside the range. */
    public boolean contains(InetAddress address) {
      return address != null && contains(AddressMatch.normal(address).getAddress());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Range r
          && r.prefix == prefix
          && java.util.Arrays.equals(r.network, network);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(network) * 31 + prefix;
    }

    @Override
    public String toString() {
      try {
        return InetAddresses.toAddrString(InetAddress.getByAddress(network)) + "/" + prefix;
      } catch (java.net.UnknownHostException impossible) {
        throw new IllegalStateException(impossible);
      }
    }
  }
}
