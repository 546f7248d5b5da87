package io.keyward.operator.apiuser;

import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.kube.Conditions;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.TotpGuard;
import java.util.List;
import java.util.Optional;

/**
 * Builds an ApiUser's next status from the facts, the plan and what its action did, on the status
 * the server has (the one write is a compare and swap, and this is decided again on every conflict:
 * the ledger and the replay record are shared with the ApiKey controller). Pure.
 */
final class UserStatus {
  private UserStatus() {}

  /**
   * What the action besides the status write did.
   *
   * @param enrolmentUid the uid of this user's enrolment Secret (null: none, or MFA is off)
   * @param created the enrolment Secret was created in this reconciliation
   * @param problem why the enrolment Secret cannot be had (null: no problem)
   */
  record Done(String enrolmentUid, boolean created, String problem) {
    static final Done NOTHING = new Done(null, false, null);
  }

  /**
   * The next status and what it changed.
   *
   * @param code the checked code's decision (null: not checked)
   * @param reset a confirmed enrolment was reset (its Secret was replaced or lost)
   * @param account the audit record of changed account settings (null: none changed)
   */
  record Next(
      ApiUserStatus status, TotpGuard.Decision code, boolean reset, AccountAudit.Audit account) {}

  /**
   * The next status, built on {@code current} (a copy of the server's).
   *
   * @param steps the time steps the code matches (empty: nothing to check it against)
   */
  static Next build(
      UserFacts f, UserPlan p, Done d, ApiUserStatus current, Optional<List<Long>> steps) {
    ApiUserStatus s = current;
    // Against what the server has, so a change is reported by the write that records it, once.
    AccountAudit.Audit account =
        AccountAudit.between(s.account, f.account(), s.observedGeneration == null).orElse(null);
    s.account = f.account();
    if (s.mfa == null) {
      s.mfa = new ApiUserStatus.MfaStatus();
    }
    boolean reset = false;
    if (d.enrolmentUid() != null
        && (s.mfa.enrolmentSecret == null || !d.enrolmentUid().equals(s.mfa.enrolmentSecret.uid))) {
      reset = Boolean.TRUE.equals(s.mfa.confirmed) && s.mfa.enrolmentSecret != null;
      ApiUserStatus.SecretRef ref = new ApiUserStatus.SecretRef();
      String[] at = f.enrolmentSecret().split("/", 2);
      ref.namespace = at[0];
      ref.name = at[1];
      ref.uid = d.enrolmentUid();
      s.mfa.enrolmentSecret = ref;
      // A confirmation holds for the Secret it was given for.
      s.mfa.confirmed = false;
    }
    TotpGuard.Decision code = null;
    if (p.code().use() == UserPlan.CodeUse.CHECK && steps.isPresent()) {
      TotpGuard.State state = CodeVerifier.state(s.mfa);
      code = TotpGuard.decide(state, steps.get(), f.now());
      CodeVerifier.store(s.mfa, code.next());
      if (code.outcome() == TotpGuard.Outcome.ACCEPTED) {
        s.mfa.confirmed = true;
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
    } else if (problem != null) {
      reason = "EnrolmentConflict";
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
    return new Next(s, code, reset, account);
  }
}
