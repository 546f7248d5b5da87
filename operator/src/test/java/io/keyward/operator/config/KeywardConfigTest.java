package io.keyward.operator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeywardConfigTest {
  @Test
  void documentedDefaults() {
    KeywardConfig c = KeywardConfig.defaults();
    assertThat(c.keysPerUser()).isEqualTo(5);
    assertThat(c.ipsPerKey()).isEqualTo(4);
    assertThat(c.minValidity()).isEqualTo(Duration.ofHours(1));
    assertThat(c.maxValidity()).isEqualTo(Duration.ofDays(365));
    assertThat(c.maxKeyLifetime()).isEqualTo(Duration.ofDays(365));
    assertThat(c.minRotationInterval()).isEqualTo(Duration.ofMinutes(30));
    assertThat(c.defaultValidity()).isEqualTo(Duration.ofDays(90));
    assertThat(c.defaultRenewBefore()).isEqualTo(Duration.ofDays(14));
    assertThat(c.defaultGracePeriod()).isEqualTo(Duration.ofHours(24));
    assertThat(c.operatorNamespace()).isEqualTo("keyward-system");
    assertThat(c.watchNamespaces()).isEmpty();
    assertThat(c.leaderElection()).isFalse();
  }

  @Test
  void environmentNamesAreThePathInUpperSnakeCase() {
    assertThat(KeywardConfig.MIN_VALIDITY.envName()).isEqualTo("KEYWARD_LIMITS_MIN_VALIDITY");
    assertThat(KeywardConfig.OPERATOR_NAMESPACE.envName()).isEqualTo("KEYWARD_OPERATOR_NAMESPACE");
    assertThat(KeywardConfig.MIN_ROTATION_INTERVAL.envName())
        .isEqualTo("KEYWARD_LIMITS_MIN_ROTATION_INTERVAL");
    assertThat(KeywardConfig.LEADER_ELECTION.envName())
        .isEqualTo("KEYWARD_OPERATOR_LEADER_ELECTION_ENABLED");
  }

  @Test
  void fileThenEnvironment(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(
        file,
        """
        limits:
          keysPerUser: 7
          minValidity: 10m
          minRotationInterval: 10s
        operator:
          watchNamespaces: [a, b]
        """);
    KeywardConfig c =
        KeywardConfig.load(
            Map.of(
                "KEYWARD_CONFIG_FILE", file.toString(),
                "KEYWARD_LIMITS_MIN_VALIDITY", "30s",
                "KEYWARD_OPERATOR_NAMESPACE", "kw"));
    assertThat(c.keysPerUser()).isEqualTo(7);
    assertThat(c.minValidity()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.minRotationInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.operatorNamespace()).isEqualTo("kw");
    assertThat(c.watchNamespaces()).isEqualTo(Set.of("a", "b"));
  }

  @Test
  void badSettingsNameTheSettingAndVariable(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> KeywardConfig.load(Map.of("KEYWARD_LIMITS_KEYS_PER_USER", "zero")))
        .hasMessageContaining("limits.keysPerUser")
        .hasMessageContaining("KEYWARD_LIMITS_KEYS_PER_USER");
    Path file = dir.resolve("c.yaml");
    Files.writeString(file, "limits:\n  keysPerUsr: 3\n");
    assertThatThrownBy(() -> KeywardConfig.load(Map.of("KEYWARD_CONFIG_FILE", file.toString())))
        .hasMessageContaining("unknown configuration setting limits.keysPerUsr");
    assertThatThrownBy(
            () ->
                KeywardConfig.from(Map.of("limits.minValidity", "2d", "limits.maxValidity", "1d")))
        .hasMessageContaining("limits.minValidity");
    assertThatThrownBy(() -> KeywardConfig.from(Map.of("limits.maxKeyLifetime", "30d")))
        .hasMessageContaining("limits.maxValidity must not exceed limits.maxKeyLifetime");
    // The shortest key must be able to rotate before it expires.
    assertThatThrownBy(() -> KeywardConfig.from(Map.of("limits.minRotationInterval", "2h")))
        .hasMessageContaining("limits.minRotationInterval must not exceed limits.minValidity");
    assertThat(
            KeywardConfig.from(
                    Map.of("limits.minRotationInterval", "0s", "limits.minValidity", "5s"))
                .minRotationInterval())
        .isZero();
  }
}
