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
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real kube-apiserver (and etcd) for the whole *IT suite, with Keyward's CRDs installed from
 * the committed crds/ folder. Every IT class runs with it, so it also runs {@link LeakWatch}: the
 * recording starts with the server, and after each class nothing recorded may have leaked.
 */
public final class RealCluster implements BeforeAllCallback, AfterAllCallback {
  private static LocalKubeApiServer server;
  private static KubernetesClient client;

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
    LeakWatch.start(client);
  }

  /** A new client with admin rights on the suite's server. */
  public static KubernetesClient newClient() throws IOException {
    String kubeconfig = Files.readString(server.kubeconfig(), StandardCharsets.UTF_8);
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
