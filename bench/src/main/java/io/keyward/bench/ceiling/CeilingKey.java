package io.keyward.bench.ceiling;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiKeyStatus;

/**
 * The ApiKey schema under the ceiling's own API group: the plain-client ceiling writes objects of
 * the same shape and size as the operator's, which the operator never sees.
 */
@Group(CeilingKey.GROUP)
@Version("v1alpha1")
@Kind("ApiKey")
@Singular("apikey")
@Plural("apikeys")
public class CeilingKey extends CustomResource<ApiKeySpec, ApiKeyStatus> implements Namespaced {
  public static final String GROUP = "ceiling.keyward.io";
}
