package io.keyward.operator.admission;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.operator.config.KeywardConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The operator's own user name, whose writes the webhook lets through and whose status writes are
 * the only ones allowed: {@code admission.operatorUser}, else the subject of the pod's service
 * account token ({@code system:serviceaccount:<namespace>:<name>}). The token's payload is read,
 * not verified: it is the operator's own mounted token, and the name only narrows who may write.
 */
public final class OperatorIdentity {
  static final Path TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

  private OperatorIdentity() {}

  /** The configured name, else the mounted token's subject; fails when neither is there. */
  public static String resolve(KeywardConfig config) {
    return resolve(config, TOKEN);
  }

  static String resolve(KeywardConfig config, Path token) {
    String configured = config.admission().operatorUser().trim();
    if (!configured.isEmpty()) {
      return configured;
    }
    try {
      String jwt = Files.readString(token, StandardCharsets.US_ASCII).trim();
      String[] parts = jwt.split("\\.");
      if (parts.length == 3) {
        byte[] payload = Base64.getUrlDecoder().decode(parts[1]);
        String sub = new ObjectMapper().readTree(payload).path("sub").asText("");
        if (sub.startsWith("system:serviceaccount:")) {
          return sub;
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      // Said below.
    }
    throw new IllegalArgumentException(
        "configuration admission.operatorUser (KEYWARD_ADMISSION_OPERATOR_USER) is empty and no"
            + " service account token names the operator at "
            + token
            + "; set it to the operator's user name");
  }
}
