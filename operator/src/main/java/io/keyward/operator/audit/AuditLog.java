package io.keyward.operator.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One structured JSON line per security-relevant act (issue, rotation, extension, revocation,
 * verification) on the {@code keyward.audit} logger. It names the key, the user and the access key,
 * and has no parameter that could carry secret material.
 */
public final class AuditLog {
  private static final Logger LOG = LoggerFactory.getLogger("keyward.audit");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Clock clock;

  public AuditLog(Clock clock) {
    this.clock = clock;
  }

  /** What happened. */
  public enum Action {
    ISSUED,
    ROTATED,
    EXTENDED,
    REVOKED,
    EXPIRED,
    VERIFIED,
    VERIFICATION_FAILED
  }

  /**
   * Records one act.
   *
   * @param apiKey namespace/name of the ApiKey
   * @param detail a short public reason, such as "SecretLost" or "deleted"
   */
  public void record(Action action, String apiKey, String user, String accessKey, String detail) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("time", clock.instant().toString());
    line.put("audit", "keyward");
    line.put("action", action.name());
    line.put("apiKey", apiKey);
    line.put("user", user);
    if (accessKey != null) {
      line.put("accessKey", accessKey);
    }
    if (detail != null) {
      line.put("detail", detail);
    }
    try {
      LOG.info(JSON.writeValueAsString(line));
    } catch (JsonProcessingException e) {
      LOG.warn("cannot write an audit line for {} {}", action, apiKey);
    }
  }
}
