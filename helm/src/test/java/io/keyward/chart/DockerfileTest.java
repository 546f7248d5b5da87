package io.keyward.chart;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The image (no Docker engine here to build it): a multi-stage build whose build stage has what
 * Maven needs to make the operator jar, and whose final stage is JRE 17, runs as the non-root user
 * the chart's pod security context names, and starts the same jar the build makes.
 */
class DockerfileTest {
  private static final Path ROOT = Chart.dir().getParent().getParent();

  private static List<String> lines() throws Exception {
    return Files.readAllLines(ROOT.resolve("Dockerfile")).stream()
        .map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .toList();
  }

  private static List<String> buildStage() throws Exception {
    List<String> lines = lines();
    int next = 1;
    while (next < lines.size() && !lines.get(next).startsWith("FROM ")) {
      next++;
    }
    return lines.subList(0, next);
  }

  private static List<String> finalStage() throws Exception {
    List<String> lines = lines();
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

  @Test
  void theVerifierStageRunsTheVerifierJarAsTheChartsNonRootUser() throws Exception {
    List<String> lines = lines();
    int from = lines.indexOf("FROM eclipse-temurin:17-jre AS verifier");
    assertThat(from).as("a stage named verifier").isPositive();
    int end = from + 1;
    while (end < lines.size() && !lines.get(end).startsWith("FROM ")) {
      end++;
    }
    List<String> stage = lines.subList(from, end);
    assertThat(stage)
        .contains(
            "COPY --from=build /src/verifier/target/keyward-verifier.jar /app/keyward-verifier.jar")
        .contains("ENTRYPOINT [\"java\", \"-jar\", \"/app/keyward-verifier.jar\"]");
    assertThat(Files.readString(ROOT.resolve("verifier/pom.xml")))
        .contains("<finalName>keyward-verifier</finalName>");
    String user =
        stage.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElseThrow();
    Map<String, Object> values = Map.of("verifier.enabled", true, "verifier.proxyPort", 0);
    Deployment d =
        Chart.all(Chart.render("keyward-system", values), Deployment.class).stream()
            .filter(x -> x.getMetadata().getName().endsWith("-verifier"))
            .findFirst()
            .orElseThrow();
    assertThat(d.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsUser())
        .isEqualTo(Long.parseLong(user.substring(5).split(":")[0]));
  }

  @Test
  void theBuildStageHasEveryFileMavenReadsToBuildTheOperator() throws Exception {
    List<String> stage = buildStage();
    assertThat(stage)
        .anyMatch(l -> l.startsWith("RUN mvn ") && l.contains(" -pl operator -am package "));
    String rootPom = Files.readString(ROOT.resolve("pom.xml"));
    List<String> modules = all(Pattern.compile("<module>([^<]+)</module>"), rootPom);
    assertThat(modules).contains("operator");
    // Maven reads the pom of every module the root pom lists, even those -pl leaves out.
    List<String> needed = new ArrayList<>();
    for (String module : modules) {
      assertThat(stage)
          .as("the build stage copies %s/pom.xml", module)
          .contains(copy(module, "pom.xml"));
      needed.add(module + "/pom.xml");
    }
    // -am builds the operator and the modules of this build it depends on (at any scope: its
    // tests are compiled even when skipped), so their sources must be there too.
    List<String> dependencies =
        all(
            Pattern.compile(
                "<dependency>\\s*<groupId>io\\.keyward</groupId>\\s*<artifactId>([^<]+)</artifactId>"),
            Files.readString(ROOT.resolve("operator/pom.xml")));
    List<String> built = new ArrayList<>(List.of("operator"));
    for (String module : modules) {
      String pom = Files.readString(ROOT.resolve(module).resolve("pom.xml"));
      String own = pom.substring(pom.indexOf("</parent>"));
      if (dependencies.contains(
          all(Pattern.compile("<artifactId>([^<]+)</artifactId>"), own).get(0))) {
        built.add(module);
      }
    }
    assertThat(built)
        .as("the operator depends on other modules of the build")
        .hasSizeGreaterThan(1);
    for (String module : built) {
      assertThat(stage).as("the build stage copies %s/src", module).contains(copy(module, "src"));
      needed.add(module + "/src");
    }
    // And .dockerignore keeps none of it out of the build context.
    for (String pattern : Files.readAllLines(ROOT.resolve(".dockerignore"))) {
      String p = pattern.strip();
      if (p.isEmpty() || p.startsWith("#") || p.startsWith("!")) {
        continue;
      }
      var matcher = FileSystems.getDefault().getPathMatcher("glob:" + p.replaceAll("/+$", ""));
      for (String path : needed) {
        for (Path prefix = Path.of(path); prefix != null; prefix = prefix.getParent()) {
          assertThat(matcher.matches(prefix))
              .as(".dockerignore %s leaves out %s", p, path)
              .isFalse();
        }
      }
    }
  }

  private static String copy(String module, String what) {
    return what.equals("src")
        ? "COPY " + module + "/src " + module + "/src"
        : "COPY " + module + "/" + what + " " + module + "/";
  }

  private static List<String> all(Pattern pattern, String text) {
    List<String> found = new ArrayList<>();
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      found.add(m.group(1).strip());
    }
    return found;
  }
}
