package io.keyward.operator.mfa;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.issuance.CredentialSecret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The TOTP enrolment Secret {@code <user>-totp} in the operator's namespace: a copy of the user's
 * sealed TOTP secret to enrol from, {@code secret} (base32), {@code otpauthUri} and {@code qr.png}.
 * Written by create while enrolment is pending, deleted once it is confirmed; owned by the ApiUser
 * so it goes when the user goes. Never read as the secret of record: {@link #isCopyOf} only tells
 * whether a Secret is the operator's copy of the secret it sealed.
 */
public final class EnrolmentSecret {
  public static final String TYPE = "keyward.io/totp-enrolment";
  public static final String LABEL_PURPOSE = "keyward.io/purpose";
  public static final String PURPOSE = "totp-enrolment";
  public static final String SECRET = "secret";
  public static final String URI = "otpauthUri";
  public static final String QR = "qr.png";

  // At least 80 bits (RFC 4226); Keyward writes 160.
  private static final Pattern BASE32 = Pattern.compile("^[A-Z2-7]{16,128}$");

  private EnrolmentSecret() {}

  /** The Secret's name for a user. */
  public static String name(String user) {
    return user + "-totp";
  }

  /** The enrolment copy of the user's TOTP secret. */
  public static Secret build(ApiUser user, String namespace, String totpSecret) {
    String name = user.getMetadata().getName();
    String uri = Totp.otpauthUri(name, totpSecret);
    Map<String, String> data = new LinkedHashMap<>();
    data.put(SECRET, b64(totpSecret.getBytes(StandardCharsets.US_ASCII)));
    data.put(URI, b64(uri.getBytes(StandardCharsets.UTF_8)));
    data.put(QR, b64(QrCode.png(uri)));
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name(name))
        .withNamespace(namespace)
        .withLabels(
            Map.of(
                CredentialSecret.MANAGED_BY,
                CredentialSecret.MANAGED_BY_VALUE,
                CredentialSecret.LABEL_USER,
                name,
                LABEL_PURPOSE,
                PURPOSE))
        .withOwnerReferences(
            new OwnerReferenceBuilder()
                .withApiVersion(user.getApiVersion())
                .withKind(user.getKind())
                .withName(name)
                .withUid(user.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(false)
                .build())
        .endMetadata()
        .withType(TYPE)
        .withData(data)
        .build();
  }

  /** Whether a Secret is this user's enrolment Secret (labels and controller owner). */
  public static boolean belongsTo(Secret secret, ApiUser user) {
    Map<String, String> labels = secret.getMetadata().getLabels();
    return TYPE.equals(secret.getType())
        && labels != null
        && user.getMetadata().getName().equals(labels.get(CredentialSecret.LABEL_USER))
        && secret.getMetadata().getOwnerReferences() != null
        && secret.getMetadata().getOwnerReferences().stream()
            .anyMatch(
                o ->
                    Boolean.TRUE.equals(o.getController())
                        && user.getMetadata().getUid().equals(o.getUid()));
  }

  /**
   * Whether a Secret is this user's enrolment copy of {@code seed}: Keyward's type, labels and
   * controller owner, and the very secret (compared in constant time). Labels and owner can be
   * copied by whoever may create Secrets here; the secret cannot, without knowing it.
   */
  public static boolean isCopyOf(Secret secret, ApiUser user, String seed) {
    Optional<String> held = belongsTo(secret, user) ? totpSecret(secret) : Optional.empty();
    return held.isPresent()
        && MessageDigest.isEqual(
            held.get().getBytes(StandardCharsets.US_ASCII),
            seed.getBytes(StandardCharsets.US_ASCII));
  }

  /** Whether a Secret has the enrolment Secret's type, that is, claims to be one. */
  public static boolean claimsToBe(Secret secret) {
    return TYPE.equals(secret.getType());
  }

  /** The base32 TOTP secret a Secret holds; empty when it holds none of that form. */
  public static Optional<String> totpSecret(Secret secret) {
    if (secret == null || secret.getData() == null || secret.getData().get(SECRET) == null) {
      return Optional.empty();
    }
    String seed;
    try {
      seed =
          new String(
              Base64.getDecoder().decode(secret.getData().get(SECRET)), StandardCharsets.US_ASCII);
    } catch (IllegalArgumentException notBase64) {
      return Optional.empty();
    }
    return BASE32.matcher(seed).matches() ? Optional.of(seed) : Optional.empty();
  }

  private static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }
}
