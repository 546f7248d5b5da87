package io.keyward.operator.apikey;

import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.api.Condition;
import io.keyward.operator.audit.AuditLog;
import io.keyward.operator.expiry.Renewal;
import io.keyward.operator.expiry.RenewalPolicy;
import io.keyward.operator.issuance.SecretCheck;
import io.keyward.operator.kube.Conditions;
import io.keyward.operator.kube.EventRecorder;
import io.keyward.operator.metrics.KeywardMetrics;
import io.keyward.operator.mfa.AccessPolicy;
import io.keyward.operator.mfa.TotpGuard;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Events, audit lines and the issuance metric of an ApiKey, derived from its status before and
 * after a reconciliation (and from the plan, for causes). Each fires on a change, so a
 * reconciliation that changes nothing announces nothing.
 */
final class KeyAnnouncer {
  private static final Logger LOG = LoggerFactory.getLogger(ApiKeyReconciler.class);

  /** Ready reasons worth an event of their own when they start (a fix is needed). */
  private static final Set<String> ANNOUNCED =
      Set.of(
          "InvalidSpec",
          "UserNotFound",
          "NamespaceNotAllowed",
          "UserSuspended",
          "MfaNotEnrolled",
          "SecretConflict");

  private final EventRecorder events;
  private final AuditLog audit;
  private final KeywardMetrics metrics;

  KeyAnnouncer(EventRecorder events, AuditLog audit, KeywardMetrics metrics) {
    this.events = events;
    this.audit = audit;
    this.metrics = metrics;
  }

  /**
   * Announces what changed between the status read ({@code f.status()}; {@code plan.base()} for an
   * expired key that started over) and {@code next}, written on {@code key}.
   */
  void announce(
      ApiKey key,
      KeyFacts f,
      KeyPlan plan,
      KeyActions.Done done,
      ApiKeyStatus next,
      CodeAttempt code) {
    ApiKeyStatus read = f.status();
    ApiKeyStatus base = plan.base();
    String id = f.key().toString();
    String user = owner(key, next);

    repaired(key, f, id);
    unusedCode(key, plan, done, code);
    Condition ready = Conditions.find(next.conditions, Conditions.READY).orElse(null);
    Condition readyBefore = Conditions.find(read.conditions, Conditions.READY).orElse(null);
    if (ready != null
        && "False".equals(ready.status)
        && ANNOUNCED.contains(ready.reason)
        && (readyBefore == null
            || !"False".equals(readyBefore.status)
            || !ready.reason.equals(readyBefore.reason)
            || !Objects.equals(ready.message, readyBefore.message))) {
      LOG.info("ApiKey {} not ready: {}: {}", id, ready.reason, ready.message);
      events.warning(key, ready.reason, ready.message);
    }
    Optional<Condition> quota =
        Conditions.find(next.conditions, Conditions.QUOTA_AVAILABLE)
            .filter(c -> "False".equals(c.status) && "KeyLimitReached".equals(c.reason));
    boolean waitedBefore =
        Conditions.find(read.conditions, Conditions.QUOTA_AVAILABLE)
            .filter(c -> "False".equals(c.status) && "KeyLimitReached".equals(c.reason))
            .isPresent();
    if (quota.isPresent() && !waitedBefore) {
      LOG.info("ApiKey {} waits for a slot of ApiUser {}", id, user);
      events.warning(key, "KeyLimitReached", quota.get().message);
    }

    if (!KeyPlanner.EXPIRED.equals(read.phase) && KeyPlanner.EXPIRED.equals(next.phase)) {
      String cause = plan.step() instanceof KeyPlan.Expire e ? e.cause() : "expired";
      for (String accessKey : KeyStatus.accessKeys(read)) {
        audit.record(AuditLog.Action.EXPIRED, id, user, accessKey, cause);
      }
      LOG.info("ApiKey {} expired: {}", id, cause);
      events.normal(
          key,
          "Expired",
          Conditions.find(next.conditions, Conditions.READY).map(c -> c.message).orElse(cause));
      return;
    }

    boolean newKey = next.accessKey != null && !next.accessKey.equals(base.accessKey);
    // The key a step wrote: this pass's own (issue, rotate), or an interrupted one's it finished.
    ApiKeyStatus.PendingKey written =
        done.recorded() != null && !done.pendingOnly()
            ? done.recorded()
            : plan.step() instanceof KeyPlan.Resume r
                    && r.verdict() == SecretCheck.Verdict.FINISH_PENDING
                ? base.pending
                : null;
    String pendingReason = written == null ? null : written.reason;
    boolean finished = newKey && written != null;
    if (finished && KeyActions.REASON_ROTATE.equals(pendingReason)) {
      rotated(key, id, user, base, written, next);
    } else if (finished && KeyActions.REASON_SECRET_LOST.equals(pendingReason)) {
      List<String> revoked = KeyStatus.accessKeys(base);
      for (String r : revoked) {
        audit.record(AuditLog.Action.REVOKED, id, user, r, "SecretLost");
      }
      audit.record(AuditLog.Action.ISSUED, id, user, next.accessKey, "SecretLost");
      events.warning(
          key,
          "SecretLost",
          "Secret "
              + next.secretName
              + " was deleted or its secretKey no longer matches the fingerprint: access key "
              + String.join(", ", revoked)
              + " revoked, new access key "
              + next.accessKey
              + " issued (the old secret is never restored)");
    } else if (newKey) {
      audit.record(AuditLog.Action.ISSUED, id, user, next.accessKey, null);
      events.normal(
          key,
          "Issued",
          "access key "
              + next.accessKey
              + " written to Secret "
              + next.secretName
              + ", valid until "
              + next.expiresAt);
      if (read.issuedAt == null && key.getMetadata().getCreationTimestamp() != null) {
        metrics.issued(
            Duration.between(Instant.parse(key.getMetadata().getCreationTimestamp()), f.now()));
      }
    }
    if (!newKey && base.previous != null && next.previous == null) {
      graceEnded(key, id, user, base.previous);
    }
    if (plan.step() instanceof KeyPlan.Extend e
        && !Objects.equals(base.expiresAt, next.expiresAt)) {
      audit.record(
          AuditLog.Action.EXTENDED,
          id,
          user,
          next.accessKey,
          e.cause() + "; was " + base.expiresAt);
      LOG.info("ApiKey {} extended until {}", id, next.expiresAt);
      events.normal(
          key,
          "Extended",
          "access key "
              + next.accessKey
              + " extended until "
              + next.expiresAt
              + " ("
              + e.cause()
              + ")");
    }
    rotationDeferred(key, f, plan, next);
    if ("Expiring".equals(next.phase)
        && !"Expiring".equals(read.phase)
        && f.validation().valid()
        && f.validation().settings().renewalPolicy() == RenewalPolicy.Never) {
      events.normal(
          key,
          "Expiring",
          "access key "
              + next.accessKey
              + " expires at "
              + next.expiresAt
              + " and the renewal policy Never will not renew it; annotate the ApiKey with "
              + ApiKeyReconciler.RENEW_ANNOTATION
              + "=<new value> to extend it");
    }
  }

  /**
   * A keyward.io/rotate value that limits.minRotationInterval holds back (Renewal): said when the
   * pass that met it settles without rotating, with the time it will be done. A repeat raises the
   * count of the same event.
   */
  private void rotationDeferred(ApiKey key, KeyFacts f, KeyPlan plan, ApiKeyStatus next) {
    ApiKeyStatus read = f.status();
    if (!(plan.step() instanceof KeyPlan.Steady || plan.step() instanceof KeyPlan.SyncSecret)
        || !f.validation().valid()
        || read.issuedAt == null
        || read.expiresAt == null
        || !Objects.equals(read.accessKey, next.accessKey)) {
      return;
    }
    Duration interval = f.validation().settings().minRotationInterval();
    Renewal.Key timing =
        new Renewal.Key(Instant.parse(read.issuedAt), Instant.parse(read.expiresAt), null);
    Instant until = Renewal.rotateDeferredUntil(f.now(), interval, timing, f.triggers());
    if (until != null) {
      events.normal(
          key, "RotationDeferred", Renewal.deferredCause(f.triggers(), until, interval, timing));
    }
  }

  /** A code checked on the key: accepted or refused, said at once (it is spent either way). */
  void codeChecked(ApiKey key, KeyFacts f, AccessPolicy.Decision access, TotpGuard.Decision d) {
    String id = f.key().toString();
    String user = f.account().name();
    String accessKey = f.status().accessKey;
    if (d.outcome() == TotpGuard.Outcome.ACCEPTED) {
      audit.record(AuditLog.Action.VERIFIED, id, user, accessKey, access.confirmed());
      events.normal(key, "Verified", "TOTP code accepted; " + access.confirmed());
    } else {
      audit.record(AuditLog.Action.VERIFICATION_FAILED, id, user, accessKey, d.reason());
      LOG.info("ApiKey {}: TOTP code refused: {}", id, d.reason());
      events.warning(key, "VerificationFailed", d.message());
    }
  }

  /** A code that could not be checked: said so, never counted. */
  void codeNotChecked(ApiKey key, String why) {
    events.warning(key, "VerificationFailed", "TOTP code not checked: " + why);
  }

  /** Slots of vanished keys that a claim released, told on their user. */
  void reclaimed(
      io.keyward.operator.api.ApiUser user, List<io.keyward.operator.quota.SlotLedger.Slot> slots) {
    for (io.keyward.operator.quota.SlotLedger.Slot s : slots) {
      LOG.info(
          "ApiUser {}: reclaimed the slot of {}, which no longer exists",
          user.getMetadata().getName(),
          s.id());
      events.normal(
          user,
          "SlotReclaimed",
          "slot of ApiKey " + s.id() + " reclaimed: the key no longer exists");
    }
  }

  /** A deleted key's revocation: of the keys its grant records (status names none that count). */
  void revoked(ApiKey key, String secretName, boolean deleted, ApiUserStatus.KeyGrant grant) {
    if (grant == null) {
      // Nothing granted, or revoked when it expired (an expired key holds no grant).
      return;
    }
    String id = key.getMetadata().getNamespace() + "/" + key.getMetadata().getName();
    String user = key.getSpec() == null ? null : key.getSpec().user;
    for (String accessKey : io.keyward.operator.quota.KeyLedger.accessKeys(grant)) {
      audit.record(AuditLog.Action.REVOKED, id, user, accessKey, "deleted");
      events.normal(
          key,
          "Revoked",
          "access key "
              + accessKey
              + " revoked"
              + (deleted ? "; Secret " + secretName + " deleted" : ""));
    }
  }

  /**
   * A status that claimed what the ledger does not record: restored from the ledger, and said so
   * once (the next pass finds the status repaired).
   */
  private void repaired(ApiKey key, KeyFacts f, String id) {
    if (f.repaired().isEmpty()) {
      return;
    }
    String fields = String.join(", ", f.repaired());
    String record =
        f.holder() == null
            ? "no ApiUser ledger records a grant for this key"
            : "the ledger of ApiUser " + f.holder() + " records otherwise";
    audit.record(AuditLog.Action.STATUS_REPAIRED, id, f.holder(), null, fields);
    LOG.warn("ApiKey {} status repaired from the ledger: {}", id, fields);
    events.warning(
        key,
        "StatusRepaired",
        "status."
            + String.join(", status.", f.repaired())
            + " did not match what was granted ("
            + record
            + "); restored from the record: status is a mirror, never an authority");
  }

  /** The user a key was issued for (else its spec's). */
  static String owner(ApiKey key, ApiKeyStatus status) {
    if (status != null && status.effective != null && status.effective.user != null) {
      return status.effective.user;
    }
    return key.getSpec() == null ? null : key.getSpec().user;
  }

  private void unusedCode(ApiKey key, KeyPlan plan, KeyActions.Done done, CodeAttempt code) {
    if (!code.pending()) {
      return;
    }
    code.settle();
    if (done.slotLost() != null) {
      codeNotChecked(key, "the key waits for a slot");
    } else if (plan.discardCode() != null) {
      codeNotChecked(key, plan.discardCode());
    } else if (plan.access() != null && plan.access().code() == AccessPolicy.CodeUse.SKIP) {
      events.normal(
          key, "VerificationSkipped", "TOTP code not needed: the spec does not widen access");
    }
  }

  private void rotated(
      ApiKey key,
      String id,
      String user,
      ApiKeyStatus base,
      ApiKeyStatus.PendingKey p,
      ApiKeyStatus next) {
    String cause = p.cause == null ? "rotation" : p.cause;
    List<String> revoked = new ArrayList<>();
    if (base.previous != null) {
      // A second rotation within a grace period ends the earlier grace.
      revoked.add(base.previous.accessKey);
    }
    if (p.previousValidUntil == null) {
      revoked.add(base.accessKey);
    }
    revoked.removeIf(Objects::isNull);
    String replaced =
        next.previous != null
            ? "access key "
                + next.previous.accessKey
                + " still verifies until "
                + next.previous.validUntil
            : "the replaced key was revoked";
    audit.record(AuditLog.Action.ROTATED, id, user, next.accessKey, cause);
    for (String r : revoked) {
      audit.record(AuditLog.Action.REVOKED, id, user, r, "rotated");
    }
    LOG.info("ApiKey {} rotated to access key {}: {}", id, next.accessKey, cause);
    events.normal(
        key,
        "Rotated",
        "new access key "
            + next.accessKey
            + " written to Secret "
            + next.secretName
            + " ("
            + cause
            + "); "
            + replaced);
  }

  private void graceEnded(ApiKey key, String id, String user, ApiKeyStatus.PreviousKey ended) {
    audit.record(AuditLog.Action.REVOKED, id, user, ended.accessKey, "grace ended");
    events.normal(
        key,
        "Revoked",
        "previous access key "
            + ended.accessKey
            + " revoked: its grace period ended at "
            + ended.validUntil);
  }
}
