package io.keyward.operator.apikey;

import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.apikey.KeyPlan.Blocked;
import io.keyward.operator.apikey.KeyPlan.Conflict;
import io.keyward.operator.apikey.KeyPlan.Expire;
import io.keyward.operator.apikey.KeyPlan.Extend;
import io.keyward.operator.apikey.KeyPlan.Issue;
import io.keyward.operator.apikey.KeyPlan.Resume;
import io.keyward.operator.apikey.KeyPlan.Rotate;
import io.keyward.operator.apikey.KeyPlan.WaitForSlot;
import io.keyward.operator.expiry.Renewal;
import io.keyward.operator.issuance.SecretCheck;
import io.keyward.operator.kube.Conditions;
import io.keyward.operator.kube.StatusWriter;
import io.keyward.operator.mfa.AccessChange;
import io.keyward.operator.mfa.AccessPolicy;
import io.keyward.operator.quota.SlotLedger;
import io.keyward.operator.validation.KeySettings;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds an ApiKey's next status, once per reconciliation, from what was observed ({@link
 * KeyFacts}), planned ({@link KeyPlan}) and done ({@link KeyActions.Done}). Pure.
 */
public final class KeyStatus {
  private KeyStatus() {}

  /** A deep copy of a status (a fresh one for null). */
  public static ApiKeyStatus copy(ApiKeyStatus status) {
    return StatusWriter.copy(status, ApiKeyStatus.class, ApiKeyStatus::new);
  }

  /** Makes {@code s} the status of a key never issued: no key, no access, phase Pending. */
  static void asNewKey(ApiKeyStatus s) {
    s.accessKey = null;
    s.secretName = null;
    s.secretFingerprint = null;
    s.algorithm = null;
    s.publicKey = null;
    s.passphraseFingerprint = null;
    s.issuedAt = null;
    s.expiresAt = null;
    s.renewAt = null;
    s.previous = null;
    s.pending = null;
    s.effective = null;
    s.phase = "Pending";
    Conditions.remove(s.conditions, Conditions.VERIFIED);
    Conditions.remove(s.conditions, Conditions.SECRET_PRESENT);
  }

  /** A copy of a previous key's record (null for null). */
  public static ApiKeyStatus.PreviousKey copyPrevious(ApiKeyStatus.PreviousKey p) {
    return p == null
        ? null
        : StatusWriter.copy(p, ApiKeyStatus.PreviousKey.class, ApiKeyStatus.PreviousKey::new);
  }

  /** A copy of a pending key's record (null for null). */
  public static ApiKeyStatus.PendingKey copyPending(ApiKeyStatus.PendingKey p) {
    return p == null
        ? null
        : StatusWriter.copy(p, ApiKeyStatus.PendingKey.class, ApiKeyStatus.PendingKey::new);
  }

  /** The next status. */
  public static ApiKeyStatus build(
      KeyFacts f, KeyPlan p, KeyActions.Done d, Duration maxKeyLifetime) {
    ApiKeyStatus s = copy(p.base());
    long gen = f.key().generation();
    Instant now = f.now();
    s.observedGeneration = gen;
    boolean issued = s.accessKey != null;
    if (d.slotLost() != null) {
      waiting(s, d.slotLost(), f, issued);
      return s;
    }
    KeyPlan.Step step = p.step();
    if (step instanceof KeyPlan.StayExpired
        || step instanceof KeyPlan.Leave
        || step instanceof KeyPlan.AwaitPending) {
      return s;
    }
    if (step instanceof Blocked b) {
      if (b.phase() != null) {
        s.phase = b.phase();
      }
      if (b.verifiedToo()) {
        Conditions.set(s.conditions, Conditions.VERIFIED, false, b.reason(), b.message(), gen, now);
      }
      Conditions.set(s.conditions, Conditions.READY, false, b.reason(), b.message(), gen, now);
      if (b.endGrace()) {
        s.previous = null;
      }
      return s;
    }
    if (step instanceof WaitForSlot w) {
      waiting(s, w.why(), f, issued);
      if (w.endGrace()) {
        s.previous = null;
      }
      return s;
    }
    if (step instanceof Expire e) {
      expired(s, e.cause(), gen, now);
      return s;
    }

    KeySettings settings = f.validation().settings();
    AccessPolicy.Decision access = p.access();
    boolean holds =
        f.slot() instanceof KeyFacts.Slot.Holds
            || (p.claimSlot() && !(access.awaitsCode() && !d.codeAccepted()));
    if (holds) {
      Conditions.set(
          s.conditions,
          Conditions.QUOTA_AVAILABLE,
          true,
          "SlotHeld",
          "holds one of the " + f.slotLimit() + " key slots of ApiUser " + settings.user(),
          gen,
          now);
    } else {
      Conditions.set(
          s.conditions,
          Conditions.QUOTA_AVAILABLE,
          true,
          "SlotFree",
          "a slot of ApiUser "
              + settings.user()
              + " is free; the key claims it when a TOTP code confirms it",
          gen,
          now);
    }
    AccessPolicy.Input in = KeyPlanner.accessInput(f, p.base(), settings);
    AccessPolicy.Verified verified = access.verified();
    AccessChange.Access inForce = access.inForce();
    if (d.codeAccepted()) {
      verified = AccessPolicy.accepted(in);
      inForce = access.requested();
    } else if (d.code() != null) {
      verified = AccessPolicy.refused(in, access, d.code());
    }
    switch (verified.op()) {
      case REMOVE -> Conditions.remove(s.conditions, Conditions.VERIFIED);
      case SET ->
          Conditions.set(
              s.conditions,
              Conditions.VERIFIED,
              verified.status(),
              verified.reason(),
              verified.message(),
              gen,
              now);
      case KEEP -> {}
    }
    if (inForce == null) {
      // Never authorized: a new key of an MFA user waits for its code.
      if (!issued) {
        s.phase = "AwaitingVerification";
      }
      String message =
          Conditions.find(s.conditions, Conditions.VERIFIED).map(c -> c.message).orElse("");
      Conditions.set(
          s.conditions, Conditions.READY, false, "AwaitingVerification", message, gen, now);
      return s;
    }
    if (issued || !(step instanceof Conflict)) {
      // A key never issued records no access: nothing was granted yet.
      s.effective = effective(settings, inForce);
    }

    String keyBefore = s.accessKey;
    String lostCause = null;
    if (step instanceof Conflict c) {
      if (s.accessKey == null) {
        s.phase = "Pending";
      }
      Conditions.set(
          s.conditions, Conditions.SECRET_PRESENT, false, "SecretConflict", c.message(), gen, now);
      Conditions.set(
          s.conditions, Conditions.READY, false, "SecretConflict", c.message(), gen, now);
      return s;
    }
    if (step instanceof Issue || step instanceof Rotate) {
      if (d.recorded() == null) {
        return s;
      }
      s.pending = d.recorded();
      if (d.pendingOnly()) {
        // The pending record, written to the ledger before the Secret.
        s.secretName = settings.secretName();
        return s;
      }
      if (KeyActions.REASON_SECRET_LOST.equals(s.pending.reason)) {
        lostCause = revokedByLoss(s);
      }
      finish(s);
    } else if (step instanceof Resume r) {
      if (r.verdict() == SecretCheck.Verdict.FINISH_PENDING) {
        if (KeyActions.REASON_SECRET_LOST.equals(s.pending.reason)) {
          lostCause = revokedByLoss(s);
        }
        finish(s);
      } else {
        s.pending = null;
      }
    } else if (step instanceof Extend e) {
      s.expiresAt = e.expiresAt().toString();
      s.lastHandledRenew = f.triggers().renew();
    } else if (step instanceof KeyPlan.EndGrace) {
      s.previous = null;
    }
    if (!Objects.equals(keyBefore, s.accessKey)) {
      // A new key (or an adopted one) answers every manual request made so far.
      s.lastHandledRotate = f.triggers().rotate();
      s.lastHandledRenew = f.triggers().renew();
    }
    settled(s, settings, keyBefore, lostCause, gen, now, maxKeyLifetime);
    return s;
  }

  /** A settled key's phase, deadlines and conditions. */
  private static void settled(
      ApiKeyStatus s,
      KeySettings settings,
      String keyBefore,
      String lostCause,
      long gen,
      Instant now,
      Duration maxKeyLifetime) {
    Renewal.Policy policy = Renewal.Policy.of(settings, maxKeyLifetime);
    Instant expiresAt = Instant.parse(s.expiresAt);
    s.phase = Renewal.phase(now, expiresAt, policy);
    s.secretName = settings.secretName();
    s.renewAt = Renewal.renewAt(expiresAt, policy).toString();
    var present =
        Conditions.find(s.conditions, Conditions.SECRET_PRESENT)
            .filter(c -> "True".equals(c.status));
    if (lostCause != null) {
      Conditions.set(
          s.conditions,
          Conditions.SECRET_PRESENT,
          true,
          "SecretLost",
          "Secret was lost or tampered with at "
              + now.truncatedTo(ChronoUnit.SECONDS)
              + "; access key "
              + lostCause
              + " was revoked and "
              + s.accessKey
              + " issued",
          gen,
          now);
    } else if (Objects.equals(keyBefore, s.accessKey) && present.isPresent()) {
      // Nothing happened to the Secret: keep the condition's history (a past SecretLost).
      present.get().observedGeneration = gen;
    } else {
      Conditions.set(
          s.conditions,
          Conditions.SECRET_PRESENT,
          true,
          "SecretWritten",
          "Secret " + settings.secretName() + " holds access key " + s.accessKey,
          gen,
          now);
    }
    Conditions.set(
        s.conditions,
        Conditions.READY,
        true,
        "Issued",
        "access key " + s.accessKey + " is active until " + s.expiresAt,
        gen,
        now);
  }

  /** The access keys a lost Secret took with it, as the SecretLost message names them. */
  private static String revokedByLoss(ApiKeyStatus s) {
    return String.join(", ", accessKeys(s));
  }

  /** A status's current and previous access keys, in that order (those it names). */
  static List<String> accessKeys(ApiKeyStatus s) {
    List<String> keys = new ArrayList<>();
    if (s.accessKey != null) {
      keys.add(s.accessKey);
    }
    if (s.previous != null && s.previous.accessKey != null) {
      keys.add(s.previous.accessKey);
    }
    return keys;
  }

  /** Records the pending key as current; the Secret holds it. */
  static void finish(ApiKeyStatus s) {
    ApiKeyStatus.PendingKey p = s.pending;
    if (KeyActions.REASON_ROTATE.equals(p.reason)) {
      if (p.previousValidUntil == null) {
        s.previous = null;
      } else {
        ApiKeyStatus.PreviousKey previous = new ApiKeyStatus.PreviousKey();
        previous.accessKey = s.accessKey;
        previous.secretFingerprint = s.secretFingerprint;
        previous.algorithm = s.algorithm;
        previous.publicKey = s.publicKey;
        previous.passphraseFingerprint = s.passphraseFingerprint;
        previous.validUntil = p.previousValidUntil;
        s.previous = previous;
      }
    } else {
      // A new Secret holds nothing of earlier keys.
      s.previous = null;
    }
    s.accessKey = p.accessKey;
    s.secretFingerprint = p.secretFingerprint;
    s.algorithm = p.algorithm;
    s.publicKey = p.publicKey;
    s.passphraseFingerprint = p.passphraseFingerprint;
    s.issuedAt = p.issuedAt;
    s.expiresAt = p.expiresAt;
    s.pending = null;
  }

  private static void waiting(ApiKeyStatus s, SlotLedger.Wait wait, KeyFacts f, boolean issued) {
    long gen = f.key().generation();
    String message = wait.message(f.account().name());
    if (!issued) {
      s.phase = "Pending";
    }
    Conditions.set(
        s.conditions, Conditions.QUOTA_AVAILABLE, false, "KeyLimitReached", message, gen, f.now());
    Conditions.set(s.conditions, Conditions.READY, false, "KeyLimitReached", message, gen, f.now());
  }

  private static void expired(ApiKeyStatus s, String cause, long gen, Instant now) {
    s.phase = KeyPlanner.EXPIRED;
    s.renewAt = null;
    s.previous = null;
    s.pending = null;
    Conditions.remove(s.conditions, Conditions.QUOTA_AVAILABLE);
    Conditions.set(
        s.conditions, Conditions.READY, false, "Expired", expiredMessage(s, cause), gen, now);
    Conditions.set(
        s.conditions,
        Conditions.SECRET_PRESENT,
        false,
        "Expired",
        "Secret " + s.secretName + " deleted when the key expired",
        gen,
        now);
  }

  static String expiredMessage(ApiKeyStatus s, String cause) {
    return "access key "
        + s.accessKey
        + " "
        + cause
        + "; its Secret was deleted and its slot released; annotate the ApiKey with "
        + ApiKeyReconciler.RENEW_ANNOTATION
        + "=<new value> to issue a new key";
  }

  private static ApiKeyStatus.Effective effective(
      KeySettings settings, AccessChange.Access inForce) {
    ApiKeyStatus.Effective e = new ApiKeyStatus.Effective();
    e.user = settings.user();
    e.type = settings.type();
    e.permissions = inForce.permissions();
    e.ipWhitelist = inForce.ipWhitelist();
    return e;
  }
}
