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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
                .with(
                    Map.of(
                        "limits.minValidity",
                        "10s",
                        "limits.minRotationInterval",
                        "10s",
                        "limits.ipsPerKey",
                        "2")));
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

  @Test
  void everyStringListAndMapHasItsBound() {
    assertViolation(x -> x.user = "a".repeat(254), "spec.user", "at most 253 characters (has 254)");
    assertViolation(x -> x.note = "x".repeat(65), "spec.note", "at most 64 characters (has 65)");
    // Characters, as the API server counts them: 64 emoji are 128 UTF-16 units, and allowed.
    assertThat(validate(x -> x.note = "\uD83D\uDE42".repeat(64)).valid()).isTrue();
    assertViolation(
        x -> x.permissions = List.of("read", "trade", "withdraw", "read"),
        "spec.permissions",
        "at most 3 entries (has 4)");
    assertViolation(
        x -> x.ipWhitelist = List.of("1:2:3:4:5:6:7:8:9:a:b:c:d:e:f:0:1:2:3:4:5:6:7:8"),
        "spec.ipWhitelist[0]",
        "at most 45 characters");
    assertViolation(x -> x.validity = "1".repeat(33) + "d", "spec.validity", "at most 32");
    assertViolation(
        x -> {
          x.renewal = new ApiKeySpec.Renewal();
          x.renewal.gracePeriod = "0".repeat(40) + "s";
        },
        "spec.renewal.gracePeriod",
        "at most 32 characters");
    assertViolation(
        x -> template(x).name = "a".repeat(254), "spec.secretTemplate.name", "at most 253");
    assertViolation(
        x -> template(x).labels = entries(33, "v"),
        "spec.secretTemplate.labels",
        "at most 32 entries (has 33)");
    assertViolation(
        x -> template(x).labels = Map.of("team", "v".repeat(64)),
        "spec.secretTemplate.labels[team]",
        "at most 63 characters (has 64)");
    assertViolation(
        x -> template(x).labels = Map.of("team", "-x"),
        "spec.secretTemplate.labels[team]",
        "not a valid label value");
    assertViolation(
        x -> template(x).annotations = entries(33, "v"),
        "spec.secretTemplate.annotations",
        "at most 32 entries (has 33)");
    assertViolation(
        x -> template(x).annotations = Map.of("note", "v".repeat(2049)),
        "spec.secretTemplate.annotations[note]",
        "at most 2048 characters (has 2049)");
    assertThat(validate(x -> template(x).annotations = Map.of("note", "v".repeat(2048))).valid())
        .isTrue();
    // A key longer than Kubernetes allows (a 64-character name) is quoted, not spliced in.
    String longKey = "example.com/" + "k".repeat(64);
    assertViolation(
        x -> template(x).annotations = Map.of(longKey, "v"),
        "spec.secretTemplate.annotations['example.com/" + "k".repeat(52) + "…' (76 characters)]",
        "not a valid key");
    assertViolation(
        x -> {
          template(x).keyNames = new ApiKeySpec.KeyNames();
          x.secretTemplate.keyNames.secretKey = "k".repeat(254);
        },
        "spec.secretTemplate.keyNames.secretKey",
        "at most 253");
    assertViolation(
        x -> x.rolloutRestart = java.util.Collections.nCopies(17, workload("bot")),
        "spec.rolloutRestart",
        "at most 16 entries (has 17)");
    assertViolation(
        x -> x.rolloutRestart = List.of(workload("b".repeat(254))),
        "spec.rolloutRestart[0].name",
        "at most 253");
  }

  @Test
  void aRefusalQuotesABoundedExcerptOfTheValue() {
    String note = "a".repeat(40_990) + "0123456789";
    ApiKeyRules.Result r = validate(x -> x.note = note);
    assertThat(r.message())
        .isEqualTo(
            "spec.note: must be at most 64 characters (has 41000): '"
                + "a".repeat(64)
                + "…' (41000 characters)");
    // A list an old CRD let through: many refusals, one bounded message.
    Map<String, String> labels = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 30; i++) {
      labels.put("bad key " + i + " " + "x".repeat(1000), "v");
    }
    ApiKeyRules.Result many = validate(x -> template(x).labels = labels);
    assertThat(many.violations()).hasSize(30);
    assertThat(many.message())
        .endsWith("; and 10 more")
        .hasSizeLessThan(20 * 250)
        .doesNotContain("x".repeat(100));
  }

  @Test
  void excerptsCarryNoControlCharacters() {
    String hostile = "10.0.0.1\n{\"audit\":\"keyward\"}\r\u2028\u001b[2K\u202e";
    ApiKeyRules.Result r = validate(x -> x.ipWhitelist = List.of(hostile));
    assertThat(r.message())
        .contains("spec.ipWhitelist[0]: ")
        .contains("\\u000a")
        .contains("\\u2028")
        .contains("\\u001b")
        .contains("\\u202e");
    assertThat(r.message().codePoints())
        .noneMatch(cp -> Character.getType(cp) == Character.CONTROL)
        .noneMatch(cp -> Character.getType(cp) == Character.FORMAT)
        .noneMatch(cp -> cp == 0x2028);
    String label = "x\n\"forged\": 1";
    assertThat(validate(x -> template(x).labels = Map.of(label, "v")).message())
        .contains("spec.secretTemplate.labels['x\\u000a\"forged\": 1']")
        .doesNotContain("\n");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        " ",
        "\t\n\r",
        "\u00a0",
        "\u2007",
        "\u202f",
        "\u200b",
        "\u3000",
        "\u2028\u2029",
        "\u0085",
        "\u00ad",
        "\u180e",
        "\u200c\u200d",
        "\u2060",
        "\ufeff",
        "\u202e",
        "\u034f",
        "\u115f\u1160",
        "\u3164",
        "\uffa0",
        "\u2800",
        "\ufe0f",
        "\u0007",
        "\uDB40\uDC20",
        " \u00a0\u200b\u3000\u2800 "
      })
  void blankInUnicodeIsBlank(String note) {
    assertThat(Blank.isBlank(note)).isTrue();
    assertViolation(x -> x.note = note, "spec.note", "must not be blank");
    // The schema's pattern (a Go regular expression on the API server) agrees.
    assertThat(java.util.regex.Pattern.compile(Blank.SCHEMA_PATTERN).matcher(note).find())
        .isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", " a ", "\u00a0x", "x\u200b", "\uD83D\uDE42", "日本", "-", "0"})
  void anythingVisibleIsNotBlank(String note) {
    assertThat(Blank.isBlank(note)).isFalse();
    assertThat(validate(x -> x.note = note).valid()).isTrue();
    assertThat(java.util.regex.Pattern.compile(Blank.SCHEMA_PATTERN).matcher(note).find()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {" 10.0.0.1", "10.0.0.1 ", "10.0.0.1\n", "\u00a010.0.0.1", "\t::1", "::1\u200b"})
  void anAddressIsTakenExactlyAsWritten(String ip) {
    ApiKeyRules.Result r = validate(x -> x.ipWhitelist = List.of("10.0.0.9", ip));
    assertThat(r.valid()).isFalse();
    assertThat(r.violations())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.field()).isEqualTo("spec.ipWhitelist[1]");
              assertThat(v.rule()).contains("is not an IPv4 or IPv6 address as written");
            });
  }

  @Test
  void renewalBeforeMayNotRotateMoreOftenThanTheConfiguredInterval() {
    // The default limits.minRotationInterval is 30m: a 1h key renewed 45m before expiry would
    // rotate every 15m.
    Consumer<ApiKeySpec> tight =
        x -> {
          x.validity = "1h";
          x.renewal = new ApiKeySpec.Renewal();
          x.renewal.before = "45m";
        };
    assertViolation(tight, "spec.renewal.before", "would rotate the key every 15m");
    assertThat(validate(tight).message())
        .contains("limits.minRotationInterval (30m)")
        .contains("at most 30m");
    // Exactly the interval is allowed; Extend is held to it too; Never rotates nothing.
    assertThat(validate(tight.andThen(x -> x.renewal.before = "30m")).valid()).isTrue();
    assertViolation(
        tight.andThen(x -> x.renewal.policy = "Extend"), "spec.renewal.before", "every 15m");
    assertThat(validate(tight.andThen(x -> x.renewal.policy = "Never")).valid()).isTrue();

    // Defaults shrink to fit instead: with a 1h interval a 1h key renews at its expiry, a 2h key
    // an hour before it (not a third of 2h, 40m, which would be fine too: min wins).
    ApiKeyRules hourly =
        new ApiKeyRules(KeywardConfig.defaults().with(Map.of("limits.minRotationInterval", "1h")));
    ApiKeySpec spec = new ApiKeySpec();
    spec.user = "alice";
    spec.note = "n";
    spec.validity = "1h";
    KeySettings s = hourly.validate("k", spec, ApiKeyRules.Prior.NONE).settings();
    assertThat(s.renewBefore()).isZero();
    assertThat(s.minRotationInterval()).isEqualTo(Duration.ofHours(1));
    spec.validity = "90m";
    assertThat(hourly.validate("k", spec, ApiKeyRules.Prior.NONE).settings().renewBefore())
        .isEqualTo(Duration.ofMinutes(30));
    spec.validity = "3h";
    assertThat(hourly.validate("k", spec, ApiKeyRules.Prior.NONE).settings().renewBefore())
        .isEqualTo(Duration.ofHours(1));
  }

  private static ApiKeySpec.SecretTemplate template(ApiKeySpec spec) {
    if (spec.secretTemplate == null) {
      spec.secretTemplate = new ApiKeySpec.SecretTemplate();
    }
    return spec.secretTemplate;
  }

  private static Map<String, String> entries(int n, String value) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      m.put("k" + i, value);
    }
    return m;
  }

  private static ApiKeySpec.WorkloadRef workload(String name) {
    ApiKeySpec.WorkloadRef w = new ApiKeySpec.WorkloadRef();
    w.kind = "Deployment";
    w.name = name;
    return w;
  }
}
