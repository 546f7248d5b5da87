package io.keyward.operator.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509ExtendedKeyManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The webhook's endpoint over real TLS on loopback: it answers AdmissionReviews, and clients that
 * stall in the handshake or in their request take no capacity from the API server's calls.
 */
class WebhookServerTest {
  private WebhookServer server;
  private HttpClient http;

  @BeforeEach
  void start() throws Exception {
    SelfSignedCertificate cert = new SelfSignedCertificate("localhost");
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry(
        "serving", cert.key(), new char[0], new java.security.cert.Certificate[] {cert.cert()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
    kmf.init(store, new char[0]);
    X509ExtendedKeyManager keys = (X509ExtendedKeyManager) kmf.getKeyManagers()[0];
    server =
        WebhookServer.start("127.0.0.1", 0, keys, r -> Decision.invalid("spec.note: is required"));
    http =
        HttpClient.newBuilder()
            .sslContext(trustAll())
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> review() throws Exception {
    String body =
        """
        {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1",
         "resource":{"group":"keyward.io","version":"v1alpha1","resource":"apikeys"},
         "operation":"CREATE","userInfo":{"username":"dev"},"object":{"spec":{}}}}
        """;
    return http.send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/validate"))
            .timeout(Duration.ofSeconds(5))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void answersAReviewWithItsUidAndTheRefusal() throws Exception {
    HttpResponse<String> r = review();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body())
        .contains("\"uid\":\"u-1\"")
        .contains("\"allowed\":false")
        .contains("spec.note: is required");
  }

  @Test
  void clientsStalledInTheHandshakeOrTheRequestTakeNoCapacity() throws Exception {
    List<Socket> stalled = new ArrayList<>();
    try {
      // Twenty clients that send the first byte of a TLS record and then nothing, and twenty that
      // finish no request: far more than the four worker threads the first server had.
      for (int i = 0; i < 20; i++) {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
        s.getOutputStream().write(0x16);
        s.getOutputStream().flush();
        stalled.add(s);
      }
      SSLContext tls = trustAll();
      for (int i = 0; i < 20; i++) {
        Socket s = tls.getSocketFactory().createSocket("127.0.0.1", server.port());
        OutputStream out = s.getOutputStream();
        out.write(
            "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        stalled.add(s);
      }
      long start = System.nanoTime();
      assertThat(review().statusCode()).isEqualTo(200);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

      // And a stalled handshake is cut off, so stalled clients cannot fill the connection cap.
      Socket first = stalled.get(0);
      first.setSoTimeout(200);
      await()
          .atMost(Duration.ofSeconds(WebhookServer.IDLE_SECONDS + 5))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> closedByServer(first.getInputStream()));
    } finally {
      for (Socket s : stalled) {
        s.close();
      }
    }
  }

  private static boolean closedByServer(InputStream in) {
    try {
      while (true) {
        if (in.read() < 0) {
          return true;
        }
      }
    } catch (java.io.IOException e) {
      return e instanceof java.net.SocketTimeoutException ? false : true;
    }
  }

  private static SSLContext trustAll() {
    return io.keyward.localcluster.LocalKubeApiServer.trustAll();
  }
}
