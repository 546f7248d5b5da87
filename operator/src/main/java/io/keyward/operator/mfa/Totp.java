package io.keyward.operator.mfa;

import com.warrenstrange.googleauth.GoogleAuthenticator;
import com.warrenstrange.googleauth.GoogleAuthenticatorConfig;
import com.warrenstrange.googleauth.HmacHashFunction;
import com.warrenstrange.googleauth.KeyRepresentation;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * RFC 6238 TOTP as authenticator apps do it (SHA1, 6 digits, 30 s steps), wrapping googleauth.
 * googleauth's defaults are not used blindly: its random source is set to DRBG (it would pick
 * SHA1PRNG), and its otpauth URL helper, which sends the secret to a web service, is never called.
 * Codes and secrets are never logged, and never part of an exception message.
 */
public final class Totp {
  /** The length of a time step. */
  public static final Duration STEP = Duration.ofSeconds(30);

  /** Codes are checked in this many steps either side of now (clock drift). */
  public static final int DRIFT_STEPS = 1;

  private static final Pattern CODE = Pattern.compile("^[0-9]{6}$");

  static {
    // Read by googleauth when it is constructed; only set when the deployer has not chosen.
    if (System.getProperty(GoogleAuthenticator.RNG_ALGORITHM) == null) {
      System.setProperty(GoogleAuthenticator.RNG_ALGORITHM, "DRBG");
      System.setProperty(GoogleAuthenticator.RNG_ALGORITHM_PROVIDER, "SUN");
    }
  }

  private final GoogleAuthenticator authenticator =
      new GoogleAuthenticator(
          new GoogleAuthenticatorConfig.GoogleAuthenticatorConfigBuilder()
              .setTimeStepSizeInMillis(STEP.toMillis())
              .setWindowSize(2 * DRIFT_STEPS + 1)
              .setCodeDigits(6)
              .setHmacHashFunction(HmacHashFunction.HmacSHA1)
              .setKeyRepresentation(KeyRepresentation.BASE32)
              .setSecretBits(160)
              .setNumberOfScratchCodes(0)
              .build());

  /** A new TOTP secret: 160 random bits, base32 (32 characters, no padding). */
  public String newSecret() {
    return authenticator.createCredentials().getKey();
  }

  /** The time step an instant falls in. */
  public static long step(Instant t) {
    return Math.floorDiv(t.toEpochMilli(), STEP.toMillis());
  }

  /** The code of a step, as an authenticator app shows it (six digits, leading zeros kept). */
  public String code(String secret, long step) {
    return String.format("%06d", authenticator.getTotpPassword(secret, step * STEP.toMillis()));
  }

  /** Whether a submitted value has the form of a code at all. */
  public static boolean wellFormed(String code) {
    return code != null && CODE.matcher(code).matches();
  }

  /**
   * The steps, within {@link #DRIFT_STEPS} of now, whose code equals {@code code} (compared in
   * constant time); empty when none does or the value is not six digits.
   */
  public List<Long> matchingSteps(String secret, String code, Instant now) {
    List<Long> steps = new ArrayList<>();
    if (!wellFormed(code)) {
      return steps;
    }
    byte[] given = code.getBytes(StandardCharsets.US_ASCII);
    long current = step(now);
    for (long s = current - DRIFT_STEPS; s <= current + DRIFT_STEPS; s++) {
      if (MessageDigest.isEqual(given, code(secret, s).getBytes(StandardCharsets.US_ASCII))) {
        steps.add(s);
      }
    }
    return steps;
  }

  /** The otpauth URI an authenticator app enrols from (built here, never by a web service). */
  public static String otpauthUri(String user, String secret) {
    return "otpauth://totp/Keyward:"
        + URLEncoder.encode(user, StandardCharsets.UTF_8).replace("+", "%20")
        + "?secret="
        + secret
        + "&issuer=Keyward";
  }
}
