package io.keyward.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** What the operator issued for a key and what is in force. Never holds secret material. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ApiKeyStatus {
  @JsonPropertyDescription(
      "Pending | AwaitingVerification | Active | Expiring | Expired | Revoked | Invalid")
  public String phase;

  @JsonPropertyDescription("The public identifier of the current key.")
  public String accessKey;

  public String secretName;

  @JsonPropertyDescription("sha256:<hex> of the secretKey value as stored in the Secret.")
  public String secretFingerprint;

  @JsonPropertyDescription("Ed25519 only: the verifying key (PEM).")
  public String publicKey;

  @JsonPropertyDescription(
      "sha256:<hex> of the passphrase as stored in the Secret; absent when the key has none.")
  public String passphraseFingerprint;

  public String algorithm;
  public String issuedAt;
  public String expiresAt;
  public String renewAt;

  @JsonPropertyDescription("The previous key during a Rotate grace period.")
  public PreviousKey previous;

  @JsonPropertyDescription("What verification enforces now.")
  public Effective effective;

  @JsonPropertyDescription(
      "A key being written: recorded before its Secret, so an interrupted issuance is finished,"
          + " not repeated.")
  public PendingKey pending;

  @JsonPropertyDescription(
      "The keyward.io/rotate annotation value last acted on: a re-applied manifest with the same"
          + " value does not rotate again.")
  public String lastHandledRotate;

  @JsonPropertyDescription(
      "The keyward.io/renew annotation value last acted on: a re-applied manifest with the same"
          + " value does not renew again.")
  public String lastHandledRenew;

  public List<Condition> conditions = new ArrayList<>();

  public Long observedGeneration;

  @JsonPropertyDescription(
      "When the verifier last accepted a request signed with this key (written by the verifier at"
          + " most once a minute; informational, not a record of authority)")
  public String lastUsedAt;

  /** The previous key of a rotation. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class PreviousKey {
    public String accessKey;
    public String secretFingerprint;
    public String algorithm;

    @JsonPropertyDescription("Ed25519 only: the previous key's verifying key (PEM).")
    public String publicKey;

    @JsonPropertyDescription("sha256:<hex> of the previous key's passphrase, if it has one.")
    public String passphraseFingerprint;

    @JsonPropertyDescription("End of the grace period: the previous key verifies until then.")
    public String validUntil;

    @Override
    public boolean equals(Object other) {
      return other instanceof PreviousKey o
          && java.util.Objects.equals(accessKey, o.accessKey)
          && java.util.Objects.equals(secretFingerprint, o.secretFingerprint)
          && java.util.Objects.equals(algorithm, o.algorithm)
          && java.util.Objects.equals(publicKey, o.publicKey)
          && java.util.Objects.equals(passphraseFingerprint, o.passphraseFingerprint)
          && java.util.Objects.equals(validUntil, o.validUntil);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(
          accessKey, secretFingerprint, algorithm, publicKey, passphraseFingerprint, validUntil);
    }
  }

  /** The settings verification enforces. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Effective {
    public String user;
    public String type;
    public List<String> permissions;
    public List<String> ipWhitelist;

    @Override
    public boolean equals(Object other) {
      return other instanceof Effective o
          && java.util.Objects.equals(user, o.user)
          && java.util.Objects.equals(type, o.type)
          && java.util.Objects.equals(permissions, o.permissions)
          && java.util.Objects.equals(ipWhitelist, o.ipWhitelist);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(user, type, permissions, ipWhitelist);
    }
  }

  /** The public facts of a key whose Secret is being written. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class PendingKey {
    public String accessKey;
    public String secretFingerprint;
    public String algorithm;
    public String publicKey;

    @JsonPropertyDescription("sha256:<hex> of the passphrase written with the key, if any.")
    public String passphraseFingerprint;

    public String issuedAt;
    public String expiresAt;

    @JsonPropertyDescription("Issue | SecretLost | Rotate")
    public String reason;

    @JsonPropertyDescription("Rotate: why the key is rotated.")
    public String cause;

    @JsonPropertyDescription(
        "Rotate: until when the replaced key still verifies; absent when it stops at once.")
    public String previousValidUntil;

    @Override
    public boolean equals(Object other) {
      return other instanceof PendingKey o
          && java.util.Objects.equals(accessKey, o.accessKey)
          && java.util.Objects.equals(secretFingerprint, o.secretFingerprint)
          && java.util.Objects.equals(algorithm, o.algorithm)
          && java.util.Objects.equals(publicKey, o.publicKey)
          && java.util.Objects.equals(passphraseFingerprint, o.passphraseFingerprint)
          && java.util.Objects.equals(issuedAt, o.issuedAt)
          && java.util.Objects.equals(expiresAt, o.expiresAt)
          && java.util.Objects.equals(reason, o.reason)
          && java.util.Objects.equals(cause, o.cause)
          && java.util.Objects.equals(previousValidUntil, o.previousValidUntil);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(
          accessKey,
          secretFingerprint,
          algorithm,
          publicKey,
          passphraseFingerprint,
          issuedAt,
          expiresAt,
          reason,
          cause,
          previousValidUntil);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ApiKeyStatus o
        && sameApartFromLastUse(o)
        && java.util.Objects.equals(lastUsedAt, o.lastUsedAt);
  }

  /**
   * Whether {@code o} says the same as this status in everything but {@link #lastUsedAt}: the
   * verifier's writes of that field alone are no change the operator reconciles.
   */
  public boolean sameApartFromLastUse(ApiKeyStatus o) {
    return o != null
        && java.util.Objects.equals(phase, o.phase)
        && java.util.Objects.equals(accessKey, o.accessKey)
        && java.util.Objects.equals(secretName, o.secretName)
        && java.util.Objects.equals(secretFingerprint, o.secretFingerprint)
        && java.util.Objects.equals(publicKey, o.publicKey)
        && java.util.Objects.equals(passphraseFingerprint, o.passphraseFingerprint)
        && java.util.Objects.equals(algorithm, o.algorithm)
        && java.util.Objects.equals(issuedAt, o.issuedAt)
        && java.util.Objects.equals(expiresAt, o.expiresAt)
        && java.util.Objects.equals(renewAt, o.renewAt)
        && java.util.Objects.equals(previous, o.previous)
        && java.util.Objects.equals(effective, o.effective)
        && java.util.Objects.equals(pending, o.pending)
        && java.util.Objects.equals(lastHandledRotate, o.lastHandledRotate)
        && java.util.Objects.equals(lastHandledRenew, o.lastHandledRenew)
        && java.util.Objects.equals(conditions, o.conditions)
        && java.util.Objects.equals(observedGeneration, o.observedGeneration);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(
        phase,
        accessKey,
        secretName,
        secretFingerprint,
        publicKey,
        passphraseFingerprint,
        algorithm,
        issuedAt,
        expiresAt,
        renewAt,
        previous,
        effective,
        pending,
        lastHandledRotate,
        lastHandledRenew,
        conditions,
        observedGeneration,
        lastUsedAt);
  }
}
