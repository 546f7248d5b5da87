package io.keyward.operator.apikey;

import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.api.ApiUserStatus.KeyGrant;
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
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out one {@link KeyPlan}: first the gates a plan may have (claim a slot, check a TOTP
 * code), then its one step. Every write is a compare and swap or a create, so a step interrupted or
 * run twice is finished or refused, never doubled (issuance/DESIGN.md).
 */
final class KeyActions {
  /** Why a key is issued, kept in the pending record so a resumed issuance reports it correctly. */
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
  private final java.util.function.Predicate<String> accessKeyTaken;
  private final java.util.function.Consumer<ApiUser> grantsWritten;

  KeyActions(
      KeyIssuer issuer,
      KeyLedger ledger,
      CodeVerifier verifier,
      WorkloadRestarter restarter,
      KeyAnnouncer announcer,
      Duration maxKeyLifetime,
      Function<String, Optional<ApiUser>> users,
      java.util.function.Predicate<String> accessKeyTaken,
      java.util.function.Consumer<ApiUser> grantsWritten) {
    this.users = users;
    this.accessKeyTaken = accessKeyTaken;
    this.grantsWritten = grantsWritten;
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
   * @param recorded the key the step issued (its pending record, finished in the same pass)
   * @param pendingOnly {@code recorded} is only pending (the status of the pending record)
   * @param user the key's user as last written here (null: as observed)
   * @param grant the grant the ledger records after the step (the expected value of the next ledger
   *     write)
   */
  record Done(
      ApiKey key,
      SlotLedger.Wait slotLost,
      TotpGuard.Decision code,
      ApiKeyStatus.PendingKey recorded,
      boolean pendingOnly,
      ApiUser user,
      ApiUserStatus.KeyGrant grant) {
    static Done nothing(ApiKey key, TotpGuard.Decision code, ApiUser user, KeyGrant grant) {
      return new Done(key, null, code, null, false, user, grant);
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
  Done run(Observation o, KeyPlan plan, CodeAttempt attempt) {
    ApiKey key = o.key();
    ApiUser user = o.user();
    KeyGrant grant = o.facts().grant();
    // A key issued at once (no code to check first) claims its slot and records its pending key
    // in one write.
    KeyIssuer.Prepared early = null;
    KeyGrant earlyGrant = null;
    if (plan.claimSlot()
        && plan.step() instanceof Issue first
        && !first.replaceTampered()
        && plan.access() != null
        && !plan.access().awaitsCode()
        && plan.access().code() != AccessPolicy.CodeUse.CHECK) {
      early = prepare(o.facts().validation().settings(), plan, reasonOf(first), null, null);
      earlyGrant = pendingGrant(o, plan, null, early, o.user(), grant);
    }
    if (plan.claimSlot()) {
      KeySettings s = o.facts().validation().settings();
      KeyLedger.Claimed claimed =
          ledger.claim(
              o.user(),
              new SlotLedger.Slot(ns(key), name(key), key.getMetadata().getUid(), s.type()),
              o.atMostWaiting(),
              o.olderWaiting(),
              o.orphans(),
              earlyGrant);
      grantsWritten.accept(claimed.user());
      announcer.reclaimed(o.user(), claimed.reclaimed());
      SlotLedger.Decision d = claimed.decision();
      if (d instanceof SlotLedger.Wait w) {
        return new Done(key, w, null, null, false, claimed.user(), grant);
      }
      user = claimed.user();
      if (!(d instanceof SlotLedger.Claim)) {
        // It held its slot after all: the pending key is recorded on its own below.
        early = null;
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
        ApiUser released =
            ledger.release(o.facts().account().name(), Set.of(key.getMetadata().getUid())).user();
        if (released != null) {
          grantsWritten.accept(released);
          user = released;
        }
      }
      return Done.nothing(key, code, user, grant);
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
      if (i.replaceTampered()) {
        issuer.delete(key, settings.secretName());
      }
      KeyIssuer.Prepared prepared;
      Pending pending;
      if (early != null) {
        prepared = early;
        pending = new Pending(user, earlyGrant);
      } else {
        prepared = prepare(settings, plan, reasonOf(i), null, null);
        pending = recordPending(o, plan, code, prepared, user, grant);
      }
      issuer.create(key, settings, prepared);
      return new Done(key, null, code, prepared.record(), false, pending.user(), pending.grant());
    } else if (step instanceof Rotate r) {
      KeyIssuer.Prepared prepared =
          prepare(settings, plan, REASON_ROTATE, r.cause(), r.previousValidUntil());
      Pending pending = recordPending(o, plan, code, prepared, user, grant);
      issuer.rotate(key, o.secret(), settings, prepared);
      // Before the grant records the new key: a crash in between restarts them twice, never not
      // at all.
      restarter.restart(key, key.getSpec().rolloutRestart);
      return new Done(key, null, code, prepared.record(), false, pending.user(), pending.grant());
    } else if (step instanceof Resume r) {
      if (r.verdict() == SecretCheck.Verdict.FINISH_PENDING
          && REASON_ROTATE.equals(o.facts().status().pending.reason)) {
        restarter.restart(key, key.getSpec().rolloutRestart);
      }
    } else if (step instanceof KeyPlan.Extend e) {
      ApiKeyStatus extended = KeyStatus.copy(o.facts().status());
      extended.expiresAt = e.expiresAt().toString();
      issuer.syncMetadata(key, settings, extended);
    } else if (step instanceof KeyPlan.SyncSecret) {
      issuer.syncMetadata(key, settings, o.facts().status());
    }
    return Done.nothing(key, code, user, grant);
  }

  private static String reasonOf(Issue i) {
    return i.cause() == KeyPlan.Cause.SECRET_LOST ? REASON_SECRET_LOST : REASON_ISSUE;
  }

  /** The ledger as the pending record left it. */
  private record Pending(ApiUser user, KeyGrant grant) {}

  /**
   * Records the key about to be written as pending in its grant, before its Secret exists or
   * changes: only a Secret holding exactly this key is ever taken as issued.
   */
  private Pending recordPending(
      Observation o,
      KeyPlan plan,
      TotpGuard.Decision code,
      KeyIssuer.Prepared prepared,
      ApiUser user,
      KeyGrant grant) {
    String holder = o.facts().holder();
    String owner = o.facts().validation().settings().user();
    if (holder != null && !holder.equals(owner)) {
      // Never reached (the spec's user is fixed once issued, and an expired key's old slot goes
      // before it starts over): a key is only ever issued on its own user's ledger.
      throw new IllegalStateException("the key's grant is recorded for another user");
    }
    KeyGrant next = pendingGrant(o, plan, code, prepared, user, grant);
    ApiUser written = ledger.recordGrant(user, owner, o.key().getMetadata().getUid(), grant, next);
    grantsWritten.accept(written);
    return new Pending(written, next);
  }

  /** The grant that records {@code prepared} as the key being written. */
  private KeyGrant pendingGrant(
      Observation o,
      KeyPlan plan,
      TotpGuard.Decision code,
      KeyIssuer.Prepared prepared,
      ApiUser user,
      KeyGrant grant) {
    Done pendingOnly = new Done(o.key(), null, code, prepared.record(), true, user, grant);
    return KeyRecord.grantOf(status(o, plan, pendingOnly));
  }

  /** The user whose ledger records the key: the one it was issued for, else its spec's. */
  static String holder(Observation o) {
    return o.facts().holder() != null ? o.facts().holder() : o.facts().account().name();
  }

  /**
   * A new key whose access key no grant holds yet: a generated access key that another key's grant
   * already records (current, previous or pending) is generated again.
   */
  private KeyIssuer.Prepared prepare(
      KeySettings settings, KeyPlan plan, String reason, String cause, java.time.Instant until) {
    for (int attempt = 1; ; attempt++) {
      KeyIssuer.Prepared prepared = issuer.prepare(settings, plan.expiry(), reason, cause, until);
      if (!accessKeyTaken.test(prepared.record().accessKey)) {
        return prepared;
      }
      if (attempt >= 3) {
        throw new IllegalStateException("generated access keys are already held by other keys");
      }
    }
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
            o.key(), "ApiUser " + o.facts().account().name() + " has no confirmed TOTP secret");
        return null;
      }
      attempt.decided(result.decision().get());
      announcer.codeChecked(o.key(), o.facts(), plan.access(), attempt.decision());
    }
    TotpGuard.Decision d = attempt.decision();
    // A code approves the generation it names; a key changed since gets no approval (the planner
    // does not ask to check such a code; this holds across the retries of one reconciliation).
    if (d != null
        && d.outcome() == TotpGuard.Outcome.ACCEPTED
        && !Long.valueOf(o.facts().key().generation()).equals(attempt.approves())) {
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
