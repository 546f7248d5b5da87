package io.keyward.operator.apikey;

import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.apikey.KeyObserver.Observation;
import io.keyward.operator.apikey.KeyPlan.Blocked;
import io.keyward.operator.apikey.KeyPlan.Issue;
import io.keyward.operator.apikey.KeyPlan.Resume;
import io.keyward.operator.apikey.KeyPlan.Rotate;
import io.keyward.operator.apikey.KeyPlan.WaitForSlot;
import io.keyward.operator.issuance.KeyIssuer;
import io.keyward.operator.issuance.SecretCheck;
import io.keyward.operator.mfa.AccessPolicy;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.TotpGuard;
import io.keyward.operator.quota.KeyLedger;
import io.keyward.operator.quota.SlotLedger;
import io.keyward.operator.rollout.WorkloadRestarter;
import io.keyward.operator.validation.KeySettings;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out one {@link KeyPlan}: first the gates a plan may have (claim a slot, check a TOTP
 * code), then its one step. Every write is a compare and swap or a create, so a step interrupted or
 * run twice is finished or refused, never doubled (issuance/DESIGN.md).
 */
final class KeyActions {
  /** Why a key is issued, kept in status.pending so a resumed issuance reports it correctly. */
  static final String REASON_ISSUE = "Issue";

  static final String REASON_SECRET_LOST = "SecretLost";
  static final String REASON_ROTATE = "Rotate";

  private static final Logger LOG = LoggerFactory.getLogger(KeyActions.class);

  private final KeyIssuer issuer;
  private final KeyLedger ledger;
  private final CodeVerifier verifier;
  private final WorkloadRestarter restarter;
  private final KeyAnnouncer announcer;
  private final Duration maxKeyLifetime;
  private final Function<String, Optional<ApiUser>> users;

  KeyActions(
      KeyIssuer issuer,
      KeyLedger ledger,
      CodeVerifier verifier,
      WorkloadRestarter restarter,
      KeyAnnouncer announcer,
      Duration maxKeyLifetime,
      Function<String, Optional<ApiUser>> users) {
    this.users = users;
    this.issuer = issuer;
    this.ledger = ledger;
    this.verifier = verifier;
    this.restarter = restarter;
    this.announcer = announcer;
    this.maxKeyLifetime = maxKeyLifetime;
  }

  /**
   * What was done.
   *
   * @param key the ApiKey as last written (its resourceVersion is the one to write status with)
   * @param slotLost the claim found no slot after all (the step did not run)
   * @param code the checked code's decision (null: not checked)
   * @param recorded the key the step issued: current after a first issuance, pending otherwise
   * @param pendingOnly {@code recorded} is pending: the Secret write is finished next time
   * @param adopted the public facts of an adopted Secret
   */
  record Done(
      ApiKey key,
      SlotLedger.Wait slotLost,
      TotpGuard.Decision code,
      ApiKeyStatus.PendingKey recorded,
      boolean pendingOnly,
      ApiKeyStatus.PendingKey adopted) {
    static Done nothing(ApiKey key, TotpGuard.Decision code) {
      return new Done(key, null, code, null, false, null);
    }

    boolean codeAccepted() {
      return code != null && code.outcome() == TotpGuard.Outcome.ACCEPTED;
    }
  }

  /**
   * Runs the plan.
   *
   * @param writeStatus writes a status on the given key (compare and swap) and returns the key as
   *     written: the pending record of a rotation or re-issue is written before its Secret
   */
  Done run(
      Observation o,
      KeyPlan plan,
      CodeAttempt attempt,
      BiFunction<ApiKey, ApiKeyStatus, ApiKey> writeStatus) {
    ApiKey key = o.key();
    if (plan.claimSlot()) {
      KeySettings s = o.facts().validation().settings();
      KeyLedger.Claimed claimed =
          ledger.claim(
              o.user(),
              new SlotLedger.Slot(ns(key), name(key), key.getMetadata().getUid(), s.type()),
              o.atMostWaiting(),
              o.olderWaiting(),
              o.orphans());
      announcer.reclaimed(o.user(), claimed.reclaimed());
      SlotLedger.Decision d = claimed.decision();
      if (d instanceof SlotLedger.Wait w) {
        return new Done(key, w, null, null, false, null);
      }
      LOG.info("ApiKey {} claimed a slot of ApiUser {}", o.facts().key(), s.user());
    }
    TotpGuard.Decision code = checkCode(o, plan, attempt);
    if (plan.access() != null
        && plan.access().awaitsCode()
        && (code == null || code.outcome() != TotpGuard.Outcome.ACCEPTED)) {
      // Never authorized, and no accepted code: nothing is issued, and a slot claimed for the
      // code is given back, so that keys without a code hold none.
      if (plan.claimSlot()) {
        ledger.release(o.facts().account().name(), Set.of(key.getMetadata().getUid()));
      }
      return Done.nothing(key, code);
    }
    KeySettings settings =
        o.facts().validation().valid() ? o.facts().validation().settings() : null;
    KeyPlan.Step step = plan.step();
    if (step instanceof KeyPlan.StayExpired) {
      removeSecretAndSlot(o);
    } else if ((step instanceof Blocked bl && bl.endGrace())
        || (step instanceof WaitForSlot w && w.endGrace())
        || step instanceof KeyPlan.EndGrace) {
      issuer.dropPrevious(key, o.secret());
    } else if (step instanceof Issue i) {
      return issue(o, plan, i, code, settings, writeStatus);
    } else if (step instanceof Rotate r) {
      KeyIssuer.Prepared prepared =
          issuer.prepare(settings, plan.expiry(), REASON_ROTATE, r.cause(), r.previousValidUntil());
      Done pending = new Done(key, null, code, prepared.record(), true, null);
      ApiKey written = writeStatus.apply(key, status(o, plan, pending));
      issuer.rotate(written, o.secret(), settings, prepared);
      return new Done(written, null, code, prepared.record(), true, null);
    } else if (step instanceof Resume r) {
      if (r.verdict() == SecretCheck.Verdict.FINISH_PENDING
          && REASON_ROTATE.equals(o.facts().status().pending.reason)) {
        // Before the status write: a crash in between restarts them twice, never not at all.
        restarter.restart(key, key.getSpec().rolloutRestart);
      }
      if (r.verdict() == SecretCheck.Verdict.ADOPT) {
        return new Done(
            key, null, code, null, false, KeyIssuer.adoptable(o.secret(), settings, plan.expiry()));
      }
    } else if (step instanceof KeyPlan.Extend e) {
      ApiKeyStatus extended = KeyStatus.copy(o.facts().status());
      extended.expiresAt = e.expiresAt().toString();
      issuer.syncMetadata(key, settings, extended);
    } else if (step instanceof KeyPlan.SyncSecret) {
      issuer.syncMetadata(key, settings, o.facts().status());
    }
    return Done.nothing(key, code);
  }

  private Done issue(
      Observation o,
      KeyPlan plan,
      Issue i,
      TotpGuard.Decision code,
      KeySettings settings,
      BiFunction<ApiKey, ApiKeyStatus, ApiKey> writeStatus) {
    ApiKey key = o.key();
    if (i.replaceTampered()) {
      issuer.delete(key, settings.secretName());
    }
    ApiKeyStatus base = plan.base();
    KeyIssuer.Prepared prepared =
        issuer.prepare(
            settings,
            plan.expiry(),
            i.cause() == KeyPlan.Cause.SECRET_LOST ? REASON_SECRET_LOST : REASON_ISSUE,
            null,
            null);
    if (base.accessKey == null && base.previous == null) {
      // A key's first issuance needs no pending record: status knows no key to tell the Secret's
      // apart from, so an interrupted one is finished by adopting the Secret it created.
      issuer.create(key, settings, prepared);
      return new Done(key, null, code, prepared.record(), false, null);
    }
    Done pending = new Done(key, null, code, prepared.record(), true, null);
    ApiKey written = writeStatus.apply(key, status(o, plan, pending));
    issuer.create(written, settings, prepared);
    return new Done(written, null, code, prepared.record(), true, null);
  }

  private ApiKeyStatus status(Observation o, KeyPlan plan, Done done) {
    return KeyStatus.build(o.facts(), plan, done, maxKeyLifetime);
  }

  /** Checks a code the plan asks to check, once per reconciliation, and says how it went. */
  private TotpGuard.Decision checkCode(Observation o, KeyPlan plan, CodeAttempt attempt) {
    if (plan.access() == null || plan.access().code() != AccessPolicy.CodeUse.CHECK) {
      return null;
    }
    if (attempt.pending()) {
      CodeVerifier.Attempt result = verifier.verify(o.user(), attempt.code(), false);
      if (result.decision().isEmpty()) {
        attempt.settle();
        announcer.codeNotChecked(
            o.key(), "ApiUser " + o.facts().account().name() + " has no enrolment Secret");
        return null;
      }
      attempt.decided(result.decision().get());
      announcer.codeChecked(o.key(), o.facts(), plan.access(), attempt.decision());
    }
    TotpGuard.Decision d = attempt.decision();
    // A code approves the generation it was given on; a key changed since gets no approval.
    if (d != null
        && d.outcome() == TotpGuard.Outcome.ACCEPTED
        && attempt.generation() != o.facts().key().generation()) {
      return null;
    }
    return d;
  }

  private void removeSecretAndSlot(Observation o) {
    ApiKey key = o.key();
    ApiKeyStatus status = o.facts().status();
    if (status.secretName != null && o.secret() != null) {
      issuer.delete(key, status.secretName);
    }
    String user = KeyAnnouncer.owner(key, status);
    ApiUser u = user == null ? null : users.apply(user).orElse(null);
    String uid = key.getMetadata().getUid();
    if (u != null && KeyLedger.slots(u).stream().anyMatch(s -> s.uid().equals(uid))) {
      ledger.release(user, Set.of(uid));
      LOG.info("ApiKey {} released its slot of ApiUser {}", o.facts().key(), user);
    }
  }

  private static String ns(ApiKey key) {
    return key.getMetadata().getNamespace();
  }

  private static String name(ApiKey key) {
    return key.getMetadata().getName();
  }
}
