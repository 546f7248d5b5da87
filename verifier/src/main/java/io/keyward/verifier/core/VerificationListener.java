package io.keyward.verifier.core;

/** Told of every verdict: metrics, the audit trail and the last-use record listen. */
@FunctionalInterface
public interface VerificationListener {
  /**
   * @param request the request verified
   * @param verdict its verdict
   * @param elapsedNanos how long verification took
   */
  void verdict(RequestView request, Verdict verdict, long elapsedNanos);

  /** Tells each listener in turn. */
  static VerificationListener all(VerificationListener... listeners) {
    return (request, verdict, elapsed) -> {
      for (VerificationListener l : listeners) {
        l.verdict(request, verdict, elapsed);
      }
    };
  }
}
