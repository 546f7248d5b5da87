package io.keyward.operator.apiuser;

import io.keyward.operator.api.ApiUserStatus;
import java.time.Instant;
import java.util.List;

/**
 * Everything one reconciliation of an ApiUser knows before it decides, gathered by the reconciler
 * from its caches; {@link UserPlanner} decides on these alone.
 *
 * @param status the user's status as read (never modified)
 * @param violations the spec's rule violations (empty: valid)
 * @param mfaRequired {@code mfa.totp} is not Disabled
 * @param suspended {@code spec.suspended}
 * @param enrolmentSecret namespace/name of the user's enrolment Secret
 * @param enrolment the enrolment Secret as found (null when MFA is off or the spec is invalid)
 * @param code a TOTP code arrived on the user
 * @param limit the user's key limit
 * @param account the account settings as declared now, as the audit reports them
 */
public record UserFacts(
    Instant now,
    String name,
    long generation,
    ApiUserStatus status,
    List<String> violations,
    boolean mfaRequired,
    boolean suspended,
    String enrolmentSecret,
    Enrolment enrolment,
    boolean code,
    int limit,
    ApiUserStatus.AccountSettings account) {

  /** The enrolment Secret {@code <user>-totp} in the operator's namespace. */
  public sealed interface Enrolment {
    /** There is none. */
    record Missing() implements Enrolment {}

    /** Keyward's, for this user. */
    record Ours(String uid) implements Enrolment {}

    /** Keyward's, left by an earlier ApiUser of the same name: that account's is not this one's. */
    record Leftover() implements Enrolment {}

    /** Not Keyward's. */
    record Foreign() implements Enrolment {}
  }
}
