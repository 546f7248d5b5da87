package io.keyward.operator.apiuser;

import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.TotpGuard;
import java.util.Objects;

/**
 * Decides what one reconciliation of an ApiUser does, from {@link UserFacts} alone. Pure. The rules
 * (docs/api.md, "TOTP enrolment"): with MFA (and a valid spec) a TOTP secret is generated and
 * sealed into the status once; while enrolment is pending the enrolment Secret is a copy of it,
 * written again if lost; once a code confirms enrolment the copy is deleted and none is written
 * again. Only an explicit reset ({@code keyward.io/reset-totp=<new value>}) makes a new secret. A
 * Secret the operator did not write is never read: one of Keyward's type is deleted unread, one of
 * another type is left alone (and, while pending, blocks the copy).
 */
public final class UserPlanner {
  private UserPlanner() {}

  /** The plan. */
  public static UserPlan plan(UserFacts f) {
    ApiUserStatus.MfaStatus mfa = f.status() == null ? null : f.status().mfa;
    boolean resetting = resetAsked(f, mfa) && hasEnrolment(mfa);
    UserPlan.Seal seal = seal(f, resetting ? null : mfa);
    boolean confirmed = !resetting && mfa != null && Boolean.TRUE.equals(mfa.confirmed);
    UserPlan.Step step = new UserPlan.Steady();
    if (seal == UserPlan.Seal.KEEP && f.enrolment() != null && f.seed() == UserFacts.Seed.SEALED) {
      UserFacts.Enrolment e = f.enrolment();
      if (e instanceof UserFacts.Enrolment.Missing) {
        step = confirmed ? step : new UserPlan.CreateCopy();
      } else if (e instanceof UserFacts.Enrolment.Copy) {
        step = confirmed ? new UserPlan.DeleteCopy() : step;
      } else if (e instanceof UserFacts.Enrolment.Impostor) {
        step = confirmed ? new UserPlan.DeleteImpostor() : new UserPlan.ReplaceImpostor();
      } else if (e instanceof UserFacts.Enrolment.Foreign) {
        // Somebody else's data under that name: not ours to delete. Once enrolment is confirmed no
        // copy is needed, and nothing reads it.
        step = confirmed ? step : new UserPlan.Conflict(conflict(f));
      }
    }
    UserPlan.Code code = UserPlan.Code.NONE;
    if (f.code()) {
      if (!f.mfaRequired()) {
        code = new UserPlan.Code(UserPlan.CodeUse.SKIP, "MFA is disabled");
      } else if (confirmed) {
        code = new UserPlan.Code(UserPlan.CodeUse.SKIP, "TOTP enrolment is already confirmed");
      } else if (seal == UserPlan.Seal.NEW) {
        code =
            new UserPlan.Code(
                UserPlan.CodeUse.SKIP,
                "a new TOTP secret is being made: enrol it from Secret "
                    + f.enrolmentSecret()
                    + " and send a code of it");
      } else if (f.seed() == UserFacts.Seed.UNREADABLE) {
        code =
            new UserPlan.Code(
                UserPlan.CodeUse.SKIP, "the sealed TOTP secret does not open (see Ready)");
      } else {
        code = new UserPlan.Code(UserPlan.CodeUse.CHECK, null);
      }
    }
    TotpGuard.State totp = CodeVerifier.state(mfa);
    return new UserPlan(
        step, seal, code, f.mfaRequired() && totp.lockedAt(f.now()) ? totp.lockedUntil() : null);
  }

  /**
   * How the sealed secret changes, decided on {@code mfa} (the status read, or the server's on a
   * retry; null or cleared by a reset: none sealed): with MFA and a valid spec, a secret is sealed
   * when there is none, from the enrolment Secret a code confirmed if the status proves it ({@link
   * UserFacts.Enrolment.Legacy}), else a new one.
   */
  static UserPlan.Seal seal(UserFacts f, ApiUserStatus.MfaStatus mfa) {
    if (!f.mfaRequired() || !f.violations().isEmpty()) {
      return UserPlan.Seal.KEEP;
    }
    if (mfa != null && mfa.sealedSeed != null) {
      return UserPlan.Seal.KEEP;
    }
    return f.enrolment() instanceof UserFacts.Enrolment.Legacy l
            && mfa != null
            && Boolean.TRUE.equals(mfa.confirmed)
            && mfa.enrolmentSecret != null
            && l.uid().equals(mfa.enrolmentSecret.uid)
        ? UserPlan.Seal.MIGRATE
        : UserPlan.Seal.NEW;
  }

  /** The reset annotation carries a value not acted on yet. */
  static boolean resetAsked(UserFacts f, ApiUserStatus.MfaStatus mfa) {
    return f.resetRequest() != null
        && !Objects.equals(f.resetRequest(), mfa == null ? null : mfa.lastHandledReset);
  }

  /** There is an enrolment to reset: a sealed secret, or a confirmation. */
  static boolean hasEnrolment(ApiUserStatus.MfaStatus mfa) {
    return mfa != null && (mfa.sealedSeed != null || Boolean.TRUE.equals(mfa.confirmed));
  }

  /** The message of an enrolment Secret name taken by a Secret of another type. */
  static String conflict(UserFacts f) {
    return "Secret "
        + f.enrolmentSecret()
        + " exists and was not written by Keyward (it is not read as a TOTP secret): delete it"
        + " and the operator writes the enrolment Secret";
  }
}
