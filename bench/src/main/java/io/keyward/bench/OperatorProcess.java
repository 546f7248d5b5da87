package io.keyward.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The operator as users run it: {@code java -jar keyward-operator.jar} in its own process, so its
 * CPU time and memory are its own. Reads them from /proc and its /metrics.
 */
public final class OperatorProcess implements AutoCloseable {
  private static final long TICKS_PER_SECOND = 100;

  private final Process process;
  private final int port;
  private final HttpClient http = HttpClient.newHttpClient();

  private OperatorProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static OperatorProcess start(Path jar, Path kubeconfig, List<String> jvmOptions, Path log)
      throws IOException, InterruptedException {
    return start(jar, kubeconfig, jvmOptions, log, Map.of());
  }

  /**
   * Starts the operator and waits until it is ready.
   *
   * @param settings more environment for the operator (its configuration, as {@code KEYWARD_*})
   */
  public static OperatorProcess start(
      Path jar, Path kubeconfig, List<String> jvmOptions, Path log, Map<String, String> settings)
      throws IOException, InterruptedException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(jar.toString());
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put("KUBECONFIG", kubeconfig.toString());
    env.put("KEYWARD_OPERATOR_METRICS_PORT", String.valueOf(port));
    env.put("KEYWARD_OPERATOR_NAMESPACE", "keyward-system");
    env.remove("KEYWARD_CONFIG_FILE");
    // As the image sets it: glibc's per-thread malloc arenas otherwise inflate RSS.
    env.putIfAbsent("MALLOC_ARENA_MAX", "2");
    env.putAll(settings);
    OperatorProcess op = new OperatorProcess(pb.start(), port);
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!op.ready()) {
      if (!op.process.isAlive() || System.nanoTime() > deadline) {
        op.close();
        throw new IllegalStateException("the operator did not become ready; see " + log);
      }
      Thread.sleep(200);
    }
    return op;
  }

  boolean ready() {
    try {
      return http.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                      .timeout(Duration.ofSeconds(2))
                      .build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** User plus system CPU time the process used so far. */
  double cpuSeconds() {
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "stat"));
      // Fields after the command name (which may hold spaces), counted from field 3.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long utime = Long.parseLong(f[11]);
      long stime = Long.parseLong(f[12]);
      return (utime + stime) / (double) TICKS_PER_SECOND;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Resident set size now. */
  long rssBytes() {
    try {
      for (String line :
          Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
      return -1;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Heap in use now, as jstat reads it from the JVM's performance-data file: the operator does no
   * work for it (a /metrics scrape would cost it CPU in the idle scenario).
   */
  long heapBytes() {
    Path jstat = jdkTool("jstat");
    try {
      Process p =
          new ProcessBuilder(jstat.toString(), "-gc", String.valueOf(process.pid()))
              .redirectErrorStream(true)
              .start();
      List<String> lines =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
              .lines()
              .toList();
      p.waitFor();
      if (lines.size() < 2) {
        return -1;
      }
      List<String> names = List.of(lines.get(0).trim().split("\\s+"));
      String[] values = lines.get(1).trim().split("\\s+");
      double kb = 0;
      for (String used : List.of("S0U", "S1U", "EU", "OU")) {
        kb += Double.parseDouble(values[names.indexOf(used)]);
      }
      return (long) (kb * 1024);
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /**
   * The live set: heap in use right after a full collection (which {@code jcmd GC.run} asks for).
   * It costs the operator a collection, so it is taken after the idle scenario's measurements.
   */
  long liveHeapBytes() {
    try {
      Process p =
          new ProcessBuilder(jdkTool("jcmd").toString(), String.valueOf(process.pid()), "GC.run")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      p.waitFor();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
    return heapBytes();
  }

  private static Path jdkTool(String name) {
    return ProcessHandle.current()
        .info()
        .command()
        .map(java -> Path.of(java).resolveSibling(name))
        .orElse(Path.of(name));
  }

  /** The operator's CPU seconds for one /metrics scrape (what each Prometheus scrape costs it). */
  double scrapeCpuSeconds() {
    double before = cpuSeconds();
    sum("keyward_apikeys");
    return cpuSeconds() - before;
  }

  /** The sum of every series of /metrics that starts with {@code prefix}. */
  double sum(String prefix) {
    try {
      String body =
          http.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      return body.lines()
          .filter(l -> l.startsWith(prefix))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
          .sum();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** The options the harness runs the operator with: the chart's default JVM. */
  public static List<String> defaultJvm() {
    return List.of(Bench.DEFAULT_JVM.split(" "));
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
