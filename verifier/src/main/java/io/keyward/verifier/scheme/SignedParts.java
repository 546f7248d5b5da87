package io.keyward.verifier.scheme;

/**
 * What a scheme read from a request.
 *
 * @param accessKey the access key the request names
 * @param timestampMillis when the client signed, epoch milliseconds
 * @param windowBeforeMillis how far the timestamp may lie behind the server's clock (the receive
 *     window); the request is accepted while {@code serverTime - windowBefore <= timestamp}
 * @param windowAfterMillis how far ahead it may lie: accepted while {@code timestamp < serverTime +
 *     windowAfter}
 * @param signature the signature, decoded to bytes (from hex or base64 as the scheme sends it)
 * @param payload the exact bytes that were signed
 * @param passphrase the passphrase the request sent (OKX), or null when the scheme has none
 */
public record SignedParts(
    String accessKey,
    long timestampMillis,
    long windowBeforeMillis,
    long windowAfterMillis,
    byte[] signature,
    byte[] payload,
    String passphrase) {}
