package io.keyward.operator.apiuser;

import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.audit.AuditLog;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The audit record of an ApiUser's account settings: MFA ({@code totp}), the key limit in force
 * ({@code maxKeys}), {@code suspended} and {@code namespaces}. Pure.
 *
 * <p>A reconciliation sees the spec as it is now, never the one before, so the settings last
 * audited are kept in {@code status.account} and the spec is compared with them. Status is the
 * place because only the operator writes it: ApiUsers are cluster-scoped and tenants have no rights
 * on them, and a spec edit cannot touch status. The record is decided in the user's one status
 * write (a compare and swap, decided again on conflict), so of two attempts, or two replicas, only
 * the one whose write lands reports the change, and it reports it once.
 */
final class AccountAudit {
  private AccountAudit() {}

  /** The record to write: which action, and each changed setting from what to what. */
  record Audit(AuditLog.Action action, Map<String, AuditLog.Change> changes, String detail) {}

  /** The settings as declared now; the limit is the one in force (spec, else the default). */
  static ApiUserStatus.AccountSettings settings(
      ApiUserSpec spec, boolean mfaRequired, boolean suspended, int limit) {
    ApiUserStatus.AccountSettings s = new ApiUserStatus.AccountSettings();
    s.totp = mfaRequired ? "Required" : "Disabled";
    s.maxKeys = limit;
    s.suspended = suspended;
    s.namespaces =
        spec == null || spec.namespaces == null ? null : new ArrayList<>(spec.namespaces);
    return s;
  }

  /**
   * The record for settings that went from {@code before} (null: none audited yet) to {@code now};
   * empty when no audited setting changed.
   *
   * @param created the user was never reconciled before (its status has no observedGeneration)
   */
  static Optional<Audit> between(
      ApiUserStatus.AccountSettings before, ApiUserStatus.AccountSettings now, boolean created) {
    ApiUserStatus.AccountSettings was =
        before == null ? new ApiUserStatus.AccountSettings() : before;
    Map<String, AuditLog.Change> changes = new LinkedHashMap<>();
    change(changes, "totp", was.totp, now.totp);
    change(changes, "maxKeys", was.maxKeys, now.maxKeys);
    change(changes, "suspended", was.suspended, now.suspended);
    change(changes, "namespaces", was.namespaces, now.namespaces);
    if (changes.isEmpty()) {
      return Optional.empty();
    }
    if (before == null && created) {
      return Optional.of(new Audit(AuditLog.Action.ACCOUNT_CREATED, changes, null));
    }
    // A user reconciled by an operator that kept no status.account: what it had is not known.
    String detail = before == null ? "first audit of this account: earlier settings unknown" : null;
    return Optional.of(new Audit(AuditLog.Action.ACCOUNT_CHANGED, changes, detail));
  }

  private static void change(
      Map<String, AuditLog.Change> changes, String setting, Object from, Object to) {
    if (!Objects.equals(from, to)) {
      changes.put(setting, new AuditLog.Change(from, to));
    }
  }
}
