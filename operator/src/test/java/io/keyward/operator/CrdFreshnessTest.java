package io.keyward.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.CustomResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The committed crds/ match the CRDs generated from the Java types in this build. */
class CrdFreshnessTest {

  @Test
  void committedCrdsMatchTheJavaTypes() throws Exception {
    boolean update = Boolean.getBoolean("keyward.updateCrds");
    for (Class<? extends CustomResource<?, ?>> type : CrdFiles.TYPES) {
      String expected = CrdFiles.render(type);
      // The top-level crds/ and the chart's crds/ (Helm installs those) hold the same files.
      Path top = CrdFiles.crdsDir();
      for (Path dir : List.of(top, top.resolveSibling("helm/keyward/crds"))) {
        Path committed = dir.resolve(CrdFiles.fileName(type));
        if (update) {
          Files.writeString(committed, expected);
        }
        assertThat(committed).as("committed CRD %s", committed).exists();
        assertThat(Files.readString(committed))
            .as(
                "%s is stale; regenerate with: mvn -pl operator test -Dtest=CrdFreshnessTest"
                    + " -Dkeyward.updateCrds=true",
                committed)
            .isEqualTo(expected);
      }
    }
  }

  @Test
  void printerColumnsFollowTheDeclaredOrder() throws Exception {
    String apiKey = CrdFiles.render(io.keyward.operator.api.ApiKey.class);
    assertThat(apiKey.indexOf("name: User")).isLessThan(apiKey.indexOf("name: Phase"));
    assertThat(apiKey.indexOf("name: Phase")).isLessThan(apiKey.indexOf("name: Age"));
  }
}
