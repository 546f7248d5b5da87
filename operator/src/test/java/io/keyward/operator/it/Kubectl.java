package io.keyward.operator.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The kubectl a user of the suite's servers would run, for tests that assert on what a user of
 * {@code kubectl apply} sees: kubectl 1.33, the closest release to the hybrid's v1.36 on these
 * machines (the {@code kubectl} on the PATH dispatches to versioned binaries that sit beside it);
 * {@code KEYWARD_KUBECTL} overrides it.
 */
final class Kubectl {
  private static final String VERSIONED = "kubectl.1.33";

  private final Path kubeconfig;

  private Kubectl(Path kubeconfig) {
    this.kubeconfig = kubeconfig;
  }

  /** What kubectl printed (stdout and stderr together, as a terminal shows them), and its exit. */
  record Result(int exitCode, String output) {}

  /** kubectl with the suite's admin kubeconfig. */
  static Kubectl admin() {
    return new Kubectl(RealCluster.server().kubeconfig());
  }

  /** kubectl that authenticates with {@code token} only. */
  static Kubectl withToken(String token) {
    try {
      Path file = Files.createTempFile("keyward-kubeconfig-", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(
          file,
          """
          apiVersion: v1
          kind: Config
          clusters:
          - name: it
            cluster:
              server: %s
              insecure-skip-tls-verify: true
          users:
          - name: it
            user:
              token: %s
          contexts:
          - name: it
            context: {cluster: it, user: it}
          current-context: it
          """
              .formatted(RealCluster.server().url(), token),
          StandardCharsets.UTF_8);
      return new Kubectl(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code kubectl apply -f -} of {@code manifest}, with {@code flags} added. */
  Result apply(String manifest, String... flags) {
    List<String> args = new ArrayList<>(List.of("apply", "-f", "-"));
    args.addAll(List.of(flags));
    return run(manifest, args);
  }

  /** Runs kubectl with {@code args}, {@code stdin} (may be null) on its standard input. */
  Result run(String stdin, List<String> args) {
    try {
      return run(kubeconfig, stdin == null ? "" : stdin, args.toArray(String[]::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Runs kubectl with {@code --kubeconfig} and {@code args}, {@code stdin} as its input (a manifest
   * for {@code -f -}), and waits at most a minute.
   */
  static Result run(Path kubeconfig, String stdin, String... args) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(binary().toString(), "--kubeconfig=" + kubeconfig, "--request-timeout=30s"));
    command.addAll(List.of(args));
    Path out = Files.createTempFile("kubectl-", ".out");
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      try (var in = p.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("kubectl " + String.join(" ", args) + " took over 60 s");
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running kubectl", e);
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /** Runs kubectl and fails unless it exits 0. */
  static String ok(Path kubeconfig, String stdin, String... args) throws IOException {
    Result r = run(kubeconfig, stdin, args);
    if (r.exitCode() != 0) {
      throw new IllegalStateException(
          "kubectl " + String.join(" ", args) + " exited " + r.exitCode() + ": " + r.output());
    }
    return r.output();
  }

  static Path binary() throws IOException {
    Optional<String> override = Optional.ofNullable(System.getenv("KEYWARD_KUBECTL"));
    if (override.isPresent()) {
      return Path.of(override.get());
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path onPath = Path.of(dir, "kubectl");
      if (Files.isExecutable(onPath)) {
        Path versioned = onPath.toRealPath().resolveSibling(VERSIONED);
        if (Files.isExecutable(versioned)) {
          return versioned;
        }
      }
    }
    throw new IllegalStateException(
        VERSIONED + " not found beside the kubectl on the PATH; set KEYWARD_KUBECTL");
  }
}
