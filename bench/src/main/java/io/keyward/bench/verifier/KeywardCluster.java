package io.keyward.bench.verifier;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.keyward.bench.OperatorProcess;
import io.keyward.bench.verifier.BotSigner.BotKey;
import io.keyward.localcluster.LocalKubeApiServer;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The local kube-apiserver with Keyward's CRDs and the operator running as its own process, as the
 * operator's harness starts them, for the load and lag parts of the verifier's suite. Keys are
 * issued by the operator; their bots read the material from the Secrets.
 */
final class KeywardCluster implements AutoCloseable {
  private final LocalKubeApiServer server;
  private final KubernetesClient client;
  private final OperatorProcess operator;

  private KeywardCluster(
      LocalKubeApiServer server, KubernetesClient client, OperatorProcess operator) {
    this.server = server;
    this.client = client;
    this.operator = operator;
  }

  /**
   * Starts the API server and the operator. The operator rotates on request at once
   * (limits.minRotationInterval 0s): by default a {@code keyward.io/rotate} within 30 minutes of
   * issuance is deferred.
   */
  static KeywardCluster start(Path root) throws Exception {
    LocalKubeApiServer server = LocalKubeApiServer.start(false);
    KubernetesClient client = null;
    try {
      Config config =
          new io.fabric8.kubernetes.client.ConfigBuilder(
                  Config.fromKubeconfig(Files.readString(server.kubeconfig())))
              .withMaxConcurrentRequests(64)
              .withMaxConcurrentRequestsPerHost(64)
              .withUserAgent("keyward-bench")
              .build();
      client = new KubernetesClientBuilder().withConfig(config).build();
      installCrds(client, root);
      namespace(client, "keyward-system");
      OperatorProcess operator =
          OperatorProcess.start(
              root.resolve("operator/target/keyward-operator.jar"),
              server.kubeconfig(),
              OperatorProcess.defaultJvm(),
              root.resolve("bench/target/operator-verifier-suite.log"),
              Map.of("KEYWARD_LIMITS_MIN_ROTATION_INTERVAL", "0s"));
      return new KeywardCluster(server, client, operator);
    } catch (Exception | Error e) {
      if (client != null) {
        client.close();
      }
      server.close();
      throw e;
    }
  }

  KubernetesClient client() {
    return client;
  }

  Path kubeconfig() {
    return server.kubeconfig();
  }

  /** A client of its own, as a gateway has. */
  KubernetesClient newClient() throws Exception {
    return new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(Files.readString(server.kubeconfig())))
        .build();
  }

  /**
   * Issues {@code n} HMAC keys in a new namespace and waits until all are Active.
   *
   * @param userOf the user of key {@code i}; each is created once, MFA off, allowed {@code ns}
   * @param spec the spec of key {@code i} (its user is set from {@code userOf})
   * @return the keys' names, in order
   */
  List<String> issue(
      String ns, int n, IntFunction<String> userOf, IntFunction<ApiKeySpec> spec, int maxKeys)
      throws Exception {
    namespace(client, ns);
    java.util.Set<String> users = new java.util.LinkedHashSet<>();
    for (int i = 0; i < n; i++) {
      users.add(userOf.apply(i));
    }
    for (String name : users) {
      ApiUser u = new ApiUser();
      u.setMetadata(new ObjectMetaBuilder().withName(name).build());
      u.setSpec(new ApiUserSpec());
      u.getSpec().namespaces = List.of(ns);
      u.getSpec().maxKeys = maxKeys;
      u.getSpec().mfa = new ApiUserSpec.MfaSpec();
      u.getSpec().mfa.totp = "Disabled";
      client.resource(u).create();
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String name = String.format("k%04d", i);
      ApiKey k = new ApiKey();
      k.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
      ApiKeySpec s = spec.apply(i);
      s.user = userOf.apply(i);
      k.setSpec(s);
      client.resource(k).create();
      names.add(name);
    }
    await(
        () ->
            client.resources(ApiKey.class).inNamespace(ns).list().getItems().stream()
                    .filter(k -> k.getStatus() != null && "Active".equals(k.getStatus().phase))
                    .count()
                == n,
        Duration.ofMinutes(5),
        "every key of " + ns + " to be Active");
    return names;
  }

  /** A key's material as its bot reads it: from its Secret. */
  BotKey bot(String ns, String name) {
    ApiKey k = client.resources(ApiKey.class).inNamespace(ns).withName(name).get();
    Secret s = client.secrets().inNamespace(ns).withName(k.getStatus().secretName).get();
    return new BotKey(data(s, "accessKey"), data(s, "secretKey"), null, null);
  }

  private static String data(Secret s, String name) {
    return new String(Base64.getDecoder().decode(s.getData().get(name)), StandardCharsets.UTF_8);
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  /** Polls {@code c} every 50 ms until it holds, for at most {@code max}. */
  static void await(Condition c, Duration max, String what) throws Exception {
    long deadline = System.nanoTime() + max.toNanos();
    while (!c.holds()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + max + " waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  private static void namespace(KubernetesClient client, String name) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
  }

  private static void installCrds(KubernetesClient client, Path root) throws Exception {
    for (String file : List.of("apikeys.keyward.io.yaml", "apiusers.keyward.io.yaml")) {
      try (InputStream in = new FileInputStream(root.resolve("crds").resolve(file).toFile())) {
        CustomResourceDefinition crd =
            client.apiextensions().v1().customResourceDefinitions().load(in).item();
        client.resource(crd).create();
        client
            .apiextensions()
            .v1()
            .customResourceDefinitions()
            .withName(crd.getMetadata().getName())
            .waitUntilCondition(
                c ->
                    c != null
                        && c.getStatus() != null
                        && c.getStatus().getConditions().stream()
                            .anyMatch(
                                x ->
                                    "Established".equals(x.getType())
                                        && "True".equals(x.getStatus())),
                60,
                TimeUnit.SECONDS);
      }
    }
  }

  @Override
  public void close() {
    operator.close();
    client.close();
    server.close();
  }
}
