package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.keyward.operator.issuance.KeyIssuer;
import io.keyward.operator.kube.Stale;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every Secret the operator deletes (a key's Secret at deletion, expiry or tampering, a leftover
 * enrolment Secret) goes through {@link KeyIssuer#deleteAsRead}: on a real API server the delete
 * carries the read resourceVersion as its precondition, so a Secret replaced or changed after it
 * was read and judged is not deleted.
 */
@ExtendWith(RealCluster.class)
@Order(3)
class SecretDeleteIT {
  private static final String NS = "secret-delete";

  @Test
  void aSecretChangedSinceItWasReadIsNotDeleted() {
    RealCluster.namespace(NS);
    Secret read =
        client()
            .secrets()
            .inNamespace(NS)
            .resource(
                new SecretBuilder()
                    .withNewMetadata()
                    .withName("judged")
                    .endMetadata()
                    .addToStringData("k", "v1")
                    .build())
            .create();
    // Someone else's write after the operator read (and judged) it.
    Secret changed =
        client()
            .secrets()
            .inNamespace(NS)
            .withName("judged")
            .edit(
                s -> {
                  s.getMetadata().setLabels(java.util.Map.of("changed", "yes"));
                  return s;
                });
    assertThat(changed.getMetadata().getResourceVersion())
        .isNotEqualTo(read.getMetadata().getResourceVersion());

    assertThatThrownBy(() -> KeyIssuer.deleteAsRead(client(), read)).isInstanceOf(Stale.class);
    assertThat(secret(NS, "judged")).as("the changed Secret is still there").isNotNull();

    KeyIssuer.deleteAsRead(client(), changed);
    assertThat(secret(NS, "judged")).isNull();
  }
}
