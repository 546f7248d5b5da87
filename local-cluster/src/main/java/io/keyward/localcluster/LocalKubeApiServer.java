package io.keyward.localcluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A real etcd and kube-apiserver (and optionally kube-controller-manager) on loopback, with an
 * admin kubeconfig. One instance is meant to serve a whole test suite or a playground session.
 */
public final class LocalKubeApiServer implements AutoCloseable {

  /** Where the binaries live when {@code KEYWARD_KUBE_DIR} is not set. */
  public static final String KUBE_VERSION = "1.20.2";

  private final Path binaries;
  private final Path workDir;
  private final boolean controllerManager;
  private final List<Process> processes = new ArrayList<>();
  private final String adminToken;
  private int apiPort;
  private Path kubeconfig;

  private LocalKubeApiServer(Path binaries, Path workDir, boolean controllerManager) {
    this.binaries = binaries;
    this.workDir = workDir;
    this.controllerManager = controllerManager;
    byte[] token = new byte[24];
    new SecureRandom().nextBytes(token);
    this.adminToken = HexFormat.of().formatHex(token);
  }

  /**
   * Starts etcd and kube-apiserver, provisioning the binaries first when they are missing.
   *
   * @param controllerManager also start kube-controller-manager (garbage collection, namespaces)
   */
  public static LocalKubeApiServer start(boolean controllerManager) {
    try {
      Path binaries = locateBinaries();
      Path work = Files.createTempDirectory("keyward-kube-");
      LocalKubeApiServer server = new LocalKubeApiServer(binaries, work, controllerManager);
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "keyward-kube-stop"));
      server.boot();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The admin kubeconfig file (a static token of group system:masters). */
  public Path kubeconfig() {
    return kubeconfig;
  }

  /** The API server's URL, https on 127.0.0.1. */
  public String url() {
    return "https://127.0.0.1:" + apiPort;
  }

  /** The admin bearer token. */
  public String adminToken() {
    return adminToken;
  }

  /** The directory that holds the server's logs and data. */
  public Path workDir() {
    return workDir;
  }

  private void boot() throws IOException {
    int etcdPort = freePort();
    int etcdPeerPort = freePort();
    apiPort = freePort();
    Path etcdData = workDir.resolve("etcd");
    processes.add(
        launch(
            "etcd",
            List.of(
                binaries.resolve("etcd").toString(),
                "--data-dir=" + etcdData,
                "--listen-client-urls=http://127.0.0.1:" + etcdPort,
                "--advertise-client-urls=http://127.0.0.1:" + etcdPort,
                "--listen-peer-urls=http://127.0.0.1:" + etcdPeerPort,
                "--initial-advertise-peer-urls=http://127.0.0.1:" + etcdPeerPort,
                "--initial-cluster=default=http://127.0.0.1:" + etcdPeerPort,
                "--listen-metrics-urls=",
                "--log-level=warn")));

    Path certs = Files.createDirectories(workDir.resolve("certs"));
    writeServiceAccountKeys(certs);
    Path tokens = workDir.resolve("tokens.csv");
    Files.writeString(tokens, adminToken + ",keyward-admin,keyward-admin,\"system:masters\"\n");
    List<String> apiServer =
        new ArrayList<>(
            List.of(
                binaries.resolve("kube-apiserver").toString(),
                "--etcd-servers=http://127.0.0.1:" + etcdPort,
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                "--secure-port=" + apiPort,
                "--insecure-port=0",
                "--cert-dir=" + certs,
                "--token-auth-file=" + tokens,
                "--authorization-mode=RBAC",
                "--service-account-issuer=https://kubernetes.default.svc",
                "--service-account-key-file=" + certs.resolve("sa.pub"),
                "--service-account-signing-key-file=" + certs.resolve("sa.key"),
                "--service-cluster-ip-range=10.0.0.0/24",
                "--disable-admission-plugins=ServiceAccount",
                "--enable-priority-and-fairness=false",
                "--v=0"));
    if ("1".equals(System.getenv("KEYWARD_KUBE_AUDIT"))) {
      // For load diagnosis: every request's verb, resource and user agent in audit.log.
      Path policy = workDir.resolve("audit-policy.yaml");
      Files.writeString(
          policy,
          """
          apiVersion: audit.k8s.io/v1
          kind: Policy
          omitStages: [RequestReceived, ResponseStarted]
          rules:
          - level: Metadata
          """);
      apiServer.add("--audit-policy-file=" + policy);
      apiServer.add("--audit-log-path=" + workDir.resolve("audit.log"));
    }
    processes.add(launch("kube-apiserver", apiServer));
    kubeconfig = workDir.resolve("kubeconfig");
    Files.writeString(kubeconfig, kubeconfigText(), StandardCharsets.UTF_8);
    awaitReady(Duration.ofSeconds(60));

    if (controllerManager) {
      processes.add(
          launch(
              "kube-controller-manager",
              List.of(
                  binaries.resolve("kube-controller-manager").toString(),
                  "--kubeconfig=" + kubeconfig,
                  "--controllers=garbagecollector,namespace",
                  "--leader-elect=false",
                  "--port=0",
                  "--secure-port=0")));
    }
  }

  private String kubeconfigText() {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: keyward-local
          cluster:
            server: %s
            insecure-skip-tls-verify: true
        users:
        - name: keyward-admin
          user:
            token: %s
        contexts:
        - name: keyward-local
          context:
            cluster: keyward-local
            user: keyward-admin
        current-context: keyward-local
        """
        .formatted(url(), adminToken);
  }

  private Process launch(String name, List<String> command) throws IOException {
    Path log = workDir.resolve(name + ".log");
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private void awaitReady(Duration timeout) {
    HttpClient http = HttpClient.newBuilder().sslContext(trustAll()).build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url() + "/readyz"))
            .header("Authorization", "Bearer " + adminToken)
            .timeout(Duration.ofSeconds(2))
            .build();
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new IllegalStateException(
              "a local Kubernetes process exited early (code "
                  + p.exitValue()
                  + "); see the logs in "
                  + workDir);
        }
      }
      try {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for kube-apiserver", e);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for kube-apiserver", e);
      }
    }
    throw new IllegalStateException(
        "kube-apiserver was not ready within " + timeout + "; see the logs in " + workDir);
  }

  @Override
  public synchronized void close() {
    // Stop in reverse order: controller-manager, then apiserver, then etcd.
    for (int i = processes.size() - 1; i >= 0; i--) {
      Process p = processes.get(i);
      p.destroy();
      try {
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
    processes.clear();
  }

  /** The binaries directory: {@code KEYWARD_KUBE_DIR}, else the provisioning script's cache. */
  static Path locateBinaries() throws IOException {
    Path dir =
        Optional.ofNullable(System.getenv("KEYWARD_KUBE_DIR"))
            .map(Path::of)
            .orElse(
                Path.of(
                    System.getProperty("user.home"), ".cache", "keyward", "kube-" + KUBE_VERSION));
    if (Files.isExecutable(dir.resolve("kube-apiserver"))
        && Files.isExecutable(dir.resolve("etcd"))) {
      return dir;
    }
    Path script = findProvisionScript();
    try {
      Process p = new ProcessBuilder("bash", script.toString()).inheritIO().start();
      if (p.waitFor() != 0) {
        throw new IllegalStateException(script + " failed with exit code " + p.exitValue());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while provisioning kube binaries", e);
    }
    return dir;
  }

  private static Path findProvisionScript() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path script = p.resolve("bin/provision-kube");
      if (Files.isRegularFile(script)) {
        return script;
      }
    }
    throw new IllegalStateException(
        "kube-apiserver binaries are missing and bin/provision-kube was not found above "
            + Path.of("").toAbsolutePath());
  }

  private static void writeServiceAccountKeys(Path dir) throws IOException {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
      gen.initialize(2048);
      KeyPair pair = gen.generateKeyPair();
      Files.writeString(dir.resolve("sa.key"), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
      Files.writeString(dir.resolve("sa.pub"), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(String type, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** The server's certificate is self-signed and only ever reached on loopback. */
  private static SSLContext trustAll() {
    try {
      TrustManager tm =
          new X509ExtendedTrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkClientTrusted(X509Certificate[] c, String a, Socket s) {}

            @Override
            public void checkServerTrusted(X509Certificate[] c, String a, Socket s) {}

            @Override
            public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) {}

            @Override
            public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
              return new X509Certificate[0];
            }
          };
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {tm}, new SecureRandom());
      return ctx;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
