package io.keyward.verifier.server;

import com.google.common.net.InetAddresses;
import io.keyward.verifier.core.RequestView;
import io.keyward.verifier.core.Verdict;
import io.keyward.verifier.core.VerificationListener;
import java.net.InetAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One audit record per refused request, on the operator's audit logger {@code keyward.audit}, as
 * SLF4J key-value pairs that {@link io.keyward.logging.LogLineEncoder} writes as fields of one JSON
 * line: {@code action=REQUEST_REFUSED}, {@code reason}, {@code scheme}, {@code accessKey} (as sent,
 * at most 64 characters), {@code key} and {@code user} (when the key is known), {@code clientIp},
 * {@code method}, {@code path} (raw, at most 256 characters). Whatever a client puts in them stays
 * inside its field. Nothing else of the request is written: never a signature, a secret, a
 * passphrase, the query, the body or another header.
 */
public final class RefusalAudit implements VerificationListener {
  /** The audit trail's logger, the same as the operator's. */
  public static final String LOGGER = "keyward.audit";

  static final int MAX_ACCESS_KEY = 64;
  static final int MAX_PATH = 256;
  static final int MAX_METHOD = 16;

  private final Logger log;

  public RefusalAudit() {
    this(LoggerFactory.getLogger(LOGGER));
  }

  /** Writes to {@code log} instead (tests: a logger of their own logback context). */
  RefusalAudit(Logger log) {
    this.log = log;
  }

  @Override
  public void verdict(RequestView request, Verdict verdict, long elapsedNanos) {
    if (!(verdict instanceof Verdict.Refused refused) || !log.isInfoEnabled()) {
      return;
    }
    LoggingEventBuilder b =
        log.atInfo()
            .setMessage("REQUEST_REFUSED " + refused.reason().label())
            .addKeyValue("audit", "keyward")
            .addKeyValue("action", "REQUEST_REFUSED")
            .addKeyValue("reason", refused.reason().label())
            .addKeyValue(
                "scheme", refused.scheme() == null ? VerifierMetrics.NO_SCHEME : refused.scheme());
    if (refused.accessKey() != null) {
      b = b.addKeyValue("accessKey", cut(refused.accessKey(), MAX_ACCESS_KEY));
    }
    if (refused.key() != null) {
      b = b.addKeyValue("key", refused.key().keyRef()).addKeyValue("user", refused.key().user());
    }
    InetAddress client = request.clientAddress();
    b = b.addKeyValue("clientIp", client == null ? "unknown" : InetAddresses.toAddrString(client));
    if (request.method() != null) {
      b = b.addKeyValue("method", cut(request.method(), MAX_METHOD));
    }
    if (request.rawPath() != null) {
      b = b.addKeyValue("path", cut(request.rawPath(), MAX_PATH));
    }
    b.log();
  }

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }
}
