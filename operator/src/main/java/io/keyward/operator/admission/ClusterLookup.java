package io.keyward.operator.admission;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import java.util.Optional;

/**
 * The webhook's reads: straight from the API server. Every replica serves the webhook, and a
 * follower's caches (if any) may lag behind the leader's writes; one GET per check is cheap next to
 * the write it guards.
 */
final class ClusterLookup implements AdmissionRules.Lookup {
  private final KubernetesClient client;

  ClusterLookup(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public Optional<ApiUser> user(String name) {
    return Optional.ofNullable(client.resources(ApiUser.class).withName(name).get());
  }

  @Override
  public Optional<String> keyUid(String namespace, String name) {
    return Optional.ofNullable(
            client.resources(ApiKey.class).inNamespace(namespace).withName(name).get())
        .map(k -> k.getMetadata().getUid());
  }
}
