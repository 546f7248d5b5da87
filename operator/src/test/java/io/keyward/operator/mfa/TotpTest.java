package io.keyward.operator.mfa;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.MutableClock;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TotpTest {
  private final Totp totp = new Totp();

  /** RFC 6238 appendix B: the SHA1 seed "12345678901234567890", last six digits. */
  private static final String RFC_SEED_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

  @Test
  void codesMatchTheRfc6238Vectors() {
    assertThat(totp.code(RFC_SEED_BASE32, Totp.step(Instant.ofEpochSecond(59))))
        .isEqualTo("287082");
    assertThat(totp.code(RFC_SEED_BASE32, Totp.step(Instant.ofEpochSecond(1111111109L))))
        .isEqualTo("081804");
    assertThat(totp.code(RFC_SEED_BASE32, Totp.step(Instant.ofEpochSecond(2000000000L))))
        .isEqualTo("279037");
  }

  @Test
  void acceptsOneStepOfDriftEitherWayAndNoMore() {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-25T10:00:10Z"));
    String secret = totp.newSecret();
    long now = Totp.step(clock.instant());
    String current = totp.code(secret, now);
    assertThat(totp.matchingSteps(secret, current, clock.instant())).contains(now);
    String previous = totp.code(secret, now - 1);
    String next = totp.code(secret, now + 1);
    assertThat(totp.matchingSteps(secret, previous, clock.instant())).contains(now - 1);
    assertThat(totp.matchingSteps(secret, next, clock.instant())).contains(now + 1);
    clock.advance(Duration.ofSeconds(60));
    assertThat(totp.matchingSteps(secret, current, clock.instant())).doesNotContain(now);
  }

  @Test
  void malformedCodesNeverMatch() {
    String secret = totp.newSecret();
    Instant t = Instant.parse("2026-11-25T10:00:00Z");
    String code = totp.code(secret, Totp.step(t));
    assertThat(totp.matchingSteps(secret, code + "0", t)).isEmpty();
    assertThat(totp.matchingSteps(secret, " " + code, t)).isEmpty();
    assertThat(totp.matchingSteps(secret, "", t)).isEmpty();
    assertThat(totp.matchingSteps(secret, null, t)).isEmpty();
    assertThat(Totp.wellFormed("012345")).isTrue();
    assertThat(Totp.wellFormed("12345a")).isFalse();
  }

  @Test
  void secretsAre160RandomBitsInBase32AndTheRngIsNotSha1Prng() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      String s = totp.newSecret();
      assertThat(s).matches("^[A-Z2-7]{32}$");
      seen.add(s);
    }
    assertThat(seen).hasSize(50);
    assertThat(System.getProperty(com.warrenstrange.googleauth.GoogleAuthenticator.RNG_ALGORITHM))
        .isEqualTo("DRBG");
  }

  @Test
  void theOtpauthUriHasTheContractForm() {
    URI uri = URI.create(Totp.otpauthUri("alice", "JBSWY3DPEHPK3PXP"));
    assertThat(uri.toString())
        .isEqualTo("otpauth://totp/Keyward:alice?secret=JBSWY3DPEHPK3PXP&issuer=Keyward");
  }
}
