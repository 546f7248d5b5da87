package io.keyward.operator.it;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The tenant of the security model, with a token of its own: a ServiceAccount whose Role in one
 * namespace grants create/get/list/watch/update/patch/delete on ApiKeys and Secrets, and, as the
 * common over-broad grant does, on the ApiKeys' status too. Nothing on ApiUsers, nothing in the
 * operator's namespace.
 */
final class Tenant {
  private Tenant() {}

  /** A client that authenticates as the tenant of {@code namespace} only. */
  static KubernetesClient of(String namespace, String name) {
    KubernetesClient admin = RealCluster.client();
    ServiceAccount sa =
        new ServiceAccountBuilder()
            .withMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build())
            .build();
    admin.resource(sa).createOr(existing -> existing.update());
    String[] verbs = {"create", "get", "list", "watch", "update", "patch", "delete"};
    Role role =
        new RoleBuilder()
            .withMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build())
            .withRules(
                new PolicyRuleBuilder()
                    .withApiGroups("keyward.io")
                    .withResources("apikeys", "apikeys/status")
                    .withVerbs(verbs)
                    .build(),
                new PolicyRuleBuilder()
                    .withApiGroups("")
                    .withResources("secrets")
                    .withVerbs(verbs)
                    .build())
            .build();
    admin.resource(role).createOr(existing -> existing.update());
    RoleBinding binding =
        new RoleBindingBuilder()
            .withMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build())
            .withNewRoleRef("rbac.authorization.k8s.io", "Role", name)
            .addNewSubject()
            .withKind("ServiceAccount")
            .withName(name)
            .withNamespace(namespace)
            .endSubject()
            .build();
    admin.resource(binding).createOr(existing -> existing.update());
    return ChartRbac.tokenClient(ChartRbac.token(namespace, name), new RequestAudit());
  }
}
