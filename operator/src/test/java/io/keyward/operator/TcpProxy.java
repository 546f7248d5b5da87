package io.keyward.operator;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP forwarder to a port on this machine that can be cut and resumed: an outage of whatever
 * listens behind it, as its clients see one (open connections dropped, new ones refused), without
 * stopping it. Resuming listens again on the same port.
 */
final class TcpProxy implements AutoCloseable {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private final int target;
  private final int port;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean up;
  private volatile ServerSocket listener;

  TcpProxy(int target) throws IOException {
    this.target = target;
    listener = listen(0);
    port = listener.getLocalPort();
  }

  int port() {
    return port;
  }

  /** Drops every connection and refuses new ones until {@link #resume()}. */
  synchronized void cut() throws IOException {
    up = false;
    listener.close();
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    sockets.clear();
  }

  synchronized void resume() throws IOException {
    if (!up) {
      listener = listen(port);
    }
  }

  @Override
  public void close() throws IOException {
    cut();
  }

  private ServerSocket listen(int on) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(LOOPBACK, on));
    up = true;
    daemon("proxy-accept", () -> accept(s));
    return s;
  }

  private void accept(ServerSocket s) {
    while (!s.isClosed()) {
      Socket in;
      try {
        in = s.accept();
      } catch (IOException e) {
        return; // cut
      }
      try {
        Socket out = new Socket(LOOPBACK, target);
        sockets.add(in);
        sockets.add(out);
        if (!up) { // cut while this one was being accepted
          closeQuietly(in);
          closeQuietly(out);
          continue;
        }
        daemon("proxy-up", () -> pump(in, out));
        daemon("proxy-down", () -> pump(out, in));
      } catch (IOException e) {
        closeQuietly(in);
      }
    }
  }

  private void pump(Socket from, Socket to) {
    try {
      from.getInputStream().transferTo(to.getOutputStream());
    } catch (IOException e) {
      // dropped
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      sockets.remove(from);
      sockets.remove(to);
    }
  }

  private static void daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
