package io.keyward.operator.audit;

import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One audit record per security-relevant act (issue, rotation, extension, revocation, expiry,
 * verification, a change of an account's settings or its TOTP enrolment) on its own logger, {@code
 * keyward.audit}. The facts are SLF4J key-value pairs, which {@link
 * io.keyward.logging.LogLineEncoder} writes as fields of the log line's JSON object: a value (an
 * annotation value in a rotation's cause, say) stays inside its field and cannot add a field or a
 * record. A record names the key, the user and the access key, and no method here has a parameter
 * that could carry secret material.
 */
public final class AuditLog {
  /** The audit trail's logger: an audit consumer selects the records by it. */
  public static final String LOGGER = "keyward.audit";

  private final Logger log;

  public AuditLog() {
    this(LoggerFactory.getLogger(LOGGER));
  }

  /** Writes to {@code log} instead (tests: a logger of their own logback context). */
  AuditLog(Logger log) {
    this.log = log;
  }

  /** What happened. */
  public enum Action {
    ISSUED,
    ROTATED,
    EXTENDED,
    REVOKED,
    EXPIRED,
    VERIFIED,
    VERIFICATION_FAILED,
    /** An ApiKey's status claimed what the ledger does not record; restored from the ledger. */
    STATUS_REPAIRED,
    /** An ApiUser's account settings, audited for the first time when it was created. */
    ACCOUNT_CREATED,
    /** An ApiUser's account settings changed (MFA, the key limit, suspension, namespaces). */
    ACCOUNT_CHANGED,
    /** An ApiUser's TOTP enrolment was reset: a new secret, to be confirmed by a new code. */
    MFA_RESET,
    /** The TOTP secret of an enrolment confirmed before sealed secrets was sealed. */
    MFA_MIGRATED,
    /** A Secret in the enrolment Secret's place that Keyward did not write was deleted unread. */
    ENROLMENT_SECRET_REFUSED
  }

  /** One setting's change: its value before (null: none recorded) and after. Public values only. */
  public record Change(Object from, Object to) {}

  /**
   * Records one act.
   *
   * @param apiKey namespace/name of the ApiKey (null: an act on the user alone)
   * @param detail a short public reason, such as "SecretLost" or "deleted"
   */
  public void record(Action action, String apiKey, String user, String accessKey, String detail) {
    write(action, apiKey, user, accessKey, detail, null);
  }

  /**
   * Records a change of an account's settings, setting by setting.
   *
   * @param changes per setting (totp, maxKeys, suspended, namespaces), its value before and after
   * @param detail a short public remark (null: none)
   */
  public void recordAccount(
      Action action, String user, Map<String, Change> changes, String detail) {
    Map<String, Object> fields = new LinkedHashMap<>();
    changes.forEach(
        (setting, change) -> {
          Map<String, Object> fromTo = new LinkedHashMap<>();
          fromTo.put("from", change.from());
          fromTo.put("to", change.to());
          fields.put(setting, fromTo);
        });
    write(action, null, user, null, detail, fields);
  }

  /**
   * Records an act on a user's TOTP enrolment ({@code MFA_*}, {@code ENROLMENT_SECRET_REFUSED}).
   *
   * @param enrolmentSecret namespace/name of the enrolment Secret: where the new TOTP secret can be
   *     read until enrolment is confirmed, or the Secret that was refused
   * @param detail a short public cause (null: none)
   */
  public void recordEnrolment(Action action, String user, String enrolmentSecret, String detail) {
    LoggingEventBuilder b =
        log.atInfo()
            .setMessage(action + " user " + user)
            .addKeyValue("audit", "keyward")
            .addKeyValue("action", action.name())
            .addKeyValue("user", user)
            .addKeyValue("enrolmentSecret", enrolmentSecret);
    if (detail != null) {
      b = b.addKeyValue("detail", detail);
    }
    b.log();
  }

  private void write(
      Action action,
      String apiKey,
      String user,
      String accessKey,
      String detail,
      Map<String, Object> changes) {
    LoggingEventBuilder b =
        log.atInfo()
            .setMessage(action + " " + (apiKey != null ? apiKey : "user " + user))
            .addKeyValue("audit", "keyward")
            .addKeyValue("action", action.name());
    if (apiKey != null) {
      b = b.addKeyValue("apiKey", apiKey);
    }
    b = b.addKeyValue("user", user);
    if (accessKey != null) {
      b = b.addKeyValue("accessKey", accessKey);
    }
    if (changes != null) {
      b = b.addKeyValue("changes", changes);
    }
    if (detail != null) {
      b = b.addKeyValue("detail", detail);
    }
    b.log();
  }
}
