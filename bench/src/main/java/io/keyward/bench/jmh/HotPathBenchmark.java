package io.keyward.bench.jmh;

import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.issuance.Fingerprint;
import io.keyward.operator.issuance.KeyAlgorithm;
import io.keyward.operator.issuance.KeyGenerator;
import io.keyward.operator.issuance.KeyMaterial;
import io.keyward.operator.mfa.Totp;
import io.keyward.operator.validation.ApiKeyRules;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The pure code on every issuance and verification: key generation, fingerprint, validation, TOTP.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HotPathBenchmark {
  private final KeyGenerator generator = new KeyGenerator();
  private final ApiKeyRules rules = new ApiKeyRules(KeywardConfig.defaults());
  private final Totp totp = new Totp();
  private ApiKeySpec spec;
  private String secretKey;
  private String totpSecret;
  private String code;
  private Instant now;

  @Setup
  public void setUp() {
    spec = new ApiKeySpec();
    spec.user = "alice";
    spec.note = "Bot-Trading-Ethereum";
    spec.type = "spot";
    spec.permissions = List.of("read", "trade", "withdraw");
    spec.ipWhitelist = List.of("203.0.113.10", "2001:db8::1");
    spec.validity = "90d";
    KeyMaterial m = generator.generate(KeyAlgorithm.HMAC_SHA256);
    secretKey = m.secretKey();
    totpSecret = totp.newSecret();
    now = Instant.parse("2026-11-25T10:00:00Z");
    code = totp.code(totpSecret, Totp.step(now));
  }

  @Benchmark
  public KeyMaterial generateHmacKey() {
    return generator.generate(KeyAlgorithm.HMAC_SHA256);
  }

  @Benchmark
  public KeyMaterial generateEd25519Key() {
    return generator.generate(KeyAlgorithm.ED25519);
  }

  @Benchmark
  public String fingerprint() {
    return Fingerprint.of(secretKey);
  }

  @Benchmark
  public ApiKeyRules.Result validateSpec() {
    return rules.validate("eth-bot", spec, ApiKeyRules.Prior.NONE);
  }

  @Benchmark
  public List<Long> checkTotpCode() {
    return totp.matchingSteps(totpSecret, code, now);
  }
}
