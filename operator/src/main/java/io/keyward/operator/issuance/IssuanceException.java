package io.keyward.operator.issuance;

import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An issuance step failed for a reason a retry will not fix by itself. The message names the step,
 * the Secret, the HTTP status and, for a refused Secret, the fields the API server named; never the
 * server's own message (it could quote what was sent) and never material.
 */
public final class IssuanceException extends RuntimeException {
  private final int code;

  public IssuanceException(String message, int code) {
    super(message, null, false, false);
    this.code = code;
  }

  /** The HTTP status of the refused write. */
  public int code() {
    return code;
  }

  /** From a refused Secret write. */
  static IssuanceException of(String verb, String secret, KubernetesClientException e) {
    String fields = "";
    if (e.getStatus() != null && e.getStatus().getDetails() != null) {
      List<StatusCause> causes = e.getStatus().getDetails().getCauses();
      if (causes != null && !causes.isEmpty()) {
        fields =
            " ("
                + causes.stream()
                    .map(c -> c.getField() + ": " + c.getReason())
                    .distinct()
                    .limit(5)
                    .collect(Collectors.joining(", "))
                + ")";
      }
    }
    String hint =
        switch (e.getCode()) {
          case 403 -> ": the operator may not write it, or its namespace is being deleted";
          case 422 ->
              ": the API server refused it; check spec.secretTemplate labels and annotations";
          default -> "";
        };
    return new IssuanceException(
        "cannot " + verb + " Secret " + secret + ": HTTP " + e.getCode() + fields + hint,
        e.getCode());
  }
}
