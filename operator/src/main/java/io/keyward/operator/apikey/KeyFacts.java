package io.keyward.operator.apikey;

import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.apiuser.AccountCheck;
import io.keyward.operator.expiry.Renewal;
import io.keyward.operator.issuance.SecretCheck;
import io.keyward.operator.mfa.TotpGuard;
import io.keyward.operator.quota.SlotLedger;
import io.keyward.operator.validation.ApiKeyRules;
import java.time.Instant;

/**
 * Everything one reconciliation of an ApiKey knows before it decides: plain values, gathered by
 * {@link KeyObserver} from the caches (and, where the cache cannot be trusted, the API server).
 * {@link KeyPlanner} decides on these alone.
 *
 * @param now the time of this reconciliation (one reading of the operator's clock)
 * @param key the key's identity
 * @param status the key's status as read, with every field of authority taken from {@code grant}
 *     ({@link KeyRecord#trusted}); never modified, the planner builds on a copy
 * @param validation the spec validated and defaulted, or its violations
 * @param account the key's ApiUser as the account rules see it
 * @param slot whether the key holds a slot of its user, could claim one, or must wait
 * @param slotLimit how many slots the user has
 * @param secret what the key's Secret needs (null when not looked at: invalid spec or blocked)
 * @param secretDrift the Secret's labels, annotations or public expiry entry differ from what
 *     status and template say
 * @param secretHasPrevious the Secret still holds a previous key
 * @param triggers the manual rotate and renew annotations
 * @param code whether a TOTP code arrived on the key (the code itself is not a fact: see {@link
 *     CodeAttempt})
 * @param totp the user's TOTP verification state (replay record, failures, lock)
 * @param namespaceTerminating the key's namespace is being deleted (looked at only where a key
 *     would be issued again)
 * @param holder the user whose ledger records the key's slot (null: none does)
 * @param grant what that ledger records as granted to the key (null: nothing)
 * @param repaired the fields of authority in which the status as read claimed something the grant
 *     does not record (empty: none): restored from the grant and reported
 * @param codeFor the generation the code that arrived names as approved (null: none named)
 */
public record KeyFacts(
    Instant now,
    KeyId key,
    ApiKeyStatus status,
    ApiKeyRules.Result validation,
    AccountCheck.Account account,
    Slot slot,
    int slotLimit,
    SecretCheck.Verdict secret,
    boolean secretDrift,
    boolean secretHasPrevious,
    Renewal.Triggers triggers,
    boolean code,
    TotpGuard.State totp,
    boolean namespaceTerminating,
    String holder,
    ApiUserStatus.KeyGrant grant,
    java.util.List<String> repaired,
    Long codeFor) {

  /** Who the key is. */
  public record KeyId(String namespace, String name, String uid, long generation) {
    @Override
    public String toString() {
      return namespace + "/" + name;
    }
  }

  /** The key's slot of its user's limit. */
  public sealed interface Slot {
    /** The ledger lists the key. */
    record Holds() implements Slot {}

    /** A slot is free and no older key waits for it: the key may claim it. */
    record Free() implements Slot {}

    /** No slot for the key now. */
    record Wait(SlotLedger.Wait why) implements Slot {}

    Slot HOLDS = new Holds();
    Slot FREE = new Free();
  }

  /** Whether status records an issued key. */
  public boolean issued() {
    return status.accessKey != null;
  }
}
