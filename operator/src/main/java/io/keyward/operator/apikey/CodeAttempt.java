package io.keyward.operator.apikey;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.kube.Stale;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.TotpGuard;

/**
 * A TOTP code that arrived in the annotation, as {@code <code>@<generation>}: the code approves the
 * spec of that generation only (the one its giver reviewed), so an edit made between the review and
 * the annotation is never approved with it. It is taken off the key before anything else: the
 * annotation is removed by a write that carries the read resourceVersion, so of two replicas only
 * one gets the code, and a crash after this point loses the attempt rather than repeating it. The
 * code stays in memory only, across the retries of one reconciliation, and is checked at most once.
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
    int at = t.code().lastIndexOf('@');
    code = at < 0 ? t.code() : t.code().substring(0, at).trim();
    approves = at < 0 ? null : generation(t.code().substring(at + 1).trim());
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

  /** The generation the code names as the one it approves (null: it names none). */
  Long approves() {
    return approves;
  }

  private static Long generation(String s) {
    if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return null;
    }
    return Long.parseLong(s);
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
