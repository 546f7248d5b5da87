package io.keyward.verifier.core;

/** Where the verifier looks keys up: the cluster's records, or a fixed set in tests. */
public interface KeyDirectory {
  /** Whether the directory knows every key: before, no key may be refused as unknown. */
  boolean ready();

  /** The entry of an access key, or null when no key has it. */
  KeyEntry find(String accessKey);
}
