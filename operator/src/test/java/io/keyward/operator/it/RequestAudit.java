package io.keyward.operator.it;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records every request a client makes, as the RBAC verb and resource it needs, and every answer
 * 403 (Forbidden): what an RBAC proof needs to show that a role is enough and all of it is used.
 */
public final class RequestAudit implements Interceptor {
  /** One RBAC permission: API group, resource (with /subresource), verb. */
  public record Use(String group, String resource, String verb) {
    @Override
    public String toString() {
      return verb + " " + (group.isEmpty() ? "" : group + "/") + resource;
    }
  }

  /**
   * A permission as used in one namespace: {@code namespace} is the namespace RBAC checks the
   * request against (for {@code /api/v1/namespaces/x}, x itself), empty for a cluster-scoped
   * request or one across all namespaces.
   */
  public record Scoped(String namespace, Use use) {
    @Override
    public String toString() {
      return use + (namespace.isEmpty() ? " (cluster)" : " in " + namespace);
    }
  }

  private final Set<Scoped> used = ConcurrentHashMap.newKeySet();
  private final List<String> forbidden = new CopyOnWriteArrayList<>();

  /** The permissions the requests needed. */
  public Set<Use> used() {
    return used.stream().map(Scoped::use).collect(java.util.stream.Collectors.toSet());
  }

  /** The permissions the requests needed, with the namespace each was needed in. */
  public Set<Scoped> usedIn() {
    return Set.copyOf(used);
  }

  /** The requests answered 403, as "METHOD uri". */
  public List<String> forbidden() {
    return new ArrayList<>(forbidden);
  }

  @Override
  public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
    Use use = use(request.method(), request.uri());
    if (use != null) {
      used.add(new Scoped(namespace(request.uri()), use));
    }
  }

  @Override
  public void after(
      HttpRequest request,
      HttpResponse<?> response,
      AsyncBody.Consumer<List<ByteBuffer>> consumer) {
    note(request, response);
  }

  @Override
  public CompletableFuture<Boolean> afterFailure(
      BasicBuilder builder, HttpResponse<?> response, RequestTags tags) {
    note(response.request(), response);
    return CompletableFuture.completedFuture(false);
  }

  private void note(HttpRequest request, HttpResponse<?> response) {
    if (response.code() == 403) {
      forbidden.add(request.method() + " " + request.uri());
    }
  }

  /** The namespace RBAC checks a request against; empty when it checks the cluster. */
  static String namespace(URI uri) {
    List<String> parts = List.of(uri.getPath().replaceAll("^/+|/+$", "").split("/"));
    int i = parts.size() >= 2 && parts.get(0).equals("api") ? 2 : 3;
    if (parts.size() >= i + 2 && parts.get(i).equals("namespaces")) {
      return parts.get(i + 1);
    }
    return "";
  }

  /** The RBAC verb and resource of a request to the API server; null for non-resource paths. */
  static Use use(String method, URI uri) {
    String[] parts = uri.getPath().replaceAll("^/+|/+$", "").split("/");
    int i;
    String group;
    if (parts.length >= 2 && parts[0].equals("api")) {
      group = "";
      i = 2;
    } else if (parts.length >= 3 && parts[0].equals("apis")) {
      group = parts[1];
      i = 3;
    } else {
      return null;
    }
    List<String> rest = List.of(parts).subList(i, parts.length);
    if (rest.size() >= 3 && rest.get(0).equals("namespaces")) {
      rest = rest.subList(2, rest.size());
    }
    if (rest.isEmpty()) {
      return null;
    }
    String resource = rest.get(0) + (rest.size() >= 3 ? "/" + rest.get(2) : "");
    boolean named = rest.size() >= 2;
    String query = uri.getQuery() == null ? "" : uri.getQuery();
    String verb =
        switch (method) {
          case "GET" ->
              query.matches("(.*&)?watch=(true|1)(&.*)?") ? "watch" : named ? "get" : "list";
          case "POST" -> "create";
          case "PUT" -> "update";
          case "PATCH" -> "patch";
          case "DELETE" -> named ? "delete" : "deletecollection";
          default -> method.toLowerCase(java.util.Locale.ROOT);
        };
    return new Use(group, resource, verb);
  }
}
