package io.keyward.operator.apiuser;

import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.TotpGuard;

/**
 * Decides what one reconciliation of an ApiUser does, from {@link UserFacts} alone. Pure. The rules
 * (README, "Accounts"): with MFA (and a valid spec) the enrolment Secret is created once, and one
 * that is not Keyward's is never touched; a code confirms enrolment once and is not needed after,
 * nor without MFA.
 */
public final class UserPlanner {
  private UserPlanner() {}

  /** The plan. */
  public static UserPlan plan(UserFacts f) {
    UserFacts.Enrolment e = f.enrolment();
    UserPlan.Step step;
    if (e instanceof UserFacts.Enrolment.Missing) {
      step = new UserPlan.CreateEnrolment();
    } else if (e instanceof UserFacts.Enrolment.Leftover) {
      step = new UserPlan.ReplaceLeftover();
    } else if (e instanceof UserFacts.Enrolment.Foreign) {
      step = new UserPlan.Conflict(conflict(f));
    } else {
      step = new UserPlan.Steady();
    }
    UserPlan.Code code = UserPlan.Code.NONE;
    if (f.code()) {
      // A confirmation holds for the enrolment Secret it was given for.
      // (The enrolment Secret is not looked at while the spec is invalid: the record stands.)
      boolean confirmed =
          f.status() != null
              && f.status().mfa != null
              && Boolean.TRUE.equals(f.status().mfa.confirmed)
              && (f.enrolment() == null
                  || (f.enrolment() instanceof UserFacts.Enrolment.Ours o
                      && f.status().mfa.enrolmentSecret != null
                      && o.uid().equals(f.status().mfa.enrolmentSecret.uid)));
      if (!f.mfaRequired()) {
        code = new UserPlan.Code(UserPlan.CodeUse.SKIP, "MFA is disabled");
      } else if (confirmed) {
        code = new UserPlan.Code(UserPlan.CodeUse.SKIP, "TOTP enrolment is already confirmed");
      } else {
        code = new UserPlan.Code(UserPlan.CodeUse.CHECK, null);
      }
    }
    TotpGuard.State totp = CodeVerifier.state(f.status() == null ? null : f.status().mfa);
    return new UserPlan(
        step, code, f.mfaRequired() && totp.lockedAt(f.now()) ? totp.lockedUntil() : null);
  }

  /** The message of an enrolment Secret name taken by something that is not Keyward's. */
  static String conflict(UserFacts f) {
    return "enrolment Secret " + f.enrolmentSecret() + " exists and is not Keyward's for this user";
  }
}
