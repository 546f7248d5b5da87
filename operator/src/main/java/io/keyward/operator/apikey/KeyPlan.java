package io.keyward.operator.apikey;

import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.expiry.ExpiryPlan;
import io.keyward.operator.issuance.SecretCheck;
import io.keyward.operator.mfa.AccessPolicy;
import io.keyward.operator.quota.SlotLedger;
import java.time.Instant;

/**
 * What one reconciliation of an ApiKey does: exactly one {@link Step}, decided by {@link
 * KeyPlanner} from {@link KeyFacts}.
 *
 * @param step the one action
 * @param base the status the new one is built on: the status as read, or a fresh one when an
 *     expired key starts over
 * @param access which access is in force and what a code is for (null where the plan does not get
 *     that far: the key is blocked, waits for a slot, or stays expired)
 * @param expiry the deadlines of a key this plan issues (issue and rotate), else null
 * @param next when to look at the key again if the step goes as planned (null: only on a change)
 * @param discardCode why a code that arrived cannot be checked here (null: not discarded)
 * @param claimSlot the key holds no slot and one is free: it is claimed (compare and swap on the
 *     ApiUser) before the step, and a claim that finds no slot after all ends the reconciliation as
 *     {@link WaitForSlot} would
 */
public record KeyPlan(
    Step step,
    ApiKeyStatus base,
    AccessPolicy.Decision access,
    ExpiryPlan expiry,
    Instant next,
    String discardCode,
    boolean claimSlot) {

  /** The closed set of actions. */
  public sealed interface Step {}

  /** An expired key with no new renew value: its Secret and slot stay gone. */
  public record StayExpired() implements Step {}

  /**
   * The spec is invalid or the account blocks the key: nothing is written but status.
   *
   * @param phase the phase to show, or null to keep an issued key's phase
   * @param verifiedToo the reason also explains the Verified condition (MFA not enrolled)
   * @param endGrace the previous key's grace period is over: it leaves the Secret
   */
  public record Blocked(
      String phase, String reason, String message, boolean verifiedToo, boolean endGrace)
      implements Step {
    Blocked(String phase, String reason, String message, boolean verifiedToo) {
      this(phase, reason, message, verifiedToo, false);
    }
  }

  /**
   * Every slot of the user is taken, or older keys wait ahead.
   *
   * @param endGrace the previous key's grace period is over: it leaves the Secret
   */
  public record WaitForSlot(SlotLedger.Wait why, boolean endGrace) implements Step {
    WaitForSlot(SlotLedger.Wait why) {
      this(why, false);
    }
  }

  /** A key never authorized waits for a TOTP code (holding its slot meanwhile). */
  public record AwaitCode() implements Step {}

  /**
   * Issue a key into the Secret: a first issuance (the Secret is created), or a new key after the
   * Secret was lost or tampered with (recorded as pending first, then the Secret is created).
   *
   * @param replaceTampered delete the Secret's foreign material first
   */
  public record Issue(Cause cause, boolean replaceTampered) implements Step {}

  /** Why a key is issued. */
  public enum Cause {
    FIRST,
    SECRET_LOST
  }

  /**
   * Finish what an interrupted step left: the Secret holds the pending key (record it as current),
   * or still the current one (drop the pending key), or status has no key and the key's own Secret
   * carries one (adopt it).
   */
  public record Resume(SecretCheck.Verdict verdict) implements Step {}

  /**
   * The ledger records a key being written that its Secret does not hold yet (no Secret, a lost
   * one, or one still holding the current key), recorded only {@link KeyPlanner#PENDING_PATIENCE}
   * ago: its writer (another replica, before a failover) may still be writing it. Look again then;
   * a pending key older than that was abandoned and is replaced or dropped.
   */
  public record AwaitPending(Instant until) implements Step {}

  /** Rotate: record the new key as pending, then write it into the Secret beside the old one. */
  public record Rotate(String cause, Instant previousValidUntil) implements Step {}

  /** Extend: the same key lives on until {@code expiresAt}. */
  public record Extend(String cause, Instant expiresAt) implements Step {}

  /** The key expires now: status records it first, then the Secret and slot go. */
  public record Expire(String cause) implements Step {}

  /** The previous key's grace period is over: it leaves the Secret. */
  public record EndGrace() implements Step {}

  /** The Secret's labels, annotations or public expiry entry are brought in line. */
  public record SyncSecret() implements Step {}

  /** A Secret of that name exists and is not this key's: touch nothing. */
  public record Conflict(String message) implements Step {}

  /** Nothing to do but keep status true. */
  public record Steady() implements Step {}

  /**
   * The key is being deleted, or its namespace is: nothing is issued again; the finalizer revokes
   * it.
   */
  public record Leave(String why) implements Step {}
}
