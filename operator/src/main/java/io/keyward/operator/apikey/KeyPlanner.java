package io.keyward.operator.apikey;

import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.Condition;
import io.keyward.operator.apikey.KeyPlan.AwaitCode;
import io.keyward.operator.apikey.KeyPlan.Blocked;
import io.keyward.operator.apikey.KeyPlan.Cause;
import io.keyward.operator.apikey.KeyPlan.Conflict;
import io.keyward.operator.apikey.KeyPlan.EndGrace;
import io.keyward.operator.apikey.KeyPlan.Expire;
import io.keyward.operator.apikey.KeyPlan.Extend;
import io.keyward.operator.apikey.KeyPlan.Issue;
import io.keyward.operator.apikey.KeyPlan.Leave;
import io.keyward.operator.apikey.KeyPlan.Resume;
import io.keyward.operator.apikey.KeyPlan.Rotate;
import io.keyward.operator.apikey.KeyPlan.StayExpired;
import io.keyward.operator.apikey.KeyPlan.Steady;
import io.keyward.operator.apikey.KeyPlan.SyncSecret;
import io.keyward.operator.apikey.KeyPlan.WaitForSlot;
import io.keyward.operator.apiuser.AccountCheck;
import io.keyward.operator.expiry.ExpiryPlan;
import io.keyward.operator.expiry.Renewal;
import io.keyward.operator.kube.Conditions;
import io.keyward.operator.mfa.AccessChange;
import io.keyward.operator.mfa.AccessPolicy;
import io.keyward.operator.validation.KeySettings;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * Decides what one reconciliation of an ApiKey does, from {@link KeyFacts} alone. Pure: no
 * Kubernetes calls, time is a fact. The rules are the README's, in this order:
 *
 * <ol>
 *   <li>An expired key stays expired until a new {@code keyward.io/renew} value; then it starts
 *       over as a new key.
 *   <li>An invalid spec, then the account (user missing, namespace not allowed, suspended, MFA not
 *       enrolled), then the slot (the user's limit, oldest first) block a key. An issued key that
 *       is blocked still expires at {@code expiresAt}, and its previous key still leaves at the end
 *       of its grace period.
 *   <li>With MFA, a key never authorized waits for a TOTP code ({@link AccessPolicy}), and takes
 *       its slot only when the code is accepted.
 *   <li>An issued key past {@code expiresAt} whose policy cannot save it expires.
 *   <li>What the Secret needs comes first: issue, issue again after a loss (never in a namespace
 *       being deleted), finish an interrupted step, or stop at a Secret that is not this key's.
 *   <li>A settled key: the previous key's grace ends, then the renewal policy or a manual trigger
 *       rotates or extends, then the Secret's metadata is brought in line.
 * </ol>
 */
public final class KeyPlanner {
  /** A Secret name taken by something else is looked at again at this pace. */
  static final Duration CONFLICT_RECHECK = Duration.ofMinutes(1);

  static final String EXPIRED = "Expired";

  /** How long a key being written by another writer is given to reach its Secret. */
  public static final Duration PENDING_PATIENCE = Duration.ofSeconds(10);

  private final Duration maxKeyLifetime;

  public KeyPlanner(Duration maxKeyLifetime) {
    this.maxKeyLifetime = maxKeyLifetime;
  }

  /** Whether an expired key starts over: a renew value it has not acted on. */
  public static boolean startsOver(ApiKeyStatus status, String renewAnnotation) {
    return status != null
        && EXPIRED.equals(status.phase)
        && renewAnnotation != null
        && !renewAnnotation.equals(status.lastHandledRenew);
  }

  /** The plan. */
  public KeyPlan plan(KeyFacts f) {
    Instant now = f.now();
    ApiKeyStatus base = f.status();
    if (EXPIRED.equals(base.phase)) {
      if (!startsOver(base, f.triggers().renew())) {
        return new KeyPlan(
            new StayExpired(),
            base,
            null,
            null,
            null,
            "the key expired; annotate it with "
                + ApiKeyReconciler.RENEW_ANNOTATION
                + "=<new value> to issue a new one",
            false);
      }
      if (f.holder() != null) {
        // The expired key still holds its slot and grant (the pass that releases them has not
        // run): they go first, so the new key is decided on its own user's ledger alone.
        return new KeyPlan(new StayExpired(), base, null, null, now, null, false);
      }
      base = startedOver(base, f.triggers().renew());
    }
    boolean issued = base.accessKey != null;

    if (!f.validation().valid()) {
      return blocked(
          f,
          base,
          new Blocked("Invalid", "InvalidSpec", f.validation().message(), false),
          "its spec is invalid",
          "the spec is invalid");
    }
    KeySettings settings = f.validation().settings();
    Optional<AccountCheck.Block> block =
        AccountCheck.check(f.account(), f.key().namespace(), issued);
    if (block.isPresent()) {
      AccountCheck.Block b = block.get();
      return blocked(
          f,
          base,
          new Blocked(
              issued ? null : b.phase(),
              b.reason(),
              b.message(),
              "MfaNotEnrolled".equals(b.reason())),
          b.message(),
          b.message());
    }
    if (f.slot() instanceof KeyFacts.Slot.Wait w) {
      return blocked(
          f, base, new WaitForSlot(w.why()), "it has no slot", "the key waits for a slot");
    }
    boolean claim = f.slot() instanceof KeyFacts.Slot.Free;

    AccessPolicy.Decision access = AccessPolicy.decide(accessInput(f, base, settings));
    String discard = access.code() == AccessPolicy.CodeUse.DISCARD ? access.discardWhy() : null;
    if (access.awaitsCode() && access.code() != AccessPolicy.CodeUse.CHECK) {
      // A key takes a slot only once a code authorizes it: keys that never get a code cannot
      // squat the user's slots.
      return new KeyPlan(
          new AwaitCode(), base, access, null, at(now, access.recheck()), discard, false);
    }

    Renewal.Policy policy = Renewal.Policy.of(settings, maxKeyLifetime);
    Renewal.Decision renewal = Renewal.Decision.NOTHING;
    if (issued && base.pending == null) {
      renewal = Renewal.decide(now, policy, timing(base), triggers(f, base));
      if (renewal.action() == Renewal.Action.EXPIRE) {
        return new KeyPlan(new Expire(renewal.cause()), base, access, null, now, discard, claim);
      }
    }
    ExpiryPlan fresh = ExpiryPlan.forIssuance(now.truncatedTo(ChronoUnit.SECONDS), settings);
    Instant pendingSince =
        base.pending == null || base.pending.issuedAt == null
            ? null
            : Instant.parse(base.pending.issuedAt);
    boolean pendingYoung =
        pendingSince != null && now.isBefore(pendingSince.plus(PENDING_PATIENCE));
    if (pendingYoung
        && (f.secret() == io.keyward.operator.issuance.SecretCheck.Verdict.ISSUE
            || f.secret() == io.keyward.operator.issuance.SecretCheck.Verdict.REISSUE_LOST
            || f.secret() == io.keyward.operator.issuance.SecretCheck.Verdict.DROP_STALE_PENDING)) {
      // A key being written whose Secret does not hold it yet: its writer (another replica, in a
      // handover) may be writing it now. It is given that long before it is replaced or dropped.
      Instant until = pendingSince.plus(PENDING_PATIENCE);
      return new KeyPlan(
          new KeyPlan.AwaitPending(until), base, access, null, until, discard, false);
    }
    switch (f.secret()) {
      case ISSUE -> {
        return new KeyPlan(
            new Issue(Cause.FIRST, false),
            base,
            access,
            fresh,
            // Issued and finished in one pass: the new key's deadlines are next.
            next(now, fresh.renewAt(), fresh.expiresAt(), null, access.recheck()),
            discard,
            claim);
      }
      case REISSUE_LOST, REPLACE_TAMPERED -> {
        if (f.namespaceTerminating()) {
          return new KeyPlan(
              new Leave("namespace " + f.key().namespace() + " is being deleted"),
              base,
              access,
              null,
              null,
              discard,
              false);
        }
        return new KeyPlan(
            new Issue(
                base.accessKey == null ? Cause.FIRST : Cause.SECRET_LOST,
                f.secret() == io.keyward.operator.issuance.SecretCheck.Verdict.REPLACE_TAMPERED),
            base,
            access,
            fresh,
            next(now, fresh.renewAt(), fresh.expiresAt(), null, access.recheck()),
            discard,
            claim);
      }
      case FINISH_PENDING, DROP_STALE_PENDING -> {
        // The finished step may have passed a deadline: look again at once.
        return new KeyPlan(new Resume(f.secret()), base, access, fresh, now, discard, claim);
      }
      case CONFLICT -> {
        String message =
            "Secret "
                + settings.secretName()
                + " exists and is not controlled by this ApiKey; delete it or choose another"
                + " spec.secretTemplate.name";
        return new KeyPlan(
            new Conflict(message),
            base,
            access,
            null,
            earliest(deadlines(now, base, access.recheck()), now.plus(CONFLICT_RECHECK)),
            discard,
            claim);
      }
      case STEADY -> {}
    }

    // Settled: status and Secret agree on the current key, and nothing is pending.
    if (graceOver(now, base) || (base.previous == null && f.secretHasPrevious())) {
      return new KeyPlan(new EndGrace(), base, access, null, now, discard, claim);
    }
    switch (renewal.action()) {
      case ROTATE -> {
        return new KeyPlan(
            new Rotate(renewal.cause(), renewal.previousValidUntil()),
            base,
            access,
            fresh,
            next(
                now,
                fresh.renewAt(),
                fresh.expiresAt(),
                renewal.previousValidUntil(),
                access.recheck()),
            discard,
            claim);
      }
      case EXTEND -> {
        Instant expiresAt = renewal.expiresAt();
        return new KeyPlan(
            new Extend(renewal.cause(), expiresAt),
            base,
            access,
            null,
            next(
                now,
                Renewal.renewAt(expiresAt, policy),
                expiresAt,
                previousValidUntil(base),
                access.recheck()),
            discard,
            claim);
      }
      default -> {}
    }
    KeyPlan.Step step = f.secretDrift() ? new SyncSecret() : new Steady();
    return new KeyPlan(
        step,
        base,
        access,
        null,
        earliest( // a rotation limits.minRotationInterval deferred is done when it ends
            next(
                now,
                Renewal.renewAt(Instant.parse(base.expiresAt), policy),
                Instant.parse(base.expiresAt),
                previousValidUntil(base),
                access.recheck()),
            renewal.deferredUntil()),
        discard,
        claim);
  }

  /**
   * A key that cannot go on: only the deadlines that pass regardless act on an issued one. At
   * expiresAt it expires; at the end of a grace period the previous key leaves the Secret.
   */
  private KeyPlan blocked(
      KeyFacts f, ApiKeyStatus base, KeyPlan.Step step, String while_, String discard) {
    Instant now = f.now();
    boolean settled = base.accessKey != null && base.expiresAt != null && base.pending == null;
    if (settled && !now.isBefore(Instant.parse(base.expiresAt))) {
      return new KeyPlan(
          new Expire("expired at " + base.expiresAt + " while " + while_),
          base,
          null,
          null,
          now,
          discard,
          false);
    }
    boolean endGrace = settled && graceOver(now, base);
    if (step instanceof Blocked b) {
      step = new Blocked(b.phase(), b.reason(), b.message(), b.verifiedToo(), endGrace);
    } else if (step instanceof WaitForSlot w) {
      step = new WaitForSlot(w.why(), endGrace);
    }
    Instant next =
        settled
            ? next(
                now,
                instant(base.renewAt),
                instant(base.expiresAt),
                endGrace ? null : previousValidUntil(base),
                null)
            : null;
    return new KeyPlan(step, base, null, null, next, discard, false);
  }

  /** An expired key's status as a new key's: it claims a slot, needs a code, gets a new key. */
  static ApiKeyStatus startedOver(ApiKeyStatus expired, String renew) {
    ApiKeyStatus s = KeyStatus.copy(expired);
    KeyStatus.asNewKey(s);
    s.lastHandledRenew = renew;
    return s;
  }

  static AccessPolicy.Input accessInput(KeyFacts f, ApiKeyStatus base, KeySettings settings) {
    AccessChange.Access authorized =
        base.effective == null
            ? null
            : new AccessChange.Access(
                Optional.ofNullable(base.effective.permissions).orElse(List.of()),
                Optional.ofNullable(base.effective.ipWhitelist).orElse(List.of()));
    AccessPolicy.Verified previous =
        Conditions.find(base.conditions, Conditions.VERIFIED)
            .map(
                (Condition c) ->
                    new AccessPolicy.Verified(
                        AccessPolicy.Op.KEEP, "True".equals(c.status), c.reason, c.message))
            .orElse(null);
    return new AccessPolicy.Input(
        settings.user(),
        f.account().mfaRequired(),
        f.account().mfaConfirmed(),
        new AccessChange.Access(settings.permissions(), settings.ipWhitelist()),
        authorized,
        f.code(),
        f.totp(),
        previous,
        f.key().generation(),
        f.now(),
        f.codeFor());
  }

  private static Renewal.Key timing(ApiKeyStatus s) {
    return new Renewal.Key(
        Instant.parse(s.issuedAt), Instant.parse(s.expiresAt), previousValidUntil(s));
  }

  private static Renewal.Triggers triggers(KeyFacts f, ApiKeyStatus base) {
    return new Renewal.Triggers(
        f.triggers().rotate(), base.lastHandledRotate, f.triggers().renew(), base.lastHandledRenew);
  }

  private static boolean graceOver(Instant now, ApiKeyStatus s) {
    return s.previous != null && Renewal.graceOver(now, previousValidUntil(s));
  }

  private static Instant previousValidUntil(ApiKeyStatus s) {
    return s.previous == null ? null : instant(s.previous.validUntil);
  }

  private static Instant deadlines(Instant now, ApiKeyStatus s, Duration recheck) {
    return next(now, instant(s.renewAt), instant(s.expiresAt), previousValidUntil(s), recheck);
  }

  /** The earliest deadline after {@code now}, or the end of {@code recheck}. */
  private static Instant next(
      Instant now, Instant renewAt, Instant expiresAt, Instant graceEnd, Duration recheck) {
    return Renewal.next(now, renewAt, expiresAt, graceEnd, at(now, recheck));
  }

  private static Instant at(Instant now, Duration d) {
    return d == null ? null : now.plus(d);
  }

  private static Instant earliest(Instant a, Instant b) {
    return a == null ? b : (b == null || a.isBefore(b) ? a : b);
  }

  private static Instant instant(String s) {
    return s == null ? null : Instant.parse(s);
  }
}
