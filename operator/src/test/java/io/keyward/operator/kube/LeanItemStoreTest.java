package io.keyward.operator.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import org.junit.jupiter.api.Test;

/** What the informer caches keep of an object, and which of its strings they share. */
class LeanItemStoreTest {
  private static final String KEY =
      """
      {"apiVersion":"keyward.io/v1alpha1","kind":"ApiKey",
       "metadata":{"name":"%1$s","namespace":"bots","uid":"uid-%1$s","resourceVersion":"%2$s",
         "creationTimestamp":"2026-11-27T10:31:30Z","finalizers":["keyward.io/revoke"],
         "managedFields":[{"manager":"kubectl","operation":"Update"}]},
       "spec":{"user":"alice","note":"note %1$s","type":"spot","permissions":["read","trade"]},
       "status":{"phase":"Active","accessKey":"KW%1$s","algorithm":"HmacSHA256",
         "secretFingerprint":"sha256:%1$s","issuedAt":"2026-11-27T10:33:39Z",
         "expiresAt":"2027-02-25T10:33:39Z","renewAt":"2027-02-11T10:33:39Z",
         "effective":{"user":"alice","type":"spot","permissions":["read","trade"]},
         "conditions":[{"type":"Ready","status":"True","reason":"Issued",
           "message":"access key KW%1$s is active","lastTransitionTime":"2026-11-27T10:33:39Z"}]}}
      """;

  private static final String SECRET =
      """
      {"apiVersion":"v1","kind":"Secret","type":"keyward.io/api-key",
       "metadata":{"name":"%1$s-credentials","namespace":"bots","uid":"s-%1$s",
         "labels":{"app.kubernetes.io/managed-by":"keyward","keyward.io/user":"alice"},
         "annotations":{"keyward.io/access-key":"KW%1$s","keyward.io/issued-at":"2026-11-27T10:31:04Z",
           "keyward.io/fingerprint":"sha256:%1$s"},
         "ownerReferences":[{"apiVersion":"keyward.io/v1alpha1","kind":"ApiKey","name":"%1$s",
           "uid":"uid-%1$s","controller":true}]},
       "data":{"accessKey":"S1c=","secretKey":"c2VjcmV0","algorithm":"SG1hY1NIQTI1Ng=="}}
      """;

  private static ApiKey key(String name, String version) {
    return Serialization.unmarshal(KEY.formatted(name, version), ApiKey.class);
  }

  private static Secret secret(String name) {
    return Serialization.unmarshal(SECRET.formatted(name), Secret.class);
  }

  @Test
  void oneSecretPerControllerIsCachedWholeLookAlikesNamingItAreStubs() {
    LeanItemStore<Secret> store = new LeanItemStore<>();
    Secret own = secret("bot");
    Secret lookAlike = secret("bot");
    lookAlike.getMetadata().setName("bot-copy");
    lookAlike.getMetadata().setUid("s-copy");

    store.put("bots/bot-credentials", own);
    store.put("bots/bot-copy", lookAlike);
    assertThat(SecretStub.is(store.get("bots/bot-credentials"))).isFalse();
    assertThat(SecretStub.is(store.get("bots/bot-copy"))).isTrue();
    assertThat(store.get("bots/bot-copy").getData()).isNullOrEmpty();

    // Its own Secret updated stays whole; once it is gone, the place is free again.
    store.put("bots/bot-credentials", secret("bot"));
    assertThat(SecretStub.is(store.get("bots/bot-credentials"))).isFalse();
    store.remove("bots/bot-credentials");
    Secret again = secret("bot");
    again.getMetadata().setName("bot-copy");
    store.put("bots/bot-copy", again);
    assertThat(SecretStub.is(store.get("bots/bot-copy"))).isFalse();
  }

  @Test
  void keysShareWhatTheyRepeatAndKeepWhatIsTheirOwn() {
    LeanItemStore<ApiKey> store = new LeanItemStore<>();
    ApiKey a = key("a", "1");
    ApiKey b = key("b", "2");
    // Two parses: equal values, distinct instances, until the store shares them.
    assertThat(a.getSpec().user).isEqualTo(b.getSpec().user).isNotSameAs(b.getSpec().user);
    store.put("bots/a", a);
    store.put("bots/b", b);

    ApiKey x = store.get("bots/a");
    ApiKey y = store.get("bots/b");
    assertThat(x.getMetadata().getManagedFields()).isNull();
    assertThat(x.getMetadata().getNamespace()).isSameAs(y.getMetadata().getNamespace());
    assertThat(x.getMetadata().getFinalizers().get(0))
        .isSameAs(y.getMetadata().getFinalizers().get(0));
    assertThat(x.getSpec().user).isSameAs(y.getSpec().user);
    assertThat(x.getSpec().permissions.get(1)).isSameAs(y.getSpec().permissions.get(1));
    assertThat(x.getStatus().effective.user).isSameAs(y.getStatus().effective.user);
    assertThat(x.getStatus().expiresAt).isSameAs(y.getStatus().expiresAt);
    assertThat(x.getStatus().conditions.get(0).reason)
        .isSameAs(y.getStatus().conditions.get(0).reason);
    // Values unique to a key are its own, and nothing is lost.
    assertThat(x.getStatus().accessKey).isEqualTo("KWa");
    assertThat(x.getStatus().conditions.get(0).message).isEqualTo("access key KWa is active");
    assertThat(x.getSpec().note).isEqualTo("note a");
    assertThat(x.getMetadata().getResourceVersion()).isEqualTo("1");
  }

  @Test
  void secretsShareTheirPublicRepeatsButNeverTheirSecretMaterial() {
    LeanItemStore<Secret> store = new LeanItemStore<>();
    store.put("bots/a", secret("a"));
    store.put("bots/b", secret("b"));
    Secret x = store.get("bots/a");
    Secret y = store.get("bots/b");
    assertThat(x.getType()).isSameAs(y.getType());
    assertThat(x.getMetadata().getLabels().get("keyward.io/user"))
        .isSameAs(y.getMetadata().getLabels().get("keyward.io/user"));
    assertThat(x.getMetadata().getAnnotations().get("keyward.io/issued-at"))
        .isSameAs(y.getMetadata().getAnnotations().get("keyward.io/issued-at"));
    assertThat(x.getMetadata().getOwnerReferences().get(0).getKind())
        .isSameAs(y.getMetadata().getOwnerReferences().get(0).getKind());
    assertThat(x.getData().get("algorithm")).isSameAs(y.getData().get("algorithm"));
    // The secret key is equal in both (by construction here), and still not shared: secret
    // material never enters the JVM's string table.
    assertThat(x.getData().get("secretKey"))
        .isEqualTo(y.getData().get("secretKey"))
        .isNotSameAs(y.getData().get("secretKey"));
  }

  @Test
  void aKeyAndItsSecretShareTheKeysIdentifiers() {
    ApiKey k = key("a", "1");
    k.getStatus().secretName = "a-credentials";
    LeanItemStore<ApiKey> keys = new LeanItemStore<>();
    LeanItemStore<Secret> secrets = new LeanItemStore<>();
    keys.put("bots/a", k);
    secrets.put("bots/a-credentials", secret("a"));
    ApiKey x = keys.get("bots/a");
    Secret s = secrets.get("bots/a-credentials");
    var owner = s.getMetadata().getOwnerReferences().get(0);
    assertThat(owner.getName()).isSameAs(x.getMetadata().getName());
    assertThat(owner.getUid()).isSameAs(x.getMetadata().getUid());
    assertThat(s.getMetadata().getName()).isSameAs(x.getStatus().secretName);
    assertThat(s.getMetadata().getAnnotations().get("keyward.io/access-key"))
        .isSameAs(x.getStatus().accessKey);
    assertThat(s.getMetadata().getAnnotations().get("keyward.io/fingerprint"))
        .isSameAs(x.getStatus().secretFingerprint);
    // The user's ledger names the key by the same strings.
    ApiUser u =
        Serialization.unmarshal(
            """
            {"apiVersion":"keyward.io/v1alpha1","kind":"ApiUser","metadata":{"name":"alice"},
             "status":{"keyRefs":[{"namespace":"bots","name":"a","uid":"uid-a","type":"spot"}]}}
            """,
            ApiUser.class);
    LeanItemStore<ApiUser> users = new LeanItemStore<>();
    users.put("alice", u);
    var ref = users.get("alice").getStatus().keyRefs.get(0);
    assertThat(ref.name).isSameAs(x.getMetadata().getName());
    assertThat(ref.uid).isSameAs(x.getMetadata().getUid());
    assertThat(ref.namespace).isSameAs(x.getMetadata().getNamespace());
  }

  @Test
  void emptyUnknownFieldMapsAreSharedAndUnknownFieldsAreKept() {
    LeanItemStore<Secret> store = new LeanItemStore<>();
    store.put("bots/a", secret("a"));
    store.put("bots/b", secret("b"));
    Secret x = store.get("bots/a");
    Secret y = store.get("bots/b");
    assertThat(x.getAdditionalProperties()).isEmpty();
    assertThat(x.getAdditionalProperties()).isSameAs(y.getAdditionalProperties());
    assertThat(x.getMetadata().getAdditionalProperties())
        .isSameAs(y.getMetadata().getOwnerReferences().get(0).getAdditionalProperties());
    // A field this client does not know (a newer server's) stays in the cached object.
    Secret newer =
        Serialization.unmarshal(
            SECRET.formatted("c").replace("\"type\":", "\"future\":\"f\",\"type\":"), Secret.class);
    store.put("bots/c", newer);
    assertThat(store.get("bots/c").getAdditionalProperties()).containsEntry("future", "f");
    // What the cache hands out still writes as it was read.
    assertThat(Serialization.asJson(x)).doesNotContain("additionalProperties");
  }
}
