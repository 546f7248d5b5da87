package io.keyward.operator.admission.certs;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A server key manager whose certificate can be swapped while it serves: each handshake gets the
 * newest one installed. A handshake asks for the alias, then for its chain and key in separate
 * calls; every installed certificate has its own alias and the last few stay answerable, so a swap
 * between those calls never pairs one certificate with another's key.
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final int KEPT = 4;

  private record Identity(PrivateKey key, X509Certificate[] chain) {}

  private final Map<String, Identity> identities =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Identity> eldest) {
          return size() > KEPT;
        }
      };

  private long generation;
  private volatile String current;

  /** Makes {@code chain} (leaf first) with {@code key} the certificate every new handshake gets. */
  synchronized void install(PrivateKey key, List<X509Certificate> chain) {
    generation++;
    String alias = "keyward-serving-" + generation;
    identities.put(alias, new Identity(key, chain.toArray(X509Certificate[]::new)));
    current = alias;
  }

  /** The leaf certificate new handshakes get, or null before the first install. */
  synchronized X509Certificate serving() {
    Identity i = current == null ? null : identities.get(current);
    return i == null ? null : i.chain()[0];
  }

  private String alias(String keyType) {
    String alias = current;
    if (alias == null) {
      return null;
    }
    Identity i;
    synchronized (this) {
      i = identities.get(alias);
    }
    return i != null && (keyType == null || keyType.equals(i.key().getAlgorithm())) ? alias : null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return alias(keyType);
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return alias(keyType);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String alias = alias(keyType);
    return alias == null ? null : new String[] {alias};
  }

  @Override
  public synchronized X509Certificate[] getCertificateChain(String alias) {
    Identity i = identities.get(alias);
    return i == null ? null : i.chain().clone();
  }

  @Override
  public synchronized PrivateKey getPrivateKey(String alias) {
    Identity i = identities.get(alias);
    return i == null ? null : i.key();
  }

  // A server only: it presents no client certificate.

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return null;
  }
}
