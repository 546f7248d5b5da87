package io.keyward.verifier.core;

/**
 * Why a request was refused. Each has its own metric label and audit value, and each scheme maps it
 * to the error its exchange returns.
 */
public enum Reason {
  /** The verifier's caches are not synced yet: it does not know which keys exist. */
  UNAVAILABLE("Unavailable", 503),
  /** No signing scheme recognises the request, or a required part is missing or malformed. */
  MALFORMED("Malformed", 400),
  /** The route is not in the route table. */
  ROUTE_NOT_FOUND("RouteNotFound", 404),
  /** The body is larger than the configured bound. */
  BODY_TOO_LARGE("BodyTooLarge", 413),
  /** No key has this access key (or a previous key's grace period is over). */
  UNKNOWN_KEY("UnknownKey", 401),
  /** The key's validity ended. */
  KEY_EXPIRED("KeyExpired", 401),
  /** The key was revoked: its ApiKey is deleted or being deleted, or its grant is gone. */
  KEY_REVOKED("KeyRevoked", 401),
  /** The key cannot be verified now: its spec is invalid or its material is not there. */
  KEY_INVALID("KeyInvalid", 401),
  /** The key's user is suspended. */
  USER_SUSPENDED("UserSuspended", 401),
  /** The key is bound to addresses and the client's is not one of them. */
  IP_NOT_ALLOWED("IpNotAllowed", 401),
  /** The timestamp is outside the receive window. */
  TIMESTAMP_OUTSIDE_WINDOW("TimestampOutsideWindow", 400),
  /** The route needs a permission the key does not have. */
  PERMISSION_DENIED("PermissionDenied", 403),
  /** The scheme cannot carry a key of this algorithm. */
  ALGORITHM_NOT_SUPPORTED("AlgorithmNotSupported", 401),
  /** The passphrase (OKX) is wrong or the key has none. */
  BAD_PASSPHRASE("BadPassphrase", 401),
  /** The signature does not match. */
  BAD_SIGNATURE("BadSignature", 401),
  /** This signature was already accepted once. */
  REPLAYED("Replayed", 401);

  private final String label;
  private final int httpStatus;

  Reason(String label, int httpStatus) {
    this.label = label;
    this.httpStatus = httpStatus;
  }

  /** The value in metrics, audit records and the default error body. */
  public String label() {
    return label;
  }

  /** The HTTP status of a refusal for this reason, unless a scheme says otherwise. */
  public int httpStatus() {
    return httpStatus;
  }
}
