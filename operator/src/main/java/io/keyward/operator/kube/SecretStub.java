package io.keyward.operator.kube;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.mfa.EnrolmentSecret;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the informer caches keep of a Secret that does not look like one of Keyward's own: its
 * identity and no data. The ApiKey controller watches every Secret labelled {@code
 * app.kubernetes.io/managed-by=keyward}, and anyone who may create Secrets in a namespace can put
 * that label on any Secret: 200 Secrets of 100 KB each would otherwise all sit in the operator's
 * heap. A Secret is cached whole only when it is of a Keyward type, controlled by the kind that
 * writes that type, and {@link #MAX_SIZE} characters or less all told; any other is kept as a stub,
 * and whoever needs more of it reads it from the API server: the ApiKey controller reads a stub
 * ({@link #is}) before it decides or writes anything on that Secret; the ApiUser controller reads
 * only an enrolment Secret's identity from its cache, and the TOTP secret from the server.
 *
 * <p>A stub keeps the name, namespace, uid, resourceVersion, creation and deletion timestamps, the
 * type when it is short, the controller reference, the Keyward labels (label values are at most 63
 * characters), and the annotation {@link #MARKER} saying why it is a stub. No data, no other label,
 * annotation, owner reference or finalizer: each of those is as large as its writer makes it.
 */
public final class SecretStub {
  /** The annotation that marks a stub; its value says why the Secret was not kept whole. */
  public static final String MARKER = "keyward.io/cached-without-data";

  /**
   * The most characters a Secret's data, labels, annotations, owner references and finalizers may
   * hold together to be cached whole. A key's Secret holds under 2 KiB of data and, with a template
   * at its bounds, a few KiB of metadata; an enrolment Secret (QR code included) about 2 KiB.
   */
  public static final int MAX_SIZE = 32 * 1024;

  /** The longest type a stub keeps. */
  static final int TYPE_MAX = 253;

  private static final Set<String> KEPT_LABELS =
      Set.of(
          CredentialSecret.MANAGED_BY,
          CredentialSecret.LABEL_APIKEY,
          CredentialSecret.LABEL_USER,
          EnrolmentSecret.LABEL_PURPOSE);

  /** Which kind controls a Secret of each Keyward type. */
  private static final Map<String, String> CONTROLLER_OF_TYPE =
      Map.of(CredentialSecret.TYPE, "ApiKey", EnrolmentSecret.TYPE, "ApiUser");

  private SecretStub() {}

  /** Whether {@code secret} is a stub the cache made. */
  public static boolean is(Secret secret) {
    return secret != null
        && secret.getMetadata() != null
        && secret.getMetadata().getAnnotations() != null
        && secret.getMetadata().getAnnotations().containsKey(MARKER);
  }

  /** Why {@code secret} is not cached whole, or null when it is. */
  static String whyNotWhole(Secret secret) {
    String type = secret.getType();
    String kind = type == null ? null : CONTROLLER_OF_TYPE.get(type);
    if (kind == null) {
      return "not of a Keyward type";
    }
    if (!controlledBy(secret, kind)) {
      return "not controlled by a keyward.io " + kind;
    }
    long size = size(secret);
    if (size > MAX_SIZE) {
      return size + " characters of data and metadata (at most " + MAX_SIZE + " are cached)";
    }
    return null;
  }

  /** The stub of {@code secret}, marked with {@code why}. */
  static Secret of(Secret secret, String why) {
    ObjectMeta m = secret.getMetadata() == null ? new ObjectMeta() : secret.getMetadata();
    ObjectMeta kept = new ObjectMeta();
    kept.setName(m.getName());
    kept.setNamespace(m.getNamespace());
    kept.setUid(m.getUid());
    kept.setResourceVersion(m.getResourceVersion());
    kept.setCreationTimestamp(m.getCreationTimestamp());
    kept.setDeletionTimestamp(m.getDeletionTimestamp());
    Map<String, String> labels = new LinkedHashMap<>();
    if (m.getLabels() != null) {
      m.getLabels()
          .forEach(
              (k, v) -> {
                if (KEPT_LABELS.contains(k) && v != null && v.length() <= 63) {
                  labels.put(k, v);
                }
              });
    }
    kept.setLabels(labels);
    kept.setAnnotations(Map.of(MARKER, why));
    if (m.getOwnerReferences() != null) {
      // Kubernetes allows one controller reference; the others are the writer's to multiply.
      m.getOwnerReferences().stream()
          .filter(o -> Boolean.TRUE.equals(o.getController()))
          .findFirst()
          .ifPresent(o -> kept.setOwnerReferences(List.of(o)));
    }
    Secret stub = new Secret();
    stub.setApiVersion(secret.getApiVersion());
    stub.setKind(secret.getKind());
    String type = secret.getType();
    stub.setType(type != null && type.length() <= TYPE_MAX ? type : null);
    stub.setMetadata(kept);
    return stub;
  }

  private static boolean controlledBy(Secret secret, String kind) {
    List<OwnerReference> refs =
        secret.getMetadata() == null ? null : secret.getMetadata().getOwnerReferences();
    return refs != null
        && refs.stream()
            .anyMatch(
                o ->
                    Boolean.TRUE.equals(o.getController())
                        && kind.equals(o.getKind())
                        && o.getApiVersion() != null
                        && o.getApiVersion().startsWith("keyward.io/"));
  }

  /** The characters of the parts of a Secret whose size its writer chooses. */
  public static long size(Secret secret) {
    long size = entries(secret.getData()) + entries(secret.getStringData());
    ObjectMeta m = secret.getMetadata();
    if (m != null) {
      size += entries(m.getLabels()) + entries(m.getAnnotations());
      if (m.getFinalizers() != null) {
        for (String f : m.getFinalizers()) {
          size += length(f);
        }
      }
      if (m.getOwnerReferences() != null) {
        for (OwnerReference o : m.getOwnerReferences()) {
          size +=
              length(o.getApiVersion())
                  + length(o.getKind())
                  + length(o.getName())
                  + length(o.getUid());
        }
      }
    }
    return size;
  }

  private static long entries(Map<String, String> map) {
    long size = 0;
    if (map != null) {
      for (Map.Entry<String, String> e : map.entrySet()) {
        size += length(e.getKey()) + length(e.getValue());
      }
    }
    return size;
  }

  private static int length(String s) {
    return s == null ? 0 : s.length();
  }
}
