package io.keyward.operator;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.internal.MockDispatcher;
import io.fabric8.mockwebserver.internal.SimpleRequest;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * fabric8's CRUD mock API server, with status writes under compare and swap as on a real API
 * server. fabric8's CRUD mode answers a stale {@code PUT} of a resource with 409, but a {@code PUT}
 * of its status subresource takes the stored resourceVersion instead of the one sent, so a stale
 * status write would succeed and no test of the quota ledger or the TOTP replay record (both
 * compare and swap on ApiUser status) could see a conflict. This server refuses it with 409.
 *
 * <p>Canned answers set with {@code server().expect()} come first (as in fabric8's mixed mode);
 * every request is recorded ({@link #requests()}). ApiKey and ApiUser have a status subresource, so
 * an update of the resource keeps the stored status, as on a real server.
 */
public final class MockApiServer implements AutoCloseable {
  /** A request as it reached the server. */
  public record Request(String method, String path, String body) {
    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  private final Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final KubernetesMockServer server;
  private final KubernetesClient client;

  public MockApiServer() {
    KubernetesCrudDispatcher crud =
        new KubernetesCrudDispatcher(List.of(withStatus(ApiKey.class), withStatus(ApiUser.class)));
    MockDispatcher canned = new MockDispatcher(responses);
    Dispatcher dispatcher =
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest received) {
            // Reading a body consumes it: read it once, hand on a copy.
            byte[] bytes = received.getBody() == null ? null : received.getBody().readByteArray();
            String body = bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
            RecordedRequest r =
                new RecordedRequest(
                    received.getHttpVersion(),
                    received.method(),
                    received.getPath(),
                    received.getHeaders(),
                    bytes == null ? null : new Buffer(bytes));
            requests.add(new Request(r.getMethod(), r.getPath(), body));
            Queue<ServerResponse> queued =
                responses.get(new SimpleRequest(HttpMethod.valueOf(r.getMethod()), r.getPath()));
            if (queued != null && !queued.isEmpty()) {
              return canned.dispatch(r);
            }
            if ("GET".equals(r.getMethod())) {
              return crud.dispatch(r);
            }
            // Writes one at a time, so a compare and swap is one.
            synchronized (this) {
              MockResponse stale = staleStatusWrite(crud, r.getMethod(), r.getPath(), body);
              return stale != null ? stale : crud.dispatch(r);
            }
          }
        };
    server =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            responses,
            dispatcher,
            false);
    server.init();
    client = server.createClient();
  }

  /** A client of this server. */
  public KubernetesClient client() {
    return client;
  }

  /** The server, for canned answers ({@code expect()}). */
  public KubernetesMockServer server() {
    return server;
  }

  /** Every request so far, oldest first. */
  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** The requests so far other than reads. */
  public List<Request> writes() {
    return requests.stream().filter(r -> !"GET".equals(r.method())).toList();
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }

  private static CustomResourceDefinitionContext withStatus(
      Class<? extends io.fabric8.kubernetes.client.CustomResource<?, ?>> type) {
    CustomResourceDefinitionContext c =
        CustomResourceDefinitionContext.fromCustomResourceType(type);
    return new CustomResourceDefinitionContext.Builder()
        .withGroup(c.getGroup())
        .withVersion(c.getVersion())
        .withKind(c.getKind())
        .withPlural(c.getPlural())
        .withScope(c.getScope())
        .withStatusSubresource(true)
        .build();
  }

  /** A 409 for a status write whose resourceVersion is not the stored one, else null. */
  private static MockResponse staleStatusWrite(
      KubernetesCrudDispatcher crud, String method, String path, String body) {
    String resource = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    if (!"PUT".equals(method) || !resource.endsWith("/status") || body == null) {
      return null;
    }
    String sent =
        Serialization.unmarshal(body, JsonNode.class)
            .path("metadata")
            .path("resourceVersion")
            .asText();
    MockResponse current = crud.handleGet(resource.substring(0, resource.length() - 7));
    if (sent.isEmpty() || current.code() != 200) {
      return null;
    }
    String stored =
        Serialization.unmarshal(current.getBody().readUtf8(), JsonNode.class)
            .path("metadata")
            .path("resourceVersion")
            .asText();
    if (stored.equals(sent)) {
      return null;
    }
    return new MockResponse()
        .setResponseCode(409)
        .setHeader("Content-Type", "application/json")
        .setBody(
            Serialization.asJson(
                new StatusBuilder()
                    .withStatus("Failure")
                    .withCode(409)
                    .withReason("Conflict")
                    .withMessage("the object has been modified")
                    .build()));
  }
}
