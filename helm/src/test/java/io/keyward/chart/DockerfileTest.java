package io.keyward.chart;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The image (no Docker engine here to build it): a multi-stage build whose final stage is JRE 17,
 * runs as the non-root user the chart's pod security context names, and starts the same jar the
 * build makes.
 */
class DockerfileTest {
  private static final Path ROOT = Chart.dir().getParent().getParent();

  private static List<String> finalStage() throws Exception {
    List<String> lines =
        Files.readAllLines(ROOT.resolve("Dockerfile")).stream()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
    int last = 0;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("FROM ")) {
        last = i;
      }
    }
    assertThat(lines.stream().filter(l -> l.startsWith("FROM ")).count())
        .as("multi-stage")
        .isGreaterThanOrEqualTo(2);
    return lines.subList(last, lines.size());
  }

  @Test
  void theFinalStageIsAJre17RunningTheOperatorJarAsTheChartsNonRootUser() throws Exception {
    List<String> stage = finalStage();
    assertThat(stage.get(0)).matches("FROM eclipse-temurin:17-jre(\\S*)?");
    String user =
        stage.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElseThrow();
    String uid = user.substring(5).split(":")[0];
    assertThat(uid).matches("[0-9]+").isNotEqualTo("0");
    Deployment d = Chart.one(Chart.render("keyward-system", Map.of()), Deployment.class);
    assertThat(d.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsUser())
        .isEqualTo(Long.parseLong(uid));
    assertThat(stage).contains("ENTRYPOINT [\"java\", \"-jar\", \"/app/keyward-operator.jar\"]");
    assertThat(stage)
        .anyMatch(
            l ->
                l.equals(
                    "COPY --from=build /src/operator/target/keyward-operator.jar"
                        + " /app/keyward-operator.jar"));
    // The jar the build stage copies is the one Maven makes.
    assertThat(Files.readString(ROOT.resolve("operator/pom.xml")))
        .contains("<finalName>keyward-operator</finalName>");
    assertThat(stage).noneMatch(l -> l.startsWith("USER root") || l.startsWith("USER 0"));
  }
}
