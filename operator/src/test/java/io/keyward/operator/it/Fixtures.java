package io.keyward.operator.it;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.api.Condition;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** Builders and waits shared by the *IT tests. */
final class Fixtures {
  static final Duration WAIT = Duration.ofSeconds(30);

  private Fixtures() {}

  static KubernetesClient client() {
    return RealCluster.client();
  }

  /** An ApiUser with MFA disabled, allowed in the given namespaces. */
  static ApiUser user(String name, String... namespaces) {
    ApiUser u = new ApiUser();
    u.setMetadata(new ObjectMetaBuilder().withName(name).build());
    ApiUserSpec spec = new ApiUserSpec();
    spec.namespaces = List.of(namespaces);
    spec.mfa = new ApiUserSpec.MfaSpec();
    spec.mfa.totp = "Disabled";
    u.setSpec(spec);
    return client().resource(u).create();
  }

  /** An ApiKey with a note, customised by {@code spec}. */
  static ApiKey key(String namespace, String name, String user, Consumer<ApiKeySpec> spec) {
    ApiKey k = new ApiKey();
    k.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    ApiKeySpec s = new ApiKeySpec();
    s.user = user;
    s.note = "Bot " + name;
    spec.accept(s);
    k.setSpec(s);
    return client().resource(k).create();
  }

  /** Edits a key as a user would, reading again when the operator wrote in between (409). */
  static ApiKey editKey(
      String namespace, String name, java.util.function.UnaryOperator<ApiKey> edit) {
    return retryOnConflict(
        () -> client().resources(ApiKey.class).inNamespace(namespace).withName(name).edit(edit));
  }

  /** Edits a user, reading again on 409. */
  static ApiUser editUser(String name, java.util.function.UnaryOperator<ApiUser> edit) {
    return retryOnConflict(() -> client().resources(ApiUser.class).withName(name).edit(edit));
  }

  /** Edits a user's status as the operator would (compare and swap), reading again on 409. */
  static ApiUser editUserStatus(
      String name, java.util.function.Consumer<io.keyward.operator.api.ApiUserStatus> edit) {
    return retryOnConflict(
        () -> {
          ApiUser u = client().resources(ApiUser.class).withName(name).get();
          if (u.getStatus() == null) {
            u.setStatus(new io.keyward.operator.api.ApiUserStatus());
          }
          edit.accept(u.getStatus());
          return client().resource(u).updateStatus();
        });
  }

  /** Edits a Secret, reading again on 409. */
  static Secret editSecret(
      String namespace, String name, java.util.function.UnaryOperator<Secret> edit) {
    return retryOnConflict(
        () -> client().secrets().inNamespace(namespace).withName(name).edit(edit));
  }

  private static <T> T retryOnConflict(java.util.function.Supplier<T> write) {
    for (int attempt = 1; ; attempt++) {
      try {
        return write.get();
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 10) {
          throw e;
        }
      }
    }
  }

  /** Sets an annotation on a key, as kubectl annotate --overwrite would. */
  static ApiKey annotateKey(String namespace, String name, String annotation, String value) {
    return editKey(namespace, name, k -> annotated(k, annotation, value));
  }

  /**
   * Hands in a TOTP code for a key as a user does: reads the key's generation (the spec they
   * reviewed) and uid, and annotates {@code <code>@<generation>/<uid>}.
   */
  static ApiKey giveCode(String namespace, String name, String code) {
    return editKey(
        namespace,
        name,
        k ->
            annotated(
                k,
                io.keyward.operator.mfa.CodeVerifier.ANNOTATION,
                code + "@" + k.getMetadata().getGeneration() + "/" + k.getMetadata().getUid()));
  }

  /** Sets an annotation on a user. */
  static ApiUser annotateUser(String name, String annotation, String value) {
    return editUser(name, u -> annotated(u, annotation, value));
  }

  private static <R extends io.fabric8.kubernetes.api.model.HasMetadata> R annotated(
      R resource, String annotation, String value) {
    if (resource.getMetadata().getAnnotations() == null) {
      resource.getMetadata().setAnnotations(new java.util.HashMap<>());
    }
    resource.getMetadata().getAnnotations().put(annotation, value);
    return resource;
  }

  static ApiUser getUser(String name) {
    return client().resources(ApiUser.class).withName(name).get();
  }

  /** Waits until the user satisfies the predicate and returns it. */
  static ApiUser awaitUser(String name, Predicate<ApiUser> until) {
    return await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> getUser(name), u -> u != null && until.test(u));
  }

  /** Whether a condition of the key has this status and reason. */
  static Predicate<ApiKey> condition(String type, String status, String reason) {
    return k ->
        condition(k, type)
            .filter(c -> status.equals(c.status) && (reason == null || reason.equals(c.reason)))
            .isPresent();
  }

  static ApiKey get(String namespace, String name) {
    return client().resources(ApiKey.class).inNamespace(namespace).withName(name).get();
  }

  /** Waits until the key satisfies the predicate and returns it. */
  static ApiKey awaitKey(String namespace, String name, Predicate<ApiKey> until) {
    return await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> get(namespace, name), k -> k != null && until.test(k));
  }

  static Predicate<ApiKey> phase(String phase) {
    return k -> k.getStatus() != null && phase.equals(k.getStatus().phase);
  }

  static Optional<Condition> condition(ApiKey key, String type) {
    return key.getStatus() == null
        ? Optional.empty()
        : key.getStatus().conditions.stream().filter(c -> type.equals(c.type)).findFirst();
  }

  static Secret secret(String namespace, String name) {
    return client().secrets().inNamespace(namespace).withName(name).get();
  }

  /** Events about one object, by reason. */
  static List<Event> events(String namespace, String objectName, String reason) {
    return client().v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> objectName.equals(e.getInvolvedObject().getName()))
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  static List<Event> awaitEvents(String namespace, String objectName, String reason) {
    return await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> events(namespace, objectName, reason), l -> !l.isEmpty());
  }

  /** A six-digit code that matches no step near {@code now} for this TOTP secret. */
  static String wrongCode(String totpSecret, java.time.Instant now) {
    io.keyward.operator.mfa.Totp totp = new io.keyward.operator.mfa.Totp();
    long step = io.keyward.operator.mfa.Totp.step(now);
    for (int candidate = 0; ; candidate += 111111) {
      String c = String.format("%06d", candidate % 1000000);
      boolean matches = false;
      for (long s = step - 2; s <= step + 2; s++) {
        matches |= totp.code(totpSecret, s).equals(c);
      }
      if (!matches) {
        return c;
      }
    }
  }
}
