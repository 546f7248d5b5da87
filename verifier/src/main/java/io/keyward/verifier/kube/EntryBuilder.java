package io.keyward.verifier.kube;

import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.KeyEntry;
import io.keyward.verifier.core.KeyEntry.Standing;
import io.keyward.verifier.core.Permission;
import io.keyward.verifier.kube.ClusterRecords.Grant;
import io.keyward.verifier.kube.ClusterRecords.Key;
import io.keyward.verifier.kube.ClusterRecords.KeyRef;
import io.keyward.verifier.kube.ClusterRecords.Previous;
import io.keyward.verifier.kube.ClusterRecords.Spec;
import io.keyward.verifier.kube.ClusterRecords.User;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds the entries of one key from its grant, its ApiKey and its Secret. Pure.
 *
 * <p>Authority comes only from what the operator alone writes: the grant in the ApiUser's ledger
 * (access keys, fingerprints, public keys, expiry, the previous key's end, permissions, addresses)
 * and, for HMAC, the Secret's value whose fingerprint the grant records. What a tenant can write
 * only narrows: an ApiKey that is gone or being deleted revokes, an invalid spec (or a status phase
 * {@code Invalid}) invalidates, and the spec's permissions and addresses intersect the grant's, so
 * an edit that removes something applies at once while one that adds waits for the operator's
 * grant. The ApiKey's status is otherwise never read.
 *
 * <p>The grant's {@code pending} key is never an entry: it is recorded before its Secret is written
 * and may never be (a crash, a replica that lost the race, a rotation decided again), and nothing
 * authorized it until the operator records it as the current key, which it does once its Secret
 * holds it.
 */
final class EntryBuilder {
  private EntryBuilder() {}

  /**
   * The only address of a key whose spec and grant share none: no client connects from the
   * unspecified address, so every request is refused as from an address not allowed (an empty list
   * would mean any address).
   */
  static final InetAddress NO_ADDRESS = IpLiterals.parse("::");

  /**
   * The entries of a key: its current key and, during a rotation's grace period, its previous one.
   *
   * @param holder the user whose ledger holds {@code ref}
   * @param key the ApiKey with the ref's uid; null when there is none (deleted)
   * @param secret what the Secret the grant names holds; null when it holds nothing usable
   */
  static List<KeyEntry> entries(User holder, KeyRef ref, Key key, SecretMaterial secret) {
    Grant grant = ref.grant();
    if (grant == null || grant.accessKey() == null) {
      return List.of();
    }
    Spec spec = key == null ? null : key.narrowing().spec();
    Standing standing = standing(holder, key);
    Set<Permission> permissions = permissions(grant.permissions(), spec);
    List<InetAddress> grantIps = addresses(grant.ipWhitelist());
    List<InetAddress> specIps = spec == null ? List.of() : addresses(spec.ipWhitelist());
    if (grantIps == null || specIps == null) {
      standing = worst(standing, Standing.INVALID);
      grantIps = grantIps == null ? List.of(NO_ADDRESS) : grantIps;
      specIps = specIps == null ? List.of() : specIps;
    }
    List<InetAddress> ips = intersection(grantIps, specIps);

    List<KeyEntry> entries = new ArrayList<>(2);
    entries.add(
        entry(
            holder,
            ref,
            grant.accessKey(),
            grant.algorithm(),
            grant.secretFingerprint(),
            grant.publicKey(),
            grant.passphraseFingerprint(),
            instant(grant.expiresAt()),
            null,
            permissions,
            ips,
            standing,
            secret));
    Previous p = grant.previous();
    Instant until = p == null ? null : instant(p.validUntil());
    // A previous key verifies only until the end the grant gives it (the operator cuts the grace at
    // the replaced key's own expiry): a previous key without one is not in a grace period.
    if (p != null && p.accessKey() != null && until != null) {
      entries.add(
          entry(
              holder,
              ref,
              p.accessKey(),
              p.algorithm() != null ? p.algorithm() : grant.algorithm(),
              p.secretFingerprint(),
              p.publicKey(),
              p.passphraseFingerprint(),
              until,
              until,
              permissions,
              ips,
              standing,
              secret));
    }
    return entries;
  }

  private static KeyEntry entry(
      User holder,
      KeyRef ref,
      String accessKey,
      String algorithmName,
      String fingerprint,
      String publicKeyPem,
      String passphraseFingerprint,
      Instant expiresAt,
      Instant validUntil,
      Set<Permission> permissions,
      List<InetAddress> ips,
      Standing standing,
      SecretMaterial secret) {
    Algorithm algorithm =
        algorithmName == null ? Algorithm.HMAC_SHA256 : Algorithm.fromWire(algorithmName);
    byte[] hmacKey = null;
    PublicKey publicKey = null;
    if (algorithm == null) {
      algorithm = Algorithm.HMAC_SHA256;
      standing = worst(standing, Standing.INVALID);
    } else if (algorithm == Algorithm.HMAC_SHA256) {
      // Not written yet, lost, edited or planted: a Secret whose value the grant does not record
      // verifies nothing.
      hmacKey = secret == null ? null : secret.matching(fingerprint);
      if (hmacKey == null) {
        standing = worst(standing, Standing.INVALID);
      }
    } else {
      publicKey = ed25519(publicKeyPem);
      if (publicKey == null) {
        standing = worst(standing, Standing.INVALID);
      }
    }
    if (expiresAt == null) {
      expiresAt = Instant.EPOCH;
      standing = worst(standing, Standing.INVALID);
    }
    return new KeyEntry(
        accessKey,
        holder.name(),
        ref.namespace(),
        ref.name(),
        ref.uid(),
        algorithm,
        hmacKey,
        publicKey,
        passphraseFingerprint,
        permissions,
        ips,
        expiresAt,
        validUntil,
        standing);
  }

  /** What the ApiKey and the user say of the key's standing, before its material is looked at. */
  private static Standing standing(User holder, Key key) {
    if (key == null || key.narrowing().terminating()) {
      // Deleted (with or without its finalizer) or being deleted: revoked at once.
      return Standing.REVOKED;
    }
    if (holder.suspended()) {
      return Standing.SUSPENDED;
    }
    Spec spec = key.narrowing().spec();
    if ("Invalid".equals(key.narrowing().phase()) || !valid(spec, holder)) {
      return Standing.INVALID;
    }
    return Standing.IN_FORCE;
  }

  /**
   * Whether the spec is one the operator accepts, as far as verification is concerned: its user is
   * the ledger's, and its algorithm, permissions and addresses are known ones.
   */
  private static boolean valid(Spec spec, User holder) {
    if (spec == null || !holder.name().equals(spec.user())) {
      return false;
    }
    if (spec.algorithm() != null && Algorithm.fromWire(spec.algorithm()) == null) {
      return false;
    }
    if (spec.permissions() != null) {
      for (String p : spec.permissions()) {
        if (Permission.fromWire(p) == null) {
          return false;
        }
      }
    }
    return addresses(spec.ipWhitelist()) != null;
  }

  /** The grant's permissions that the spec still lists (the spec's default is read). */
  private static Set<Permission> permissions(List<String> granted, Spec spec) {
    Set<Permission> in = EnumSet.noneOf(Permission.class);
    if (granted != null) {
      for (String g : granted) {
        Permission p = Permission.fromWire(g);
        if (p != null) {
          in.add(p);
        }
      }
    }
    if (spec != null) {
      Set<Permission> listed = EnumSet.noneOf(Permission.class);
      for (String s : spec.permissions() == null ? List.of("read") : spec.permissions()) {
        Permission p = Permission.fromWire(s);
        if (p != null) {
          listed.add(p);
        }
      }
      in.retainAll(listed);
    }
    return Set.copyOf(in);
  }

  /**
   * The addresses both lists allow, where an empty list allows any: the grant's, narrowed to those
   * the spec still lists; never one the grant does not list.
   */
  static List<InetAddress> intersection(List<InetAddress> granted, List<InetAddress> listed) {
    if (listed.isEmpty()) {
      return granted;
    }
    if (granted.isEmpty()) {
      return listed;
    }
    List<InetAddress> both = granted.stream().filter(listed::contains).toList();
    return both.isEmpty() ? List.of(NO_ADDRESS) : both;
  }

  /** The addresses of a list of literals (distinct, in order), or null when one is no address. */
  private static List<InetAddress> addresses(List<String> literals) {
    if (literals == null) {
      return List.of();
    }
    Set<InetAddress> out = new LinkedHashSet<>();
    for (String literal : literals) {
      InetAddress a = IpLiterals.parse(literal);
      if (a == null) {
        return null;
      }
      out.add(a);
    }
    return List.copyOf(out);
  }

  /** An Ed25519 verifying key from PEM (SubjectPublicKeyInfo), or null when it is not one. */
  static PublicKey ed25519(String pem) {
    if (pem == null) {
      return null;
    }
    String body =
        pem.replace("-----BEGIN PUBLIC KEY-----", "")
            .replace("-----END PUBLIC KEY-----", "")
            .replaceAll("\\s", "");
    try {
      byte[] der = Base64.getDecoder().decode(body);
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      return null;
    }
  }

  private static Instant instant(String rfc3339) {
    if (rfc3339 == null) {
      return null;
    }
    try {
      return Instant.parse(rfc3339);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** The standing that refuses first: revoked, then suspended, then invalid. */
  private static Standing worst(Standing a, Standing b) {
    return a == Standing.IN_FORCE ? b : a;
  }
}
