package io.keyward.operator.admission;

/**
 * The webhook's answer: allowed, or refused with an HTTP status code, a reason and a message that
 * names the field and the rule. The API server shows the message to the client as is (kubectl:
 * {@code admission webhook "create.keyward.io" denied the request: <message>}), so it quotes user
 * values only as excerpts and never holds a secret or a code.
 */
public record Decision(boolean allowed, int code, String reason, String message) {
  private static final Decision ALLOW = new Decision(true, 200, "", "");

  public static Decision allow() {
    return ALLOW;
  }

  /** The spec breaks a rule: 422 Invalid, like the API server's own validation. */
  public static Decision invalid(String message) {
    return new Decision(false, 422, "Invalid", message);
  }

  /** The requester may not do this (owners, status, limit, namespace): 403 Forbidden. */
  public static Decision forbidden(String message) {
    return new Decision(false, 403, "Forbidden", message);
  }

  /** The request could not be read. */
  public static Decision badRequest(String message) {
    return new Decision(false, 400, "BadRequest", message);
  }
}
