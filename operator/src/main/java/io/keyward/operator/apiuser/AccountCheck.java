package io.keyward.operator.apiuser;

import java.util.List;
import java.util.Optional;

/** Whether a user's account lets a key in a namespace be issued (and verify). */
public final class AccountCheck {
  private AccountCheck() {}

  /**
   * What the operator knows of an ApiUser.
   *
   * @param exists false when no ApiUser of that name exists
   * @param mfaRequired {@code mfa.totp: Required} (the default)
   * @param mfaConfirmed the user proved TOTP enrolment
   */
  public record Account(
      String name,
      boolean exists,
      List<String> namespaces,
      boolean suspended,
      boolean mfaRequired,
      boolean mfaConfirmed) {
    /** An account that does not exist. */
    public static Account missing(String name) {
      return new Account(name, false, List.of(), false, false, false);
    }
  }

  /** Why a key cannot go ahead: the phase it waits in, the condition reason and a message. */
  public record Block(String phase, String reason, String message) {}

  /** As {@link #check(Account, String, boolean)} for a key not issued yet. */
  public static Optional<Block> check(Account account, String namespace) {
    return check(account, namespace, false);
  }

  /**
   * The first reason the account blocks a key in {@code namespace}, or empty when none. An issued
   * key is not blocked by unconfirmed MFA enrolment: it was authorized when it was issued, and only
   * widening edits of it wait for a code.
   */
  public static Optional<Block> check(Account account, String namespace, boolean issued) {
    if (!account.exists()) {
      return Optional.of(
          new Block(
              "Pending",
              "UserNotFound",
              "spec.user: ApiUser "
                  + account.name()
                  + " does not exist; the key waits until it is created"));
    }
    if (!account.namespaces().contains("*") && !account.namespaces().contains(namespace)) {
      return Optional.of(
          new Block(
              "Invalid",
              "NamespaceNotAllowed",
              "namespace "
                  + namespace
                  + " is not listed in spec.namespaces of ApiUser "
                  + account.name()
                  + " "
                  + account.namespaces()));
    }
    if (account.suspended()) {
      return Optional.of(
          new Block(
              "Pending",
              "UserSuspended",
              "ApiUser " + account.name() + " is suspended: no key is issued and none verifies"));
    }
    if (!issued && account.mfaRequired() && !account.mfaConfirmed()) {
      return Optional.of(
          new Block(
              "AwaitingVerification",
              "MfaNotEnrolled",
              "ApiUser "
                  + account.name()
                  + " requires TOTP and has not confirmed enrolment (annotate the ApiUser with"
                  + " keyward.io/totp-code)"));
    }
    return Optional.empty();
  }
}
