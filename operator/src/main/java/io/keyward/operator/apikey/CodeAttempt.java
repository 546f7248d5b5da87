package io.keyward.operator.apikey;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.kube.Stale;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.TotpGuard;

/**
 * A TOTP code that arrived in the annotation, as {@code <code>@<generation>/<uid>}: the code
 * approves the spec of that generation of that key only (the one its giver reviewed), so an edit
 * made between the review and the annotation is never approved with it. It is taken off the key
 * before anything else: the annotation is removed by a write that carries the read resourceVersion,
 * so of two replicas only one gets the code, and a crash after this point loses the attempt rather
 * than repeating it. The code stays in memory only, across the retries of one reconciliation, and
 * is checked at most once.
 */
final class CodeAttempt {
  private String code;
  private Long approves;
  private boolean taken;
  private TotpGuard.Decision decision;
  private boolean settled;

  /** Takes the code off the key once; returns the key as written (or as given, with no code). */
  ApiKey take(KubernetesClient client, ApiKey key) {
    if (taken) {
      return key;
    }
    CodeVerifier.Taken<ApiKey> t;
    try {
      t = CodeVerifier.take(client, key);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        throw new Stale("the ApiKey changed before its code was taken");
      }
      throw e;
    }
    taken = true;
    if (t == null) {
      return key;
    }
    int at = t.code().indexOf('@');
    code = at < 0 ? t.code() : t.code().substring(0, at).trim();
    approves =
        at < 0
            ? null
            : binding(t.code().substring(at + 1).trim(), t.resource().getMetadata().getUid());
    return t.resource();
  }

  /** Whether a code arrived that is not dealt with yet. */
  boolean pending() {
    return code != null && !settled;
  }

  /** Whether a code arrived in this reconciliation at all. */
  boolean arrived() {
    return code != null;
  }

  String code() {
    return code;
  }

  /**
   * The generation of this key the code names as the one it approves: null when it names none (or
   * no uid), {@link #OTHER_KEY} when the uid it names is not this key's.
   */
  Long approves() {
    return approves;
  }

  /** A code that names another ApiKey (by uid) approves nothing here. */
  static final long OTHER_KEY = -1;

  /** The shortest uid prefix a code may name the key by. */
  static final int UID_PREFIX = 8;

  /**
   * {@code <generation>/<uid or a prefix of it>}: a generation alone is no binding, since a key
   * deleted and created again, or another key edited as often, has the same generation.
   */
  private static Long binding(String s, String uid) {
    int slash = s.indexOf('/');
    if (slash < 0) {
      return null;
    }
    String gen = s.substring(0, slash).trim();
    String named = s.substring(slash + 1).trim().toLowerCase(java.util.Locale.ROOT);
    if (gen.isEmpty()
        || gen.length() > 18
        || !gen.chars().allMatch(c -> c >= '0' && c <= '9')
        || named.length() < UID_PREFIX) {
      return null;
    }
    return uid != null && uid.startsWith(named) ? Long.parseLong(gen) : OTHER_KEY;
  }

  /** The checked code's decision, or null when it was not checked. */
  TotpGuard.Decision decision() {
    return decision;
  }

  void decided(TotpGuard.Decision d) {
    decision = d;
    settled = true;
  }

  /** The code was discarded or skipped (said so once, never counted). */
  void settle() {
    settled = true;
  }

  @Override
  public String toString() {
    return "CodeAttempt[" + (code == null ? "none" : "a code") + "]";
  }
}
