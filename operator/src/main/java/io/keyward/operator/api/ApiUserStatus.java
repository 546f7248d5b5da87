package io.keyward.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** What the operator observed and decided about an account. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ApiUserStatus {
  @JsonPropertyDescription("Slots used and the limit in force.")
  public KeyCount keys;

  @JsonPropertyDescription("The quota ledger: one entry per key holding a slot.")
  public List<KeyRef> keyRefs = new ArrayList<>();

  @JsonPropertyDescription("TOTP enrolment state.")
  public MfaStatus mfa;

  @JsonPropertyDescription(
      "The account settings as last audited (keyward.audit ACCOUNT_CREATED or ACCOUNT_CHANGED):"
          + " the next change of the spec is audited against these.")
  public AccountSettings account;

  public List<Condition> conditions = new ArrayList<>();

  public Long observedGeneration;

  /** Slots used and the limit. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class KeyCount {
    public Integer used;
    public Integer limit;

    @Override
    public boolean equals(Object other) {
      return other instanceof KeyCount o
          && java.util.Objects.equals(used, o.used)
          && java.util.Objects.equals(limit, o.limit);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(used, limit);
    }
  }

  /** One key that holds a slot. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class KeyRef {
    public String namespace;
    public String name;
    public String uid;
    public String type;

    @JsonPropertyDescription(
        "What the operator granted this key: the record of authority (an ApiKey's status only"
            + " mirrors it). Absent while the key holds a slot but nothing was issued yet.")
    public KeyGrant grant;

    @Override
    public boolean equals(Object other) {
      return other instanceof KeyRef o
          && java.util.Objects.equals(namespace, o.namespace)
          && java.util.Objects.equals(name, o.name)
          && java.util.Objects.equals(uid, o.uid)
          && java.util.Objects.equals(type, o.type)
          && java.util.Objects.equals(grant, o.grant);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(namespace, name, uid, type, grant);
    }
  }

  /**
   * What was granted to one key, written only by the operator: the key in force, its deadlines, the
   * access a TOTP code (or issuance without MFA) authorized, the previous key of a rotation, and a
   * key being written. Tenants cannot write an ApiUser, so this is what verification and the
   * operator believe; an ApiKey status that disagrees is repaired from it.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class KeyGrant {
    @JsonPropertyDescription("The Secret the key was issued into (in the key's namespace).")
    public String secretName;

    public String accessKey;

    @JsonPropertyDescription("sha256:<hex> of the secretKey value as stored in the Secret.")
    public String secretFingerprint;

    public String algorithm;

    @JsonPropertyDescription("Ed25519 only: the verifying key (PEM).")
    public String publicKey;

    @JsonPropertyDescription(
        "sha256:<hex> of the passphrase as stored in the Secret (OKX-compatible signing); absent"
            + " when the key has none.")
    public String passphraseFingerprint;

    public String issuedAt;
    public String expiresAt;

    @JsonPropertyDescription("The permissions in force (authorized by a code when MFA is on).")
    public List<String> permissions;

    @JsonPropertyDescription("The IP addresses in force; empty: any.")
    public List<String> ipWhitelist;

    @JsonPropertyDescription("The previous key during a rotation's grace period.")
    public ApiKeyStatus.PreviousKey previous;

    @JsonPropertyDescription(
        "A key being written: recorded before its Secret is written, so only a Secret holding"
            + " exactly this key is ever taken as issued.")
    public ApiKeyStatus.PendingKey pending;

    @Override
    public boolean equals(Object other) {
      return other instanceof KeyGrant o
          && java.util.Objects.equals(secretName, o.secretName)
          && java.util.Objects.equals(accessKey, o.accessKey)
          && java.util.Objects.equals(secretFingerprint, o.secretFingerprint)
          && java.util.Objects.equals(algorithm, o.algorithm)
          && java.util.Objects.equals(publicKey, o.publicKey)
          && java.util.Objects.equals(passphraseFingerprint, o.passphraseFingerprint)
          && java.util.Objects.equals(issuedAt, o.issuedAt)
          && java.util.Objects.equals(expiresAt, o.expiresAt)
          && java.util.Objects.equals(permissions, o.permissions)
          && java.util.Objects.equals(ipWhitelist, o.ipWhitelist)
          && java.util.Objects.equals(previous, o.previous)
          && java.util.Objects.equals(pending, o.pending);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(
          secretName,
          accessKey,
          secretFingerprint,
          algorithm,
          publicKey,
          passphraseFingerprint,
          issuedAt,
          expiresAt,
          permissions,
          ipWhitelist,
          previous,
          pending);
    }
  }

  /** Where the enrolment secret is and whether the user confirmed it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class MfaStatus {
    @JsonPropertyDescription("Disabled | EnrolmentPending | Enrolled | Locked")
    public String state;

    @JsonPropertyDescription(
        "While enrolment is pending: the Secret with a copy of the TOTP secret, its otpauth URI and"
            + " QR code, to enrol from. Absent once enrolment is confirmed (the copy is deleted).")
    public SecretRef enrolmentSecret;

    public Boolean confirmed;

    @JsonPropertyDescription(
        "The TOTP secret of record, sealed (AES-256-GCM) with the operator's sealing key and bound"
            + " to this ApiUser's name and uid: codes are checked against it, never against a"
            + " Secret. Written only by the operator.")
    public String sealedSeed;

    @JsonPropertyDescription(
        "The value of the annotation keyward.io/reset-totp last acted on: a new value resets the"
            + " enrolment once.")
    public String lastHandledReset;

    @JsonPropertyDescription(
        "The newest 30 s time step whose code was accepted; older and equal steps are replays.")
    public Long lastUsedStep;

    @JsonPropertyDescription("When recent codes failed (the lock counts these).")
    public List<String> failures;

    @JsonPropertyDescription("Codes are refused until then, after too many failures.")
    public String lockedUntil;

    @Override
    public boolean equals(Object other) {
      return other instanceof MfaStatus o
          && java.util.Objects.equals(state, o.state)
          && java.util.Objects.equals(enrolmentSecret, o.enrolmentSecret)
          && java.util.Objects.equals(confirmed, o.confirmed)
          && java.util.Objects.equals(sealedSeed, o.sealedSeed)
          && java.util.Objects.equals(lastHandledReset, o.lastHandledReset)
          && java.util.Objects.equals(lastUsedStep, o.lastUsedStep)
          && java.util.Objects.equals(failures, o.failures)
          && java.util.Objects.equals(lockedUntil, o.lockedUntil);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(
          state,
          enrolmentSecret,
          confirmed,
          sealedSeed,
          lastHandledReset,
          lastUsedStep,
          failures,
          lockedUntil);
    }
  }

  /** The settings of an account that an audit record reports: public values only. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class AccountSettings {
    @JsonPropertyDescription("Required | Disabled")
    public String totp;

    @JsonPropertyDescription("The key limit in force: spec.maxKeys, else limits.keysPerUser.")
    public Integer maxKeys;

    public Boolean suspended;

    public List<String> namespaces;

    @Override
    public boolean equals(Object other) {
      return other instanceof AccountSettings o
          && java.util.Objects.equals(totp, o.totp)
          && java.util.Objects.equals(maxKeys, o.maxKeys)
          && java.util.Objects.equals(suspended, o.suspended)
          && java.util.Objects.equals(namespaces, o.namespaces);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(totp, maxKeys, suspended, namespaces);
    }
  }

  /** A namespaced Secret reference. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class SecretRef {
    public String namespace;
    public String name;

    @JsonPropertyDescription(
        "The Secret's uid: a confirmation holds for this Secret only; a new one needs a new code.")
    public String uid;

    @Override
    public boolean equals(Object other) {
      return other instanceof SecretRef o
          && java.util.Objects.equals(namespace, o.namespace)
          && java.util.Objects.equals(name, o.name)
          && java.util.Objects.equals(uid, o.uid);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(namespace, name, uid);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ApiUserStatus o
        && java.util.Objects.equals(keys, o.keys)
        && java.util.Objects.equals(keyRefs, o.keyRefs)
        && java.util.Objects.equals(mfa, o.mfa)
        && java.util.Objects.equals(account, o.account)
        && java.util.Objects.equals(conditions, o.conditions)
        && java.util.Objects.equals(observedGeneration, o.observedGeneration);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(keys, keyRefs, mfa, account, conditions, observedGeneration);
  }
}
