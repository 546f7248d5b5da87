package io.keyward.operator.kube;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;

/**
 * Writes a resource's status through the status subresource, carrying the read resourceVersion
 * (compare and swap: a stale writer gets 409 and decides again), and only when it changed.
 */
public final class StatusWriter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;

  public StatusWriter(KubernetesClient client) {
    this.client = client;
  }

  /** A deep copy of a key's status to build the next one on (a fresh one if it has none). */
  public static ApiKeyStatus copyOf(ApiKey key) {
    return copy(key.getStatus(), ApiKeyStatus.class, ApiKeyStatus::new);
  }

  /** A deep copy of a resource, to change without touching a cached instance. */
  @SuppressWarnings("unchecked")
  public static <R> R deepCopy(R resource) {
    return (R) JSON.convertValue(resource, resource.getClass());
  }

  /** A deep copy of a status, or a new one. */
  public static <S> S copy(S status, Class<S> type, java.util.function.Supplier<S> fresh) {
    return status == null ? fresh.get() : JSON.convertValue(status, type);
  }

  /** A status write met a newer resourceVersion (HTTP 409): decide again on the newer one. */
  public static final class Conflict extends Stale {
    public Conflict() {
      super("status write conflict");
    }
  }

  /** Writes the status if it differs; returns the resource as the server now has it. */
  public <S, R extends CustomResource<?, S>> R write(R resource, S status) {
    return write(client, resource, status);
  }

  /**
   * Writes the status if it differs (compare and swap on the resource's resourceVersion); returns
   * the resource as the server now has it, or {@code resource} itself when nothing changed.
   *
   * @throws Conflict when the server has a newer version
   */
  @SuppressWarnings("unchecked")
  public static <S, R extends CustomResource<?, S>> R write(
      KubernetesClient client, R resource, S status) {
    if (java.util.Objects.equals(status, resource.getStatus())) {
      return resource;
    }
    // What is sent: the resource's metadata (its resourceVersion is the compare and swap) and the
    // new status; the spec is shared, not copied (it is only serialized, and a status write
    // ignores it). No JSON round trip of the whole resource on every write.
    R copy;
    try {
      copy = (R) resource.getClass().getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
    copy.setMetadata(new ObjectMetaBuilder(resource.getMetadata()).build());
    ((CustomResource<Object, S>) copy).setSpec(resource.getSpec());
    copy.setStatus(status);
    try {
      return client.resource(copy).updateStatus();
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() == 409) {
        throw new Conflict();
      }
      throw e;
    }
  }
}
