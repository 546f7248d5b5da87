package io.keyward.operator.validation;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.expiry.RenewalPolicy;
import io.keyward.operator.issuance.KeyAlgorithm;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class ApiKeyRulesTest {
  private final ApiKeyRules rules = new ApiKeyRules(KeywardConfig.defaults());

  private ApiKeyRules.Result validate(Consumer<ApiKeySpec> edit) {
    return validate(edit, ApiKeyRules.Prior.NONE);
  }

  private ApiKeyRules.Result validate(Consumer<ApiKeySpec> edit, ApiKeyRules.Prior prior) {
    ApiKeySpec spec = new ApiKeySpec();
    spec.user = "alice";
    spec.note = "Bot-Trading-Ethereum";
    edit.accept(spec);
    return rules.validate("eth-bot", spec, prior);
  }

  @Test
  void defaultsComeFromTheConfiguration() {
    KeySettings s = validate(x -> {}).settings();
    assertThat(s.type()).isEqualTo("spot");
    assertThat(s.permissions()).containsExactly("read");
    assertThat(s.ipWhitelist()).isEmpty();
    assertThat(s.validity()).isEqualTo(Duration.ofDays(90));
    assertThat(s.renewalPolicy()).isEqualTo(RenewalPolicy.Rotate);
    assertThat(s.renewBefore()).isEqualTo(Duration.ofDays(14));
    assertThat(s.gracePeriod()).isEqualTo(Duration.ofHours(24));
    assertThat(s.algorithm()).isEqualTo(KeyAlgorithm.HMAC_SHA256);
    assertThat(s.secretName()).isEqualTo("eth-bot-credentials");
    assertThat(s.accessKeyName()).isEqualTo("accessKey");
    assertThat(s.secretKeyName()).isEqualTo("secretKey");
  }

  @Test
  void permissionsAreOrderedAndIpsCanonical() {
    KeySettings s =
        validate(
                x -> {
                  x.permissions = List.of("withdraw", "read");
                  x.ipWhitelist = List.of("2001:DB8::0:1", "203.0.113.10");
                })
            .settings();
    assertThat(s.permissions()).containsExactly("read", "withdraw");
    assertThat(s.ipWhitelist()).containsExactly("2001:db8::1", "203.0.113.10");
  }

  private void assertViolation(Consumer<ApiKeySpec> edit, String field, String rule) {
    ApiKeyRules.Result r = validate(edit);
    assertThat(r.valid()).isFalse();
    assertThat(r.violations())
        .anySatisfy(
            v -> {
              assertThat(v.field()).isEqualTo(field);
              assertThat(v.rule()).contains(rule);
            });
    assertThat(r.message()).contains(field);
  }

  @Test
  void everyRuleNamesItsField() {
    assertViolation(x -> x.user = null, "spec.user", "required");
    assertViolation(x -> x.user = "Not_A_Name", "spec.user", "ApiUser");
    assertViolation(x -> x.note = "  ", "spec.note", "blank");
    assertViolation(x -> x.note = null, "spec.note", "required");
    assertViolation(x -> x.note = "x".repeat(65), "spec.note", "at most 64");
    assertViolation(x -> x.type = "options", "spec.type", "spot, margin, futures");
    assertViolation(x -> x.permissions = List.of(), "spec.permissions", "at least one");
    assertViolation(
        x -> x.permissions = List.of("admin"), "spec.permissions[0]", "read, trade, withdraw");
    assertViolation(
        x -> x.permissions = List.of("read", "read"), "spec.permissions[1]", "duplicates");
    assertViolation(x -> x.permissions = List.of("withdraw"), "spec.permissions", "ipWhitelist");
    assertViolation(
        x -> x.ipWhitelist = List.of("1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4", "1.1.1.5"),
        "spec.ipWhitelist",
        "at most 4");
    assertViolation(
        x -> x.ipWhitelist = List.of("example.com"), "spec.ipWhitelist[0]", "IPv4 or IPv6");
    assertViolation(
        x -> x.ipWhitelist = List.of("::1", "0:0::1"), "spec.ipWhitelist[1]", "duplicates");
    assertViolation(x -> x.validity = "90", "spec.validity", "duration");
    assertViolation(x -> x.validity = "30m", "spec.validity", "between 1h and 365d");
    assertViolation(x -> x.validity = "366d", "spec.validity", "between 1h and 365d");
    assertViolation(
        x -> {
          x.validity = "10d";
          x.renewal = new ApiKeySpec.Renewal();
          x.renewal.before = "10d";
        },
        "spec.renewal.before",
        "shorter than the validity");
    assertViolation(
        x -> {
          x.renewal = new ApiKeySpec.Renewal();
          x.renewal.policy = "Sometimes";
        },
        "spec.renewal.policy",
        "Rotate, Extend, Never");
    assertViolation(x -> x.algorithm = "RSA", "spec.algorithm", "HmacSHA256, Ed25519");
    assertViolation(
        x -> {
          x.secretTemplate = new ApiKeySpec.SecretTemplate();
          x.secretTemplate.name = "Bad_Name";
        },
        "spec.secretTemplate.name",
        "DNS subdomain");
    assertViolation(
        x -> {
          x.secretTemplate = new ApiKeySpec.SecretTemplate();
          x.secretTemplate.labels = Map.of("keyward.io/apikey", "other");
        },
        "spec.secretTemplate.labels[keyward.io/apikey]",
        "reserved");
    assertViolation(
        x -> {
          x.secretTemplate = new ApiKeySpec.SecretTemplate();
          x.secretTemplate.keyNames = new ApiKeySpec.KeyNames();
          x.secretTemplate.keyNames.accessKey = "expiresAt";
        },
        "spec.secretTemplate.keyNames.accessKey",
        "taken");
    assertViolation(
        x -> {
          x.rolloutRestart = List.of(new ApiKeySpec.WorkloadRef());
          x.rolloutRestart.get(0).kind = "Pod";
          x.rolloutRestart.get(0).name = "bot";
        },
        "spec.rolloutRestart[0].kind",
        "Deployment, StatefulSet, DaemonSet");
  }

  @Test
  void issuedKeysKeepUserTypeAndSecretName() {
    ApiKeyRules.Prior prior = new ApiKeyRules.Prior("alice", "spot", "eth-bot-credentials");
    assertThat(validate(x -> {}, prior).valid()).isTrue();
    assertThat(validate(x -> x.user = "bob", prior).message()).contains("spec.user: is immutable");
    assertThat(validate(x -> x.type = "margin", prior).message())
        .contains("spec.type: is immutable");
    assertThat(
            validate(
                    x -> {
                      x.secretTemplate = new ApiKeySpec.SecretTemplate();
                      x.secretTemplate.name = "moved";
                    },
                    prior)
                .message())
        .contains("spec.secretTemplate.name: is fixed once the key is issued");
  }

  @Test
  void defaultRenewalShrinksToFitAShortValidity() {
    KeySettings s = validate(x -> x.validity = "3h").settings();
    assertThat(s.renewBefore()).isEqualTo(Duration.ofHours(1));
    assertThat(s.gracePeriod()).isEqualTo(Duration.ofHours(3));
  }

  @Test
  void configuredBoundsApply() {
    ApiKeyRules shortLived =
        new ApiKeyRules(
            KeywardConfig.defaults()
                .with(Map.of("limits.minValidity", "10s", "limits.ipsPerKey", "2")));
    ApiKeySpec spec = new ApiKeySpec();
    spec.user = "alice";
    spec.note = "n";
    spec.validity = "30s";
    spec.renewal = new ApiKeySpec.Renewal();
    spec.renewal.before = "10s";
    assertThat(shortLived.validate("k", spec, ApiKeyRules.Prior.NONE).valid()).isTrue();
    spec.ipWhitelist = List.of("1.1.1.1", "1.1.1.2", "1.1.1.3");
    assertThat(shortLived.validate("k", spec, ApiKeyRules.Prior.NONE).message())
        .contains("spec.ipWhitelist: at most 2");
  }
}
