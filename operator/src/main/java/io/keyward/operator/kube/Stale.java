package io.keyward.operator.kube;

/**
 * What a reconciliation read is stale: a write met a newer version (HTTP 409), or the server has
 * something the cache did not show. The reconciliation decides again on what the server has.
 */
public class Stale extends RuntimeException {
  public Stale(String message) {
    super(message, null, false, false);
  }
}
