package io.keyward.verifier.kube;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * fabric8's CRUD mock API server with Keyward's two kinds (status subresource on both), forced
 * answers for chosen writes, and a record of the writes; plus the resources the tests make, written
 * as the operator and a tenant would (generic resources: the verifier carries no operator code).
 */
final class MockCluster implements AutoCloseable {
  /** A write as it reached the server. */
  record Write(String method, String path, String body) {}

  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final Map<String, Integer> forced = new ConcurrentHashMap<>();
  private final List<Write> writes = new CopyOnWriteArrayList<>();

  MockCluster() {
    KubernetesCrudDispatcher crud =
        new KubernetesCrudDispatcher(
            List.of(
                context("ApiUser", "apiusers", "Cluster"),
                context("ApiKey", "apikeys", "Namespaced")));
    Dispatcher dispatcher =
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            if ("GET".equals(request.getMethod())) {
              return crud.dispatch(request);
            }
            byte[] bytes = request.getBody() == null ? null : request.getBody().readByteArray();
            String path = request.getPath();
            writes.add(
                new Write(
                    request.getMethod(),
                    path,
                    bytes == null ? null : new String(bytes, StandardCharsets.UTF_8)));
            Integer code = forced.get(request.getMethod() + " " + path);
            if (code != null) {
              return new MockResponse()
                  .setResponseCode(code)
                  .setHeader("Content-Type", "application/json")
                  .setBody(
                      Serialization.asJson(
                          new StatusBuilder().withStatus("Failure").withCode(code).build()));
            }
            return crud.dispatch(
                new RecordedRequest(
                    request.getHttpVersion(),
                    request.method(),
                    path,
                    request.getHeaders(),
                    bytes == null ? null : new Buffer(bytes)));
          }
        };
    server =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            new HashMap<>(),
            dispatcher,
            false);
    server.init();
    client = server.createClient();
  }

  private static CustomResourceDefinitionContext context(String kind, String plural, String scope) {
    return new CustomResourceDefinitionContext.Builder()
        .withGroup("keyward.io")
        .withVersion("v1alpha1")
        .withKind(kind)
        .withPlural(plural)
        .withScope(scope)
        .withStatusSubresource(true)
        .build();
  }

  KubernetesClient client() {
    return client;
  }

  /** Answers {@code method path} with {@code code} from now on (null: as the CRUD server does). */
  void force(String method, String path, Integer code) {
    if (code == null) {
      forced.remove(method + " " + path);
    } else {
      forced.put(method + " " + path, code);
    }
  }

  List<Write> writes() {
    return List.copyOf(writes);
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }

  // --- resources ---

  /** An ApiKey as a tenant writes it; returns its uid. */
  String apiKey(String namespace, String name, Consumer<Map<String, Object>> spec) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("user", "alice");
    s.put("note", "bot " + name);
    s.put("permissions", List.of("read", "trade"));
    spec.accept(s);
    GenericKubernetesResource k = new GenericKubernetesResource();
    k.setApiVersion("keyward.io/v1alpha1");
    k.setKind("ApiKey");
    k.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    k.setAdditionalProperty("spec", s);
    return client
        .genericKubernetesResources(ClusterRecords.API_KEYS)
        .inNamespace(namespace)
        .resource(k)
        .create()
        .getMetadata()
        .getUid();
  }

  GenericKubernetesResource getKey(String namespace, String name) {
    return client
        .genericKubernetesResources(ClusterRecords.API_KEYS)
        .inNamespace(namespace)
        .withName(name)
        .get();
  }

  /** Edits an ApiKey's spec as a tenant would. */
  @SuppressWarnings("unchecked")
  void editSpec(String namespace, String name, Consumer<Map<String, Object>> edit) {
    client
        .genericKubernetesResources(ClusterRecords.API_KEYS)
        .inNamespace(namespace)
        .withName(name)
        .edit(
            k -> {
              edit.accept((Map<String, Object>) k.getAdditionalProperties().get("spec"));
              return k;
            });
  }

  /** Writes an ApiKey's status (the operator's mirror, or a tenant's forgery). */
  void writeKeyStatus(String namespace, String name, Map<String, Object> status) {
    GenericKubernetesResource k = getKey(namespace, name);
    k.setAdditionalProperty("status", status);
    client
        .genericKubernetesResources(ClusterRecords.API_KEYS)
        .inNamespace(namespace)
        .resource(k)
        .updateStatus();
  }

  /** An ApiUser (with MFA off) whose ledger is {@code refs}, as the operator writes it. */
  void user(String name, boolean suspended, List<Map<String, Object>> refs) {
    var users = client.genericKubernetesResources(ClusterRecords.API_USERS);
    GenericKubernetesResource u = users.withName(name).get();
    if (u == null) {
      u = new GenericKubernetesResource();
      u.setApiVersion("keyward.io/v1alpha1");
      u.setKind("ApiUser");
      u.setMetadata(new ObjectMetaBuilder().withName(name).build());
      u.setAdditionalProperty("spec", new LinkedHashMap<>(Map.of("namespaces", List.of("*"))));
      u = users.resource(u).create();
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) u.getAdditionalProperties().get("spec");
    if (!Boolean.valueOf(suspended).equals(spec.get("suspended"))) {
      spec.put("suspended", suspended);
      u = users.resource(u).update();
    }
    u.setAdditionalProperty("status", Map.of("keyRefs", new ArrayList<>(refs)));
    users.resource(u).updateStatus();
  }

  /** A ledger entry with a grant. */
  static Map<String, Object> ref(
      String namespace, String name, String uid, Map<String, Object> grant) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("namespace", namespace);
    r.put("name", name);
    r.put("uid", uid);
    r.put("type", "spot");
    if (grant != null) {
      r.put("grant", grant);
    }
    return r;
  }

  /** A grant of an HMAC key whose secret key is {@code secretKey}. */
  static Map<String, Object> hmacGrant(String secretName, String accessKey, String secretKey) {
    Map<String, Object> g = new LinkedHashMap<>();
    g.put("secretName", secretName);
    g.put("accessKey", accessKey);
    g.put("secretFingerprint", fingerprint(secretKey));
    g.put("algorithm", "HmacSHA256");
    g.put("issuedAt", "2026-11-25T10:00:00Z");
    g.put("expiresAt", "2027-02-23T10:00:00Z");
    g.put("permissions", List.of("read", "trade"));
    g.put("ipWhitelist", List.of());
    return g;
  }

  /** A key's Secret as the operator writes it ({@code data} in clear; base64 here). */
  void secret(String namespace, String name, Map<String, String> data) {
    secret(namespace, name, "keyward.io/api-key", Map.of(), data);
  }

  void secret(
      String namespace,
      String name,
      String type,
      Map<String, String> annotations,
      Map<String, String> data) {
    Map<String, String> encoded = new LinkedHashMap<>();
    data.forEach(
        (k, v) ->
            encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    Secret s =
        new SecretBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .addToLabels("app.kubernetes.io/managed-by", "keyward")
            .addToAnnotations(annotations)
            .endMetadata()
            .withType(type)
            .withData(encoded)
            .build();
    client.secrets().inNamespace(namespace).resource(s).createOr(x -> x.update());
  }

  static String fingerprint(String text) {
    try {
      return "sha256:"
          + HexFormat.of()
              .formatHex(
                  MessageDigest.getInstance("SHA-256")
                      .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
