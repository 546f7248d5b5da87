package io.keyward.operator.expiry;

import io.keyward.operator.validation.KeySettings;
import java.time.Instant;

/** A key's deadlines, derived from when it was issued and its settings. */
public record ExpiryPlan(Instant issuedAt, Instant expiresAt, Instant renewAt) {

  /** The deadlines of a key issued at {@code issuedAt}. */
  public static ExpiryPlan forIssuance(Instant issuedAt, KeySettings settings) {
    Instant expiresAt = issuedAt.plus(settings.validity());
    return new ExpiryPlan(issuedAt, expiresAt, expiresAt.minus(settings.renewBefore()));
  }
}
