package io.keyward.operator.it;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.keyward.localcluster.LocalKubeApiServer;
import io.keyward.operator.CrdFiles;
import io.keyward.operator.KeywardOperator;
import io.keyward.operator.issuance.CredentialSecret;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real kube-apiserver (and etcd) for the whole *IT suite, with Keyward's CRDs installed from
 * the committed crds/ folder. From the start it watches every Keyward Secret and remembers every
 * secret value it ever held, so NoSecretLeakIT can look for them everywhere else.
 */
public final class RealCluster implements BeforeAllCallback {
  private static LocalKubeApiServer server;
  private static KubernetesClient client;
  private static final Set<String> SECRET_VALUES = ConcurrentHashMap.newKeySet();
  private static final Set<String> NON_SECRET_DATA_KEYS =
      Set.of("accessKey", "ACCESS_KEY", "algorithm", "expiresAt", "previousAccessKey");

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    start();
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
    client
        .secrets()
        .inAnyNamespace()
        .withLabel(CredentialSecret.MANAGED_BY, CredentialSecret.MANAGED_BY_VALUE)
        .watch(
            new Watcher<>() {
              @Override
              public void eventReceived(Action action, Secret secret) {
                remember(secret);
              }

              @Override
              public void onClose(WatcherException cause) {}
            });
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

  /** Records a Secret's secret values (and their base64 forms) as they appear anywhere. */
  public static void remember(Secret secret) {
    if (secret.getData() == null) {
      return;
    }
    // Access keys are public (status, events, audit): under their renamed data key too.
    String accessKeyName = CredentialSecret.dataKeys(secret, "accessKey", "secretKey")[0];
    secret
        .getData()
        .forEach(
            (k, v) -> {
              if (NON_SECRET_DATA_KEYS.contains(k) || k.equals(accessKeyName) || v == null) {
                return;
              }
              String plain = new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8);
              SECRET_VALUES.add(v);
              SECRET_VALUES.add(plain);
              // A PEM key's body lines would give it away one line at a time.
              for (String line : plain.split("\n")) {
                if (line.length() >= 16 && !line.startsWith("-----")) {
                  SECRET_VALUES.add(line.trim());
                }
              }
            });
  }

  /** Every secret value seen during the run. */
  public static Set<String> secretValues() {
    return Set.copyOf(SECRET_VALUES);
  }
}
