package io.keyward.operator.mfa;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyward.operator.issuance.CredentialSecret;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

/**
 * The operator's sealing key: 256 random bits in the Secret {@value #NAME} of its own namespace,
 * made by the first operator that starts and never changed after. It is created with create-only
 * semantics (on 409 the one that exists is read), so replicas that start at once agree on one key.
 * The key is never logged and never in a message; a Secret of that name without a 256-bit key stops
 * the operator at start rather than let it seal with a key nobody else has.
 */
public final class SealingKey {
  /** The Secret's name in the operator's namespace. */
  public static final String NAME = "keyward-sealing-key";

  /** Its type. */
  public static final String TYPE = "keyward.io/sealing-key";

  /** The data key holding the 32 key bytes. */
  public static final String KEY = "key";

  /** The value of {@link EnrolmentSecret#LABEL_PURPOSE}. */
  public static final String PURPOSE = "sealing-key";

  private static final int ATTEMPTS = 5;

  private SealingKey() {}

  /**
   * The seal with the sealing key of {@code namespace}, creating the key if there is none.
   *
   * @throws IllegalStateException when the Secret exists without a 256-bit key, or cannot be had
   */
  public static SeedSeal load(KubernetesClient client, String namespace) {
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      Secret existing = client.secrets().inNamespace(namespace).withName(NAME).get();
      if (existing != null) {
        return from(existing, namespace);
      }
      byte[] key = SeedSeal.newKey();
      try {
        client.secrets().inNamespace(namespace).resource(build(namespace, key)).create();
        return SeedSeal.withKey(key);
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw new IllegalStateException(
              "the sealing key Secret "
                  + namespace
                  + "/"
                  + NAME
                  + " cannot be created: HTTP "
                  + e.getCode(),
              null);
        }
        // Another replica created it first: read that one.
      } finally {
        Arrays.fill(key, (byte) 0);
      }
    }
    throw new IllegalStateException(
        "the sealing key Secret " + namespace + "/" + NAME + " keeps changing: not started");
  }

  private static SeedSeal from(Secret secret, String namespace) {
    String encoded = secret.getData() == null ? null : secret.getData().get(KEY);
    byte[] key;
    try {
      key = encoded == null ? new byte[0] : Base64.getDecoder().decode(encoded);
    } catch (IllegalArgumentException e) {
      key = new byte[0];
    }
    try {
      if (key.length != SeedSeal.KEY_BYTES) {
        throw new IllegalStateException(
            "Secret "
                + namespace
                + "/"
                + NAME
                + ": data."
                + KEY
                + " must hold "
                + SeedSeal.KEY_BYTES
                + " bytes (an AES-256 key); delete it only if no ApiUser has a sealed TOTP"
                + " secret yet, else restore it");
      }
      return SeedSeal.withKey(key);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  private static Secret build(String namespace, byte[] key) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(NAME)
        .withNamespace(namespace)
        .withLabels(
            Map.of(
                CredentialSecret.MANAGED_BY,
                CredentialSecret.MANAGED_BY_VALUE,
                EnrolmentSecret.LABEL_PURPOSE,
                PURPOSE))
        .endMetadata()
        .withType(TYPE)
        // Nobody changes it in place; replacing it needs a delete, which the start notices.
        .withImmutable(true)
        .withData(Map.of(KEY, Base64.getEncoder().encodeToString(key)))
        .build();
  }
}
