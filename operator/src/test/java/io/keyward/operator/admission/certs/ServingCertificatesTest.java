package io.keyward.operator.admission.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.keyward.operator.MockApiServer;
import io.keyward.operator.MutableClock;
import io.keyward.operator.config.KeywardConfig;
import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The serving certificates on a mock API server: the Secret made and renewed, the caBundle of every
 * webhook set by JSON patch with the other fields kept, a garbage Secret replaced, the context
 * presenting the newest certificate over TLS 1.2/1.3 only, and cert-manager's Secret read without a
 * single write.
 */
class ServingCertificatesTest {
  static final Duration RECHECK = Duration.ofMillis(100);
  static final Duration BOUND = Duration.ofSeconds(10);

  MockApiServer api;
  KubernetesClient client;
  final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));

  @BeforeEach
  void start() {
    api = new MockApiServer();
    client = api.client();
  }

  @AfterEach
  void stop() {
    api.close();
  }

  static KeywardConfig config(String mode) {
    return KeywardConfig.defaults()
        .with(
            Map.of(
                "operator.namespace", "ops",
                "admission.certificates", mode,
                "admission.extraSubjectNames", "127.0.0.1",
                "admission.caValidity", "30d",
                "admission.certificateValidity", "9d"));
  }

  ServingCertificates certificates(String mode) {
    return ServingCertificates.start(client, config(mode), clock, RECHECK, BOUND);
  }

  Secret secret() {
    return client.secrets().inNamespace("ops").withName("keyward-webhook-tls").get();
  }

  @Test
  void theFirstStartMakesTheSecretAndSetsEveryCaBundleKeepingTheRest() throws Exception {
    client.resource(configuration()).create();
    try (ServingCertificates certs = certificates("Operator")) {
      Secret secret = secret();
      assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
      assertThat(secret.getData()).containsOnlyKeys("ca.crt", "ca.key", "tls.crt", "tls.key");
      assertThat(secret.getMetadata().getLabels())
          .containsEntry("app.kubernetes.io/managed-by", "keyward")
          .containsEntry("keyward.io/purpose", "webhook-certificate");
      assertThat(decode(secret, "ca.crt")).isEqualTo(certs.caBundlePem());
      assertThat(certs.caBundlePem()).startsWith("-----BEGIN CERTIFICATE-----");

      String want = Base64.getEncoder().encodeToString(certs.caBundlePem().getBytes());
      await()
          .atMost(BOUND)
          .untilAsserted(
              () ->
                  assertThat(readConfiguration().getWebhooks())
                      .allSatisfy(
                          w -> assertThat(w.getClientConfig().getCaBundle()).isEqualTo(want)));
      ValidatingWebhookConfiguration after = readConfiguration();
      ValidatingWebhookConfiguration before = configuration();
      for (int i = 0; i < 2; i++) {
        var a = after.getWebhooks().get(i);
        var b = before.getWebhooks().get(i);
        assertThat(a.getName()).isEqualTo(b.getName());
        assertThat(a.getRules()).isEqualTo(b.getRules());
        assertThat(a.getFailurePolicy()).isEqualTo(b.getFailurePolicy());
        assertThat(a.getTimeoutSeconds()).isEqualTo(b.getTimeoutSeconds());
        assertThat(a.getClientConfig().getService()).isEqualTo(b.getClientConfig().getService());
      }
      assertThat(after.getMetadata().getLabels()).isEqualTo(before.getMetadata().getLabels());

      assertThat(peer(certs.sslContext(), "TLSv1.3")).isEqualTo(certs.serving());
      assertThat(peer(certs.sslContext(), "TLSv1.2")).isEqualTo(certs.serving());
    }
  }

  @Test
  void aSecondStartUsesTheSecretAsItIs() {
    String version;
    X509Certificate first;
    try (ServingCertificates certs = certificates("Operator")) {
      version = secret().getMetadata().getResourceVersion();
      first = certs.serving();
    }
    try (ServingCertificates certs = certificates("Operator")) {
      assertThat(certs.serving()).isEqualTo(first);
      assertThat(secret().getMetadata().getResourceVersion()).isEqualTo(version);
    }
  }

  @Test
  void aThirdLeftRenewsTheServingCertificateAndTheContextPresentsTheNewOne() throws Exception {
    try (ServingCertificates certs = certificates("Operator")) {
      X509Certificate first = certs.serving();
      String ca = certs.caBundlePem();
      clock.advance(Duration.between(clock.instant(), RenewalRule.renewAt(first)));
      await().atMost(BOUND).until(() -> !certs.serving().equals(first));
      assertThat(certs.caBundlePem()).isEqualTo(ca);
      assertThat(decode(secret(), "tls.crt"))
          .isEqualTo(PemText.certificates(List.of(certs.serving())));
      assertThat(peer(certs.sslContext(), "TLSv1.3")).isEqualTo(certs.serving());
    }
  }

  @Test
  void aSecretWithGarbageIsReplacedWithALogLineAndNoKeyMaterial() {
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("keyward-webhook-tls")
                .withNamespace("ops")
                .endMetadata()
                .withType("Opaque")
                .withImmutable(true)
                .withStringData(Map.of("tls.crt", "garbage", "tls.key", "more garbage"))
                .build())
        .create();
    try (ServingCertificates certs = certificates("Operator")) {
      Secret secret = secret();
      assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
      assertThat(decode(secret, "tls.crt"))
          .isEqualTo(PemText.certificates(List.of(certs.serving())));
    }
  }

  @Test
  void protocolsOlderThanTls12AreNotOffered() throws Exception {
    try (ServingCertificates certs = certificates("Operator")) {
      SSLContext ctx = certs.sslContext();
      assertThat(ctx.createSSLEngine().getEnabledProtocols())
          .containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
      assertThat(ctx.getDefaultSSLParameters().getProtocols())
          .containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
      try (SSLServerSocket s =
          (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0)) {
        assertThat(s.getEnabledProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
      }
    }
  }

  @Test
  void certManagerModeWaitsForTheSecretReadsItAndNeverWrites() throws Exception {
    assertThatThrownBy(
            () ->
                ServingCertificates.start(
                    client, config("CertManager"), clock, RECHECK, Duration.ofSeconds(2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ops/keyward-webhook-tls")
        .hasMessageContaining("cert-manager writes it");
    assertThat(secret()).isNull();

    CertificateSet issued =
        new RenewalRule(List.of("keyward-webhook.ops.svc"), Duration.ofDays(30), Duration.ofDays(9))
            .next(
                null, new RenewalRule.Decision(RenewalRule.Action.CREATE, "test"), clock.instant());
    Map<String, String> data = issued.data();
    data.remove("ca.key");
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("keyward-webhook-tls")
                .withNamespace("ops")
                .endMetadata()
                .withType("kubernetes.io/tls")
                .withData(data)
                .build())
        .create();
    ValidatingWebhookConfiguration configured = client.resource(configuration()).create();
    int writes = api.writes().size();
    try (ServingCertificates certs = certificates("CertManager")) {
      assertThat(certs.serving()).isEqualTo(issued.serving());
      assertThat(certs.caBundlePem()).isEqualTo(issued.bundlePem());
      assertThat(peer(certs.sslContext(), "TLSv1.3")).isEqualTo(issued.serving());
      clock.advance(Duration.ofDays(20));
      // Moving past its end makes it complain, not write: renewing is cert-manager's.
      await().atMost(BOUND).until(() -> certs.problem().contains("not now"));
      assertThat(certs.serving()).as("the last good one").isEqualTo(issued.serving());
      assertThat(api.writes()).hasSize(writes);
      assertThat(readConfiguration()).isEqualTo(configured);
    }
  }

  /** The certificate a TLS client is shown by a server on {@code ctx}. */
  static X509Certificate peer(SSLContext ctx, String protocol) throws Exception {
    try (SSLServerSocket server =
        (SSLServerSocket)
            ctx.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread t =
          new Thread(
              () -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                  s.startHandshake();
                  s.getOutputStream().write(1);
                } catch (Exception e) {
                  // The client sees it.
                }
              });
      t.start();
      SSLContext client = SSLContext.getInstance("TLS");
      client.init(null, new TrustManager[] {new Accepting()}, null);
      try (SSLSocket s =
          (SSLSocket)
              client
                  .getSocketFactory()
                  .createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
        s.setEnabledProtocols(new String[] {protocol});
        s.startHandshake();
        assertThat(s.getSession().getProtocol()).isEqualTo(protocol);
        s.getInputStream().read();
        return (X509Certificate) s.getSession().getPeerCertificates()[0];
      } finally {
        t.join(5000);
      }
    }
  }

  /** Trusts what it is shown: the test compares the certificate itself. */
  static final class Accepting implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  ValidatingWebhookConfiguration readConfiguration() {
    return client
        .admissionRegistration()
        .v1()
        .validatingWebhookConfigurations()
        .withName("keyward")
        .get();
  }

  static String decode(Secret s, String key) {
    return new String(Base64.getDecoder().decode(s.getData().get(key)));
  }

  static ValidatingWebhookConfiguration configuration() {
    return new ValidatingWebhookConfigurationBuilder()
        .withNewMetadata()
        .withName("keyward")
        .withLabels(Map.of("app.kubernetes.io/name", "keyward"))
        .endMetadata()
        .addNewWebhook()
        .withName("create.keyward.io")
        .withAdmissionReviewVersions("v1")
        .withSideEffects("None")
        .withFailurePolicy("Fail")
        .withTimeoutSeconds(10)
        .withNewClientConfig()
        .withNewService()
        .withName("keyward-webhook")
        .withNamespace("ops")
        .withPath("/validate")
        .withPort(443)
        .endService()
        .endClientConfig()
        .addNewRule()
        .withApiGroups("keyward.io")
        .withApiVersions("v1alpha1")
        .withOperations("CREATE")
        .withResources("apikeys", "apiusers")
        .endRule()
        .endWebhook()
        .addNewWebhook()
        .withName("update.keyward.io")
        .withAdmissionReviewVersions("v1")
        .withSideEffects("None")
        .withFailurePolicy("Ignore")
        .withTimeoutSeconds(10)
        .withNewClientConfig()
        .withCaBundle(Base64.getEncoder().encodeToString("stale".getBytes()))
        .withNewService()
        .withName("keyward-webhook")
        .withNamespace("ops")
        .withPath("/validate")
        .withPort(443)
        .endService()
        .endClientConfig()
        .addNewRule()
        .withApiGroups("keyward.io")
        .withApiVersions("v1alpha1")
        .withOperations("UPDATE")
        .withResources("apikeys", "apiusers")
        .endRule()
        .endWebhook()
        .build();
  }
}
