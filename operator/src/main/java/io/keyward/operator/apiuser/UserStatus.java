package io.keyward.operator.apiuser;

import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.kube.Conditions;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.SealingKey;
import io.keyward.operator.mfa.TotpGuard;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Builds an ApiUser's next status from the facts, the plan and what its action did, on the status
 * the server has (the one write is a compare and swap, and this is decided again on every conflict:
 * the ledger and the replay record are shared with the ApiKey controller). The sealed TOTP secret
 * changes here, in that same write: so of two attempts or two replicas only the one whose write
 * lands has sealed a secret, and a secret another one sealed first is never replaced. Pure: the
 * sealing and the code check come in as {@link Seeds}.
 */
final class UserStatus {
  private UserStatus() {}

  /** The sealed secret as the build needs it: sealing, opening and matching a code. */
  interface Seeds {
    /** A new TOTP secret, sealed for this user. */
    String sealNew();

    /** The secret of the {@link UserFacts.Enrolment.Legacy} enrolment Secret, sealed. */
    String sealLegacy();

    /** Whether {@code sealed} opens for this user. */
    boolean opens(String sealed);

    /**
     * The time steps the code that arrived matches under {@code sealed}; empty if it does not open.
     */
    Optional<List<Long>> steps(String sealed);
  }

  /**
   * What the action besides the status write did.
   *
   * @param copyUid the uid of the enrolment copy of the sealed secret that exists now (null: none)
   * @param created the copy was written in this reconciliation
   * @param deletedCopy the copy was deleted (enrolment is confirmed)
   * @param impostorDeleted a Secret of Keyward's type that was not the copy was deleted unread
   * @param problem why the copy cannot be had (null: no problem)
   */
  record Done(
      String copyUid,
      boolean created,
      boolean deletedCopy,
      boolean impostorDeleted,
      String problem) {
    static final Done NOTHING = new Done(null, false, false, false, null);

    static Done copy(String uid) {
      return new Done(uid, false, false, false, null);
    }
  }

  /** How the sealed secret changed in this write. */
  enum SeedChange {
    NONE,
    /** The first secret of the user was sealed. */
    FIRST,
    /** {@code keyward.io/reset-totp} reset the enrolment: a new secret, to be confirmed. */
    RESET,
    /**
     * A user confirmed before sealed secrets whose enrolment Secret could not be proved the one
     * confirmed: a new secret, to be confirmed.
     */
    RESTARTED,
    /** The secret a code confirmed in an earlier operator's enrolment Secret was sealed. */
    MIGRATED
  }

  /**
   * The next status and what it changed.
   *
   * @param code the checked code's decision (null: not checked)
   * @param seed how the sealed secret changed
   * @param account the audit record of changed account settings (null: none changed)
   */
  record Next(
      ApiUserStatus status, TotpGuard.Decision code, SeedChange seed, AccountAudit.Audit account) {}

  /** The next status, built on {@code current} (a copy of the server's). */
  static Next build(UserFacts f, UserPlan p, Done d, ApiUserStatus current, Seeds seeds) {
    ApiUserStatus s = current;
    // Against what the server has, so a change is reported by the write that records it, once.
    AccountAudit.Audit account =
        AccountAudit.between(s.account, f.account(), s.observedGeneration == null).orElse(null);
    s.account = f.account();
    if (s.mfa == null) {
      s.mfa = new ApiUserStatus.MfaStatus();
    }
    String sealedAsRead = f.status().mfa == null ? null : f.status().mfa.sealedSeed;
    SeedChange change = SeedChange.NONE;
    if (UserPlanner.resetAsked(f, s.mfa)) {
      // Handled once, whatever it finds: a user created with the annotation set has nothing to
      // reset, and a manifest applied again with the same value resets nothing.
      if (UserPlanner.hasEnrolment(s.mfa)) {
        change = SeedChange.RESET;
        s.mfa.sealedSeed = null;
        s.mfa.confirmed = false;
      }
      s.mfa.lastHandledReset = f.resetRequest();
    }
    switch (UserPlanner.seal(f, s.mfa)) {
      case NEW -> {
        if (change == SeedChange.NONE) {
          change = Boolean.TRUE.equals(s.mfa.confirmed) ? SeedChange.RESTARTED : SeedChange.FIRST;
        }
        s.mfa.sealedSeed = seeds.sealNew();
        s.mfa.confirmed = false;
        s.mfa.enrolmentSecret = null;
      }
      case MIGRATE -> {
        s.mfa.sealedSeed = seeds.sealLegacy();
        change = SeedChange.MIGRATED;
      }
      case KEEP -> {}
    }
    // The action was decided on the secret as read: what it found counts only for that one.
    boolean asRead = change == SeedChange.NONE && Objects.equals(s.mfa.sealedSeed, sealedAsRead);
    if (asRead && f.enrolment() != null && f.seed() == UserFacts.Seed.SEALED) {
      s.mfa.enrolmentSecret = d.copyUid() == null ? null : ref(f, d.copyUid());
    }
    TotpGuard.Decision code = null;
    if (p.code().use() == UserPlan.CodeUse.CHECK && asRead) {
      Optional<List<Long>> steps = seeds.steps(s.mfa.sealedSeed);
      if (steps.isPresent()) {
        TotpGuard.State state = CodeVerifier.state(s.mfa);
        code = TotpGuard.decide(state, steps.get(), f.now());
        CodeVerifier.store(s.mfa, code.next());
        if (code.outcome() == TotpGuard.Outcome.ACCEPTED) {
          s.mfa.confirmed = true;
        }
      }
    }

    s.observedGeneration = f.generation();
    ApiUserStatus.KeyCount count = new ApiUserStatus.KeyCount();
    count.limit = f.limit();
    count.used = s.keyRefs.size();
    s.keys = count;
    TotpGuard.State guard = CodeVerifier.state(s.mfa);
    boolean confirmed = Boolean.TRUE.equals(s.mfa.confirmed);
    if (!f.mfaRequired()) {
      s.mfa.state = "Disabled";
    } else if (guard.lockedAt(f.now())) {
      s.mfa.state = "Locked";
    } else {
      s.mfa.state = confirmed ? "Enrolled" : "EnrolmentPending";
    }
    if (s.mfa.confirmed == null) {
      s.mfa.confirmed = false;
    }
    String problem = p.step() instanceof UserPlan.Conflict c ? c.message() : d.problem();
    String reason;
    String message;
    if (!f.violations().isEmpty()) {
      reason = "InvalidSpec";
      message = String.join("; ", f.violations());
    } else if (f.mfaRequired() && s.mfa.sealedSeed != null && !seeds.opens(s.mfa.sealedSeed)) {
      reason = "SealedSeedUnreadable";
      message =
          "status.mfa.sealedSeed does not open with the operator's sealing key (was Secret "
              + SealingKey.NAME
              + " replaced?): no code can be checked. Restore that Secret, or reset the"
              + " enrolment with the annotation "
              + ApiUserReconciler.RESET_ANNOTATION
              + "=<new value>";
    } else if (asRead && problem != null) {
      reason = "EnrolmentSecretConflict";
      message = problem;
    } else if (f.suspended()) {
      reason = "Suspended";
      message = "spec.suspended is true: no key is issued and none verifies";
    } else if (f.mfaRequired() && !confirmed) {
      reason = "MfaNotEnrolled";
      message =
          "TOTP enrolment is not confirmed: scan qr.png of Secret "
              + f.enrolmentSecret()
              + ", then annotate the ApiUser with "
              + CodeVerifier.ANNOTATION
              + "=<code>; keys wait until then";
    } else {
      reason = null;
      // No count here: status.keys has it, and a message that changed with every claim made
      // each claim cost a second status write of the user.
      message = "account ready: keys may be issued (status.keys counts the slots)";
    }
    Conditions.set(
        s.conditions,
        Conditions.READY,
        reason == null,
        reason == null ? "Ready" : reason,
        message,
        f.generation(),
        f.now());
    return new Next(s, code, change, account);
  }

  private static ApiUserStatus.SecretRef ref(UserFacts f, String uid) {
    ApiUserStatus.SecretRef ref = new ApiUserStatus.SecretRef();
    String[] at = f.enrolmentSecret().split("/", 2);
    ref.namespace = at[0];
    ref.name = at[1];
    ref.uid = uid;
    return ref;
  }
}
