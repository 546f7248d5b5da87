package io.keyward.operator.issuance;

/** An issuance step failed; the message names the step and the HTTP status, never material. */
public final class IssuanceException extends RuntimeException {
  public IssuanceException(String message) {
    super(message);
  }
}
