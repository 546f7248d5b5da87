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

  public List<Condition> conditions = new ArrayList<>();

  public Long observedGeneration;

  /** Slots used and the limit. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class KeyCount {
    public Integer used;
    public Integer limit;
  }

  /** One key that holds a slot. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class KeyRef {
    public String namespace;
    public String name;
    public String uid;
    public String type;
  }

  /** Where the enrolment secret is and whether the user confirmed it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class MfaStatus {
    @JsonPropertyDescription("Disabled | EnrolmentPending | Enrolled | Locked")
    public String state;

    @JsonPropertyDescription("Where the TOTP secret, its otpauth URI and QR code are.")
    public SecretRef enrolmentSecret;

    public Boolean confirmed;

    @JsonPropertyDescription(
        "The newest 30 s time step whose code was accepted; older and equal steps are replays.")
    public Long lastUsedStep;

    @JsonPropertyDescription("When recent codes failed (the lock counts these).")
    public List<String> failures;

    @JsonPropertyDescription("Codes are refused until then, after too many failures.")
    public String lockedUntil;
  }

  /** A namespaced Secret reference. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class SecretRef {
    public String namespace;
    public String name;

    @JsonPropertyDescription(
        "The Secret's uid: a confirmation holds for this Secret only; a new one needs a new code.")
    public String uid;
  }
}
