package io.keyward.operator.admission.certs;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * A server {@link SSLContext} that speaks TLS 1.3 and 1.2 only, whatever the JDK's defaults or
 * system properties enable: its engines and server sockets, and the default parameters a server
 * such as the JDK's HttpsServer copies, offer nothing older.
 */
final class ServerTls {
  /** The protocols offered, newest first. */
  static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  private ServerTls() {}

  /** A context whose server side presents what {@code keys} chooses. */
  static SSLContext context(KeyManager keys) {
    SSLContext inner;
    try {
      inner = SSLContext.getInstance("TLS");
      inner.init(new KeyManager[] {keys}, new TrustManager[0], new SecureRandom());
    } catch (NoSuchAlgorithmException | KeyManagementException e) {
      throw new IllegalStateException("no TLS implementation", e);
    }
    return new SSLContext(new Spi(inner), inner.getProvider(), inner.getProtocol()) {};
  }

  private static SSLParameters restricted(SSLParameters p) {
    p.setProtocols(PROTOCOLS.clone());
    return p;
  }

  private static final class Spi extends SSLContextSpi {
    private final SSLContext inner;

    Spi(SSLContext inner) {
      this.inner = inner;
    }

    @Override
    protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {
      throw new UnsupportedOperationException("already initialised");
    }

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      return inner.getSocketFactory();
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      return new ServerSockets(inner.getServerSocketFactory());
    }

    @Override
    protected SSLEngine engineCreateSSLEngine() {
      SSLEngine e = inner.createSSLEngine();
      e.setEnabledProtocols(PROTOCOLS.clone());
      return e;
    }

    @Override
    protected SSLEngine engineCreateSSLEngine(String host, int port) {
      SSLEngine e = inner.createSSLEngine(host, port);
      e.setEnabledProtocols(PROTOCOLS.clone());
      return e;
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      return inner.getServerSessionContext();
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      return inner.getClientSessionContext();
    }

    @Override
    protected SSLParameters engineGetDefaultSSLParameters() {
      return restricted(inner.getDefaultSSLParameters());
    }

    @Override
    protected SSLParameters engineGetSupportedSSLParameters() {
      return restricted(inner.getSupportedSSLParameters());
    }
  }

  private static final class ServerSockets extends SSLServerSocketFactory {
    private final SSLServerSocketFactory inner;

    ServerSockets(SSLServerSocketFactory inner) {
      this.inner = inner;
    }

    private static ServerSocket restricted(ServerSocket s) {
      ((SSLServerSocket) s).setEnabledProtocols(PROTOCOLS.clone());
      return s;
    }

    @Override
    public ServerSocket createServerSocket() throws IOException {
      return restricted(inner.createServerSocket());
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
      return restricted(inner.createServerSocket(port));
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog) throws IOException {
      return restricted(inner.createServerSocket(port, backlog));
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog, InetAddress address)
        throws IOException {
      return restricted(inner.createServerSocket(port, backlog, address));
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return inner.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return inner.getSupportedCipherSuites();
    }
  }
}
