package io.keyward.operator.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real kubectl against the suite's server, for tests that assert on what a user of {@code
 * kubectl apply} sees. Machines of this kind carry kubectl 1.27 to 1.33 beside the dispatcher on
 * the PATH; the newest is used (the closest to the servers under test).
 */
final class Kubectl {
  /** What one run printed. */
  record Result(int exit, String out, String err) {
    /** Both streams, as a terminal would show them. */
    String output() {
      return out + err;
    }
  }

  private final Path kubeconfig;

  private Kubectl(Path kubeconfig) {
    this.kubeconfig = kubeconfig;
  }

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

  /** Runs kubectl with {@code args}, {@code stdin} on its standard input. */
  Result run(String stdin, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(binary().toString());
    command.add("--kubeconfig=" + kubeconfig);
    command.add("--request-timeout=30s");
    command.addAll(args);
    try {
      Path out = Files.createTempFile("kubectl-out-", ".txt");
      Path err = Files.createTempFile("kubectl-err-", ".txt");
      Process p =
          new ProcessBuilder(command)
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      if (stdin != null) {
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      p.getOutputStream().close();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("kubectl " + args + " did not finish within 60 s");
      }
      Result r =
          new Result(
              p.exitValue(),
              Files.readString(out, StandardCharsets.UTF_8),
              Files.readString(err, StandardCharsets.UTF_8));
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The newest versioned kubectl beside the dispatcher, else kubectl on the PATH. */
  static Path binary() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path onPath = Path.of(dir, "kubectl");
      if (!Files.isExecutable(onPath)) {
        continue;
      }
      try {
        Path real = onPath.toRealPath();
        for (int minor = 40; minor >= 27; minor--) {
          Path versioned = real.resolveSibling("kubectl.1." + minor);
          if (Files.isExecutable(versioned)) {
            return versioned;
          }
        }
      } catch (IOException e) {
        // Try the next PATH entry.
      }
      return onPath;
    }
    throw new IllegalStateException("no kubectl on the PATH");
  }
}
