package io.keyward.operator.apikey;

import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.api.ApiUserStatus;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Which keys an ApiUser's change wakes. A change of the account (spec, MFA state, a new or deleted
 * user) concerns every key of the user; a change of the slot ledger alone (a claim or a release, by
 * far the most frequent) concerns only the keys that hold no slot, since only they wait for one.
 * Waking every key on every claim made issuance quadratic in the keys per user.
 */
final class UserWakes {
  /**
   * Per user, the last version seen: its account and whether that version woke every key. Asked
   * again about the same version, the answer is the same (an informer may map one event twice).
   */
  private record Seen(String resourceVersion, Account account, Set<String> holders, boolean all) {}

  /**
   * Everything of the user its keys decide on, but the slot ledger: the MFA state, confirmation and
   * lock, not each refused code or accepted step (a code refused on one key must not wake every key
   * that names the user, however many a tenant made).
   */
  private record Account(
      String uid,
      String deletion,
      ApiUserSpec spec,
      String mfaState,
      Boolean mfaConfirmed,
      String lockedUntil,
      boolean sealed) {}

  private final Map<String, Seen> seen = new ConcurrentHashMap<>();

  /** The keys to reconcile for this version of {@code user}, out of {@code keys} (its keys). */
  List<ApiKey> wake(ApiUser user, Collection<ApiKey> keys) {
    String name = user.getMetadata().getName();
    String version = user.getMetadata().getResourceVersion();
    Seen now =
        seen.compute(
            name,
            (n, before) -> {
              if (before != null && Objects.equals(before.resourceVersion(), version)) {
                return before;
              }
              Account account = account(user);
              Set<String> holders = holders(user);
              boolean all = before == null || !account.equals(before.account());
              return new Seen(version, account, holders, all);
            });
    if (now.all()) {
      return List.copyOf(keys);
    }
    Set<String> holders = now.holders();
    return keys.stream().filter(k -> !holders.contains(k.getMetadata().getUid())).toList();
  }

  private static Set<String> holders(ApiUser user) {
    return user.getStatus() == null || user.getStatus().keyRefs == null
        ? Set.of()
        : user.getStatus().keyRefs.stream()
            .map(r -> r.uid)
            .filter(Objects::nonNull)
            .collect(Collectors.toSet());
  }

  /** Forgets a deleted user, so a new one of the same name wakes all its keys. */
  void forget(String user) {
    seen.remove(user);
  }

  private static Account account(ApiUser user) {
    // Cached objects are replaced, never changed in place: keeping their parts is safe.
    ApiUserStatus.MfaStatus mfa = user.getStatus() == null ? null : user.getStatus().mfa;
    return new Account(
        user.getMetadata().getUid(),
        user.getMetadata().getDeletionTimestamp(),
        user.getSpec(),
        mfa == null ? null : mfa.state,
        mfa == null ? null : mfa.confirmed,
        mfa == null ? null : mfa.lockedUntil,
        mfa != null && mfa.sealedSeed != null);
  }
}
