package io.keyward.operator.validation;

import io.keyward.operator.expiry.RenewalPolicy;
import io.keyward.operator.issuance.KeyAlgorithm;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A key's spec once validated and defaulted: everything the operator acts on, and nothing of
 * Kubernetes.
 *
 * @param minRotationInterval the operator's {@code limits.minRotationInterval} in force for this
 *     key: no rotation but an expiry's comes sooner after the key was issued
 * @param passphrase whether each newly written key gets a passphrase with it (OKX-compatible
 *     signing)
 */
public record KeySettings(
    String user,
    String note,
    String type,
    List<String> permissions,
    List<String> ipWhitelist,
    Duration validity,
    RenewalPolicy renewalPolicy,
    Duration renewBefore,
    Duration gracePeriod,
    KeyAlgorithm algorithm,
    String secretName,
    Map<String, String> secretLabels,
    Map<String, String> secretAnnotations,
    String accessKeyName,
    String secretKeyName,
    Duration minRotationInterval,
    boolean passphrase) {

  /** Permissions in their fixed order: read, trade, withdraw. */
  public static final List<String> PERMISSIONS = List.of("read", "trade", "withdraw");

  /** Key types. */
  public static final List<String> TYPES = List.of("spot", "margin", "futures");

  /**
   * Settings without a rotation floor (as with {@code limits.minRotationInterval: 0s}) and without
   * a passphrase.
   */
  public KeySettings(
      String user,
      String note,
      String type,
      List<String> permissions,
      List<String> ipWhitelist,
      Duration validity,
      RenewalPolicy renewalPolicy,
      Duration renewBefore,
      Duration gracePeriod,
      KeyAlgorithm algorithm,
      String secretName,
      Map<String, String> secretLabels,
      Map<String, String> secretAnnotations,
      String accessKeyName,
      String secretKeyName) {
    this(
        user,
        note,
        type,
        permissions,
        ipWhitelist,
        validity,
        renewalPolicy,
        renewBefore,
        gracePeriod,
        algorithm,
        secretName,
        secretLabels,
        secretAnnotations,
        accessKeyName,
        secretKeyName,
        Duration.ZERO,
        false);
  }

  public KeySettings {
    minRotationInterval = minRotationInterval == null ? Duration.ZERO : minRotationInterval;
    permissions = List.copyOf(permissions);
    ipWhitelist = List.copyOf(ipWhitelist);
    secretLabels = Map.copyOf(secretLabels);
    secretAnnotations = Map.copyOf(secretAnnotations);
  }
}
