package io.keyward.verifier.scheme;

/**
 * The response a refused request gets.
 *
 * @param status the HTTP status
 * @param contentType the body's media type
 * @param body the body, in the exchange's error shape
 */
public record Reply(int status, String contentType, String body) {}
