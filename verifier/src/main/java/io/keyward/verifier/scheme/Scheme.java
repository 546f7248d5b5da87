package io.keyward.verifier.scheme;

import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.RequestView;

/**
 * One way of signing requests (Keyward's own, or an exchange's), read from the raw request. A
 * scheme only reads: it finds the access key, the timestamp and its window, the signature and the
 * exact bytes that were signed. The verification core does the checks and the cryptography, the
 * same for every scheme.
 */
public interface Scheme {
  /** The scheme's name in configuration, metrics and audit records: keyward, binance, ... */
  String name();

  /** Whether the request carries this scheme's key header or parameter. */
  boolean claims(RequestView request);

  /**
   * The signed parts of a request this scheme claims.
   *
   * @throws Malformed when a part the scheme requires is missing or not well-formed
   */
  SignedParts read(RequestView request) throws Malformed;

  /** Whether keys of this algorithm can sign this way. */
  boolean supports(Algorithm algorithm);

  /** The error response for a refusal, in the exchange's own shape. */
  Reply refusal(Reason reason);

  /** A required part of the request is missing or not well-formed. */
  final class Malformed extends Exception {
    private final Reason reason;

    /**
     * @param message names the header or parameter and the rule; never quotes a value
     */
    public Malformed(String message) {
      this(Reason.MALFORMED, message);
    }

    /** A part that is present but refused for {@code reason} (a timestamp out of range, say). */
    public Malformed(Reason reason, String message) {
      super(message, null, false, false);
      this.reason = reason;
    }

    /** The refusal reason. */
    public Reason reason() {
      return reason;
    }
  }
}
