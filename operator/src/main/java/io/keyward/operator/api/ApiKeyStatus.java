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

  public List<Condition> conditions = new ArrayList<>();

  public Long observedGeneration;

  /** The previous key of a rotation. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class PreviousKey {
    public String accessKey;
    public String validUntil;
  }

  /** The settings verification enforces. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Effective {
    public String user;
    public String type;
    public List<String> permissions;
    public List<String> ipWhitelist;
  }

  /** The public facts of a key whose Secret is being written. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class PendingKey {
    public String accessKey;
    public String secretFingerprint;
    public String algorithm;
    public String publicKey;
    public String issuedAt;
    public String expiresAt;

    @JsonPropertyDescription("Issue | SecretLost")
    public String reason;
  }
}
