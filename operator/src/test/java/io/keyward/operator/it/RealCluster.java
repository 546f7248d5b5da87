package io.keyward.operator.it;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.keyward.localcluster.LocalKubeApiServer;
import io.keyward.operator.CrdFiles;
import io.keyward.operator.KeywardOperator;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real kube-apiserver (and etcd) for the whole *IT suite, with Keyward's CRDs installed from
 * the committed crds/ folder. Every IT class runs with it, so it also runs {@link LeakWatch}: the
 * recording starts with the server, and after each class nothing recorded may have leaked.
 *
 * <p>The system property {@code keyward.kube} picks the flavour: {@code 1.20} (default) is the
 * 1.20.2 kube-apiserver alone; {@code 1.36} is the hybrid, where the keyward.io group is served by
 * a v1.36.4 CRD API server aggregated behind the 1.20 one (CEL rules enforced at apply), and
 * everything else stays 1.20. Tests reach both the same way, through {@link #client()}.
 */
public final class RealCluster implements BeforeAllCallback, AfterAllCallback {
  /** The system property that picks the flavour. */
  public static final String FLAVOUR_PROPERTY = "keyward.kube";

  private static LocalKubeApiServer server;
  private static KubernetesClient client;
  private static String servingVersion;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    start();
  }

  /** After each class, so also after the last: nothing secret leaked so far in the run. */
  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    LeakWatch.assertNoLeaks();
  }

  /** Starts the suite's server once. */
  public static synchronized void start() throws IOException {
    if (server != null) {
      return;
    }
    if (hybrid()) {
      server = LocalKubeApiServer.startHybrid(true);
      // As a user installs them on a current cluster: server-side apply, the server validating.
      Kubectl.ok(
          server.crdServerKubeconfig(),
          "",
          "apply",
          "--server-side",
          "-f",
          CrdFiles.crdsDir() + "/");
      try (KubernetesClient crdServer = client(server.crdServerKubeconfig())) {
        awaitEstablished(crdServer);
      }
      server.aggregate("keyward.io", "v1alpha1", List.of("apikeys", "apiusers"));
      client = newClient();
    } else {
      server = LocalKubeApiServer.start(true);
      client = newClient();
      for (var type : CrdFiles.TYPES) {
        Path file = CrdFiles.crdsDir().resolve(CrdFiles.fileName(type));
        try (InputStream in = new FileInputStream(file.toFile())) {
          CustomResourceDefinition crd =
              client.apiextensions().v1().customResourceDefinitions().load(in).item();
          // Not server-side apply: 1.20's typed patches reject the CEL rules it does not know.
          client.resource(crd).create();
        }
      }
      awaitEstablished(client);
    }
    servingVersion = server.servingVersion();
    LeakWatch.start(client);
  }

  /** Whether this run is the hybrid ({@code -Dkeyward.kube=1.36}). */
  public static boolean hybrid() {
    String flavour = System.getProperty(FLAVOUR_PROPERTY, "1.20");
    return switch (flavour) {
      case "1.20" -> false;
      case "1.36" -> true;
      default ->
          throw new IllegalStateException(FLAVOUR_PROPERTY + " is 1.20 or 1.36, not " + flavour);
    };
  }

  /**
   * The Kubernetes version that serves Keyward's resources, as that server reports it: v1.20.2, or
   * v1.36.4 on the hybrid (core APIs stay v1.20.2 there).
   */
  public static String kubernetesVersion() {
    return servingVersion;
  }

  /**
   * Whether the server serving keyward.io enforces the CRDs' CEL rules (x-kubernetes-validations)
   * at apply; 1.20 accepts and ignores them, so there the operator's status refuses instead.
   */
  public static boolean enforcesCel() {
    return hybrid();
  }

  private static void awaitEstablished(KubernetesClient client) {
    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(
            () ->
                CrdFiles.TYPES.stream()
                    .allMatch(
                        t -> {
                          var crd =
                              client
                                  .apiextensions()
                                  .v1()
                                  .customResourceDefinitions()
                                  .withName(
                                      io.fabric8.kubernetes.client.CustomResource.getCRDName(t))
                                  .get();
                          return crd != null
                              && crd.getStatus() != null
                              && crd.getStatus().getConditions().stream()
                                  .anyMatch(
                                      c ->
                                          "Established".equals(c.getType())
                                              && "True".equals(c.getStatus()));
                        }));
  }

  /** A new client with admin rights on the suite's server. */
  public static KubernetesClient newClient() throws IOException {
    return client(server.kubeconfig());
  }

  private static KubernetesClient client(Path kubeconfigFile) throws IOException {
    String kubeconfig = Files.readString(kubeconfigFile, StandardCharsets.UTF_8);
    return new KubernetesClientBuilder()
        .withConfig(KeywardOperator.requestsInFlight(Config.fromKubeconfig(kubeconfig)))
        .build();
  }

  /** The suite's admin client. */
  public static KubernetesClient client() {
    return client;
  }

  /** The server, for its kubeconfig and logs. */
  public static LocalKubeApiServer server() {
    return server;
  }

  /** Creates a namespace. */
  public static void namespace(String name) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .serverSideApply();
  }
}
