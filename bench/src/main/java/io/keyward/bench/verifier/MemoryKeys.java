package io.keyward.bench.verifier;

import io.keyward.bench.verifier.BotSigner.BotKey;
import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.KeyDirectory;
import io.keyward.verifier.core.KeyEntry;
import io.keyward.verifier.core.Permission;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fixed set of keys in memory, as the cluster's directory would hold them once synced: each key
 * with its user, a whitelist of two addresses (IPv4 and IPv6; the bots sign from the first), read
 * and trade, and a validity far from its end. The bots' side of each key comes with it.
 */
final class MemoryKeys implements KeyDirectory {
  /** The address the bots send from; every key is bound to it and to one IPv6 address. */
  static final InetAddress BOT_ADDRESS = address("203.0.113.10");

  private static final InetAddress OTHER = address("2001:db8::10");
  private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

  private final Map<String, KeyEntry> entries = new HashMap<>();
  private final List<BotKey> hmac = new ArrayList<>();
  private final List<BotKey> ed25519 = new ArrayList<>();

  /**
   * @param hmacKeys how many HMAC keys
   * @param ed25519Keys how many Ed25519 keys
   * @param passphrases whether the HMAC keys have an OKX passphrase (a key that has one verifies
   *     only with it sent, so only OKX's requests can use them)
   * @param expiresAt when every key's validity ends
   */
  MemoryKeys(int hmacKeys, int ed25519Keys, boolean passphrases, Instant expiresAt) {
    SecureRandom random = new SecureRandom();
    KeyPairGenerator ed;
    try {
      ed = KeyPairGenerator.getInstance("Ed25519");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519", e);
    }
    for (int i = 0; i < hmacKeys + ed25519Keys; i++) {
      String accessKey = accessKey(random);
      boolean isEd = i >= hmacKeys;
      String secret = null;
      String passphrase = null;
      KeyPair pair = null;
      if (isEd) {
        pair = ed.generateKeyPair();
      } else {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        secret = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        if (passphrases) {
          random.nextBytes(raw);
          passphrase = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        }
      }
      KeyEntry entry =
          new KeyEntry(
              accessKey,
              "u" + (i % 200),
              "bench",
              "k" + i,
              "00000000-0000-0000-0000-" + String.format("%012d", i),
              isEd ? Algorithm.ED25519 : Algorithm.HMAC_SHA256,
              isEd ? null : secret.getBytes(StandardCharsets.UTF_8),
              isEd ? pair.getPublic() : null,
              passphrase == null ? null : BotSigner.fingerprint(passphrase),
              EnumSet.of(Permission.READ, Permission.TRADE),
              List.of(BOT_ADDRESS, OTHER),
              expiresAt,
              null,
              KeyEntry.Standing.IN_FORCE);
      entries.put(accessKey, entry);
      BotKey bot = new BotKey(accessKey, secret, isEd ? pair.getPrivate() : null, passphrase);
      (isEd ? ed25519 : hmac).add(bot);
    }
  }

  /** The bots' keys of one algorithm, in a fixed order. */
  List<BotKey> bots(boolean ed) {
    return ed ? ed25519 : hmac;
  }

  int size() {
    return entries.size();
  }

  @Override
  public boolean ready() {
    return true;
  }

  @Override
  public KeyEntry find(String accessKey) {
    return entries.get(accessKey);
  }

  /** {@code KW} and 160 random bits in base32, as the operator issues them. */
  private static String accessKey(SecureRandom random) {
    byte[] bytes = new byte[20];
    random.nextBytes(bytes);
    StringBuilder sb = new StringBuilder("KW");
    int buffer = 0;
    int bits = 0;
    for (byte b : bytes) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        sb.append(BASE32[(buffer >> (bits - 5)) & 31]);
        bits -= 5;
      }
    }
    return sb.toString();
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("an IP literal", e);
    }
  }
}
