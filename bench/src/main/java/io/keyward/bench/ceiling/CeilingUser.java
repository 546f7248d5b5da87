package io.keyward.bench.ceiling;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.api.ApiUserStatus;

/** The ApiUser schema under the ceiling's own API group (see {@link CeilingKey}). */
@Group(CeilingKey.GROUP)
@Version("v1alpha1")
@Kind("ApiUser")
@Singular("apiuser")
@Plural("apiusers")
public class CeilingUser extends CustomResource<ApiUserSpec, ApiUserStatus> {}
