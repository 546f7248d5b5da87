package io.keyward.verifier.core;

/** The outcome of verifying one request. */
public sealed interface Verdict {
  /** The scheme the request was read with; null when none recognised it. */
  String scheme();

  /** The request is signed by a key in force, for a route its permissions allow. */
  record Accepted(String scheme, KeyEntry key, Permission needed) implements Verdict {}

  /**
   * The request is refused.
   *
   * @param accessKey the access key the request named, as sent (for the audit line; may be null or
   *     anything a client sent)
   * @param key the key it named, when known
   */
  record Refused(String scheme, Reason reason, String accessKey, KeyEntry key) implements Verdict {}
}
