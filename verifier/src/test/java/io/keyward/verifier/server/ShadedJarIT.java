package io.keyward.verifier.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar (failsafe runs after the package phase): it carries only the Envoy API packages
 * ext_authz needs, and with them alone it serves a Check ({@code --self-check}, in a JVM of its own
 * whose class path is the jar alone).
 */
class ShadedJarIT {
  private static final Path JAR = Path.of("target", "keyward-verifier.jar");

  /** The Envoy API packages ext_authz loads: the files external_auth.proto imports. */
  private static final List<String> ENVOY_PACKAGES =
      List.of(
          "io/envoyproxy/envoy/service/auth/v3/",
          "io/envoyproxy/envoy/config/core/v3/",
          "io/envoyproxy/envoy/type/v3/",
          "io/envoyproxy/pgv/validate/",
          "envoy/annotations/",
          "udpa/annotations/",
          "xds/annotations/v3/",
          "com/github/xds/core/v3/");

  @Test
  void theJarServesACheckWithWhatItCarries() throws Exception {
    assertThat(JAR).as("the shaded jar (mvn package)").exists();
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                JAR.toString(),
                "--self-check")
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    boolean ended = p.waitFor(120, TimeUnit.SECONDS);
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!ended) {
      p.destroyForcibly();
    }
    assertThat(ended).as("the self-check ended").isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("keyward-verifier: self-check passed");
  }

  @Test
  void onlyTheEnvoyPackagesExtAuthzNeedsAreInIt() throws IOException {
    Set<String> envoy = new TreeSet<>();
    try (ZipFile zip = new ZipFile(JAR.toFile())) {
      for (ZipEntry e : java.util.Collections.list(zip.entries())) {
        String name = e.getName();
        if (!name.endsWith(".class")) {
          continue;
        }
        String dir = name.substring(0, name.lastIndexOf('/') + 1);
        if (name.startsWith("io/envoyproxy/")
            || name.startsWith("envoy/")
            || name.startsWith("udpa/")
            || name.startsWith("xds/")
            || name.startsWith("com/github/xds/")
            || name.startsWith("com/github/udpa/")
            || name.startsWith("dev/cel/")) {
          envoy.add(dir);
        }
      }
    }
    assertThat(envoy).containsExactlyInAnyOrderElementsOf(ENVOY_PACKAGES);
    assertThat(Files.size(JAR)).as("the jar's size").isLessThan(70L * 1024 * 1024);
  }
}
