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
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A real etcd and kube-apiserver (and optionally kube-controller-manager) on loopback, with an
 * admin kubeconfig. One instance is meant to serve a whole test suite or a playground session.
 *
 * <p>The hybrid ({@link #startHybrid}) adds a current Kubernetes CRD API server (v1.36, built by
 * bin/provision-crd-server) on the same etcd under its own prefix, authenticating and authorizing
 * every request against the 1.20 server; {@link #aggregate} then registers an APIService so the
 * 1.20 server proxies one API group (ours: keyward.io) to it. Core APIs stay 1.20.
 */
public final class LocalKubeApiServer implements AutoCloseable {

  /** Where the binaries live when {@code KEYWARD_KUBE_DIR} is not set. */
  public static final String KUBE_VERSION = "1.20.2";

  /**
   * The CRD server's version; its binary and etcd live in {@code KEYWARD_CRD_SERVER_DIR}, else
   * bin/provision-crd-server's cache.
   */
  public static final String CRD_SERVER_VERSION = "1.36.4";

  /** The front proxy's client certificate name, the only one the CRD server takes headers from. */
  private static final String FRONT_PROXY_CLIENT = "keyward-front-proxy-client";

  private static final String AGGREGATION_SERVICE = "keyward-crd-server";

  private final Path binaries;
  private final Path crdServerBinaries;
  private final Path workDir;
  private final boolean controllerManager;
  private final List<Process> processes = new ArrayList<>();
  private final String adminToken;
  private int apiPort;
  private int crdServerPort;
  private Path kubeconfig;
  private Path crdServerKubeconfig;

  private LocalKubeApiServer(
      Path binaries, Path crdServerBinaries, Path workDir, boolean controllerManager) {
    this.binaries = binaries;
    this.crdServerBinaries = crdServerBinaries;
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
      return start(locateBinaries(), null, controllerManager);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts the hybrid: etcd, kube-apiserver 1.20 with the aggregation layer configured, and the
   * v1.36 CRD API server beside it; provisions both sets of binaries first when missing. Apply CRDs
   * to {@link #crdServerKubeconfig()}, then {@link #aggregate} their group.
   *
   * @param controllerManager also start kube-controller-manager (garbage collection, namespaces)
   */
  public static LocalKubeApiServer startHybrid(boolean controllerManager) {
    try {
      return start(locateBinaries(), locateCrdServerBinaries(), controllerManager);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static LocalKubeApiServer start(
      Path binaries, Path crdServerBinaries, boolean controllerManager) throws IOException {
    Path work = Files.createTempDirectory("keyward-kube-");
    LocalKubeApiServer server =
        new LocalKubeApiServer(binaries, crdServerBinaries, work, controllerManager);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "keyward-kube-stop"));
    server.boot();
    return server;
  }

  /** The admin kubeconfig file (a static token of group system:masters). */
  public Path kubeconfig() {
    return kubeconfig;
  }

  /** Whether this is the hybrid, with a v1.36 CRD API server beside the 1.20 kube-apiserver. */
  public boolean hybrid() {
    return crdServerBinaries != null;
  }

  /**
   * The admin kubeconfig of the hybrid's CRD API server itself (same token), for applying CRDs;
   * everything else goes through {@link #kubeconfig()}.
   */
  public Path crdServerKubeconfig() {
    requireHybrid();
    return crdServerKubeconfig;
  }

  /** The hybrid's CRD API server's URL, https on 127.0.0.1. */
  public String crdServerUrl() {
    requireHybrid();
    return "https://127.0.0.1:" + crdServerPort;
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
    // The hybrid's etcd is the current one (3.5) its CRD server expects; 1.20 runs on it too.
    Path etcd = (hybrid() ? crdServerBinaries : binaries).resolve("etcd");
    processes.add(
        launch(
            "etcd",
            List.of(
                etcd.toString(),
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
    if (hybrid()) {
      apiServer.addAll(aggregationFlags(certs));
    }
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
    awaitReady(url(), Duration.ofSeconds(60));
    if (hybrid()) {
      bootCrdServer(etcdPort, certs);
    }

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

  /** A self-signed CA for 30 days, {@code <base>.key} and {@code <base>.crt}. */
  private void selfSignedCa(Path base, String commonName) throws IOException {
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "30",
        "-subj",
        "/CN=" + commonName,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout",
        base + ".key",
        "-out",
        base + ".crt");
  }

  /**
   * kube-apiserver's aggregation layer: it proxies an APIService's requests with a client
   * certificate of its own (the front proxy) and the caller's identity in X-Remote-* headers, which
   * the CRD server believes only from that certificate.
   */
  private List<String> aggregationFlags(Path certs) throws IOException {
    Path ca = certs.resolve("front-proxy-ca");
    Path client = certs.resolve("front-proxy-client");
    Path clientCa = certs.resolve("client-ca");
    selfSignedCa(ca, "keyward-front-proxy-ca");
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=" + FRONT_PROXY_CLIENT,
        "-keyout",
        client + ".key",
        "-out",
        client + ".csr");
    Path ext =
        Files.writeString(
            certs.resolve("front-proxy-client.ext"),
            "basicConstraints=critical,CA:FALSE\n"
                + "keyUsage=critical,digitalSignature,keyEncipherment\n"
                + "extendedKeyUsage=clientAuth\n");
    openssl(
        "x509",
        "-req",
        "-in",
        client + ".csr",
        "-days",
        "30",
        "-set_serial",
        "2",
        "-CA",
        ca + ".crt",
        "-CAkey",
        ca + ".key",
        "-extfile",
        ext.toString(),
        "-out",
        client + ".crt");
    // A client CA of its own, that signs nothing: the front proxy's CA must not also vouch for
    // ordinary client certificates (anyone holding one could then send X-Remote-* headers).
    selfSignedCa(clientCa, "keyward-client-ca");
    return List.of(
        "--etcd-prefix=/registry-core",
        "--client-ca-file=" + clientCa + ".crt",
        "--requestheader-client-ca-file=" + ca + ".crt",
        "--requestheader-allowed-names=" + FRONT_PROXY_CLIENT,
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        "--proxy-client-cert-file=" + client + ".crt",
        "--proxy-client-key-file=" + client + ".key");
  }

  /**
   * The v1.36 CRD API server: its own etcd prefix, and the 1.20 server for everything it does not
   * serve itself: authentication (TokenReview, and the front proxy's CA from the
   * extension-apiserver-authentication ConfigMap), authorization (SubjectAccessReview), namespaces,
   * and the webhook configurations its admission plugins call.
   */
  private void bootCrdServer(int etcdPort, Path certs) throws IOException {
    crdServerPort = freePort();
    Path crdCerts = Files.createDirectories(workDir.resolve("crd-server-certs"));
    processes.add(
        launch(
            "crd-server",
            List.of(
                crdServerBinaries.resolve("keyward-crd-server").toString(),
                "--etcd-servers=http://127.0.0.1:" + etcdPort,
                "--etcd-prefix=/registry-crd",
                "--bind-address=127.0.0.1",
                "--secure-port=" + crdServerPort,
                "--cert-dir=" + crdCerts,
                "--kubeconfig=" + kubeconfig,
                "--authentication-kubeconfig=" + kubeconfig,
                "--authorization-kubeconfig=" + kubeconfig,
                // Flow control and the admission policies need core APIs this server lacks.
                "--enable-priority-and-fairness=false",
                "--disable-admission-plugins=MutatingAdmissionPolicy,ValidatingAdmissionPolicy",
                "--v=0")));
    crdServerKubeconfig = workDir.resolve("crd-server.kubeconfig");
    Files.writeString(crdServerKubeconfig, kubeconfigText(crdServerUrl()), StandardCharsets.UTF_8);
    awaitReady(crdServerUrl(), Duration.ofSeconds(90));
  }

  /**
   * Makes the 1.20 server serve {@code group/version} by proxying to the hybrid's CRD server (an
   * ExternalName Service {@code localhost} and an APIService), and waits until the APIService is
   * Available and the 1.20 server's discovery lists every one of {@code resources}. Call it after
   * the group's CRDs are established on the CRD server.
   */
  public void aggregate(String group, String version, List<String> resources) {
    requireHybrid();
    String apiService = version + "." + group;
    post(
        "/api/v1/namespaces/kube-system/services",
        """
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "%s", "namespace": "kube-system"},
         "spec": {"type": "ExternalName", "externalName": "localhost"}}
        """
            .formatted(AGGREGATION_SERVICE));
    post(
        "/apis/apiregistration.k8s.io/v1/apiservices",
        """
        {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
         "metadata": {"name": "%s"},
         "spec": {"group": "%s", "version": "%s", "insecureSkipTLSVerify": true,
                  "groupPriorityMinimum": 1000, "versionPriority": 15,
                  "service": {"namespace": "kube-system", "name": "%s", "port": %d}}}
        """
            .formatted(apiService, group, version, AGGREGATION_SERVICE, crdServerPort));
    Pattern available = Pattern.compile("\"type\":\"Available\",\"status\":\"True\"");
    awaitBody(
        "/apis/apiregistration.k8s.io/v1/apiservices/" + apiService,
        body -> available.matcher(body).find(),
        "APIService " + apiService + " Available");
    awaitBody(
        "/apis/" + group + "/" + version,
        body -> resources.stream().allMatch(r -> body.contains("\"name\":\"" + r + "\"")),
        "discovery of " + group + "/" + version + " listing " + resources);
  }

  /** The {@code gitVersion} the server that serves {@code /apis/<group>} reports. */
  public String servingVersion() {
    String body = get(hybrid() ? crdServerUrl() : url(), "/version").body();
    Matcher m = Pattern.compile("\"gitVersion\":\\s*\"([^\"]+)\"").matcher(body);
    if (!m.find()) {
      throw new IllegalStateException("no gitVersion in /version: " + body);
    }
    return m.group(1);
  }

  private void requireHybrid() {
    if (!hybrid()) {
      throw new IllegalStateException("not a hybrid cluster: start it with startHybrid");
    }
  }

  private void openssl(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Path log = workDir.resolve("openssl.log");
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    try {
      if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException("openssl " + args[0] + " failed; see " + log);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running openssl", e);
    }
  }

  private void post(String path, String json) {
    HttpResponse<String> response =
        send(
            HttpRequest.newBuilder(URI.create(url() + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    if (response.statusCode() != 201) {
      throw new IllegalStateException(
          "POST " + path + " answered " + response.statusCode() + ": " + response.body());
    }
  }

  private HttpResponse<String> get(String base, String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    HttpClient http = HttpClient.newBuilder().sslContext(trustAll()).build();
    try {
      return http.send(
          request
              .header("Authorization", "Bearer " + adminToken)
              .timeout(Duration.ofSeconds(10))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while calling kube-apiserver", e);
    }
  }

  private void awaitBody(String path, Predicate<String> done, String what) {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    String last = "";
    while (Instant.now().isBefore(deadline)) {
      HttpResponse<String> response = get(url(), path);
      last = response.statusCode() + " " + response.body();
      if (response.statusCode() == 200 && done.test(response.body())) {
        return;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + what, e);
      }
    }
    throw new IllegalStateException(
        "no " + what + " within 60 s; last answer " + last + "; see the logs in " + workDir);
  }

  private String kubeconfigText() {
    return kubeconfigText(url());
  }

  private String kubeconfigText(String server) {
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
        .formatted(server, adminToken);
  }

  private Process launch(String name, List<String> command) throws IOException {
    Path log = workDir.resolve(name + ".log");
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private void awaitReady(String server, Duration timeout) {
    HttpClient http = HttpClient.newBuilder().sslContext(trustAll()).build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(server + "/readyz"))
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
        server + " was not ready within " + timeout + "; see the logs in " + workDir);
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
    provision("bin/provision-kube");
    return dir;
  }

  /**
   * The CRD server's directory: {@code KEYWARD_CRD_SERVER_DIR}, else bin/provision-crd-server's
   * cache; runs that script when the binaries are missing.
   */
  static Path locateCrdServerBinaries() throws IOException {
    Path dir =
        Optional.ofNullable(System.getenv("KEYWARD_CRD_SERVER_DIR"))
            .map(Path::of)
            .orElse(
                Path.of(
                    System.getProperty("user.home"),
                    ".cache",
                    "keyward",
                    "crd-server-" + CRD_SERVER_VERSION));
    if (!Files.isExecutable(dir.resolve("keyward-crd-server"))
        || !Files.isExecutable(dir.resolve("etcd"))) {
      provision("bin/provision-crd-server");
    }
    return dir;
  }

  private static void provision(String name) throws IOException {
    Path script = findProvisionScript(name);
    try {
      Process p = new ProcessBuilder("bash", script.toString()).inheritIO().start();
      if (p.waitFor() != 0) {
        throw new IllegalStateException(script + " failed with exit code " + p.exitValue());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + script, e);
    }
  }

  private static Path findProvisionScript(String name) {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path script = p.resolve(name);
      if (Files.isRegularFile(script)) {
        return script;
      }
    }
    throw new IllegalStateException(
        "binaries are missing and "
            + name
            + " was not found above "
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

  /**
   * A TLS context that trusts any server: for clients of servers with self-signed certificates that
   * are only ever reached on loopback (this API server, a test webhook).
   */
  public static SSLContext trustAll() {
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
