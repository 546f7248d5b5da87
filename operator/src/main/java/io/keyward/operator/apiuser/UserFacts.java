package io.keyward.operator.apiuser;

import io.keyward.operator.api.ApiUserStatus;
import java.time.Instant;
import java.util.List;

/**
 * Everything one reconciliation of an ApiUser knows before it decides, gathered by the reconciler
 * from its caches; {@link UserPlanner} decides on these alone. No TOTP secret is among them: the
 * facts say what the sealed secret and the enrolment Secret are, not what they hold.
 *
 * @param status the user's status as read (never modified)
 * @param violations the spec's rule violations (empty: valid)
 * @param mfaRequired {@code mfa.totp} is not Disabled
 * @param suspended {@code spec.suspended}
 * @param enrolmentSecret namespace/name of the user's enrolment Secret
 * @param enrolment the enrolment Secret as found (null when MFA is off or the spec is invalid)
 * @param seed what {@code status.mfa.sealedSeed} is
 * @param code a TOTP code arrived on the user
 * @param resetRequest the value of the annotation {@code keyward.io/reset-totp} (null: none)
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
    Seed seed,
    boolean code,
    String resetRequest,
    int limit,
    ApiUserStatus.AccountSettings account) {

  /** The sealed TOTP secret of record in the status read. */
  public enum Seed {
    /** None is sealed yet. */
    NONE,
    /** It opens with the sealing key for this account. */
    SEALED,
    /** It does not open: the sealing key is not the one it was sealed with. */
    UNREADABLE
  }

  /**
   * The Secret {@code <user>-totp} in the operator's namespace, judged by what it holds. Nothing in
   * it is believed: a Secret is the operator's copy only if it holds the sealed secret itself.
   */
  public sealed interface Enrolment {
    /** There is none. */
    record Missing() implements Enrolment {}

    /** The operator's copy of the sealed secret (Keyward's type, labels, owner, and content). */
    record Copy(String uid) implements Enrolment {}

    /**
     * No secret is sealed yet and this Secret has Keyward's type, labels and owner: an enrolment
     * Secret of an operator from before sealed secrets, or one planted with copied metadata. The
     * planner carries it over only if the status (which only the operator writes) recorded this
     * very Secret as the one a code confirmed.
     */
    record Legacy(String uid) implements Enrolment {}

    /** Keyward's type, but not the operator's copy of the sealed secret: never read. */
    record Impostor() implements Enrolment {}

    /** Another type: somebody else's Secret of that name. */
    record Foreign() implements Enrolment {}
  }
}
