package io.keyward.operator.validation;

import io.keyward.operator.expiry.RenewalPolicy;
import io.keyward.operator.issuance.KeyAlgorithm;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A key's spec once validated and defaulted: everything the operator acts on, and nothing of
 * Kubernetes.
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
    String secretKeyName) {

  /** Permissions in their fixed order: read, trade, withdraw. */
  public static final List<String> PERMISSIONS = List.of("read", "trade", "withdraw");

  /** Key types. */
  public static final List<String> TYPES = List.of("spot", "margin", "futures");

  public KeySettings {
    permissions = List.copyOf(permissions);
    ipWhitelist = List.copyOf(ipWhitelist);
    secretLabels = Map.copyOf(secretLabels);
    secretAnnotations = Map.copyOf(secretAnnotations);
  }
}
