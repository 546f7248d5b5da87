package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.client;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * On the hybrid, a validating webhook registered in the 1.20 server (a URL on loopback, as the
 * operator's own is in the ITs) is called for keyward.io writes, which the v1.36 CRD server serves:
 * that server reads webhook configurations from the 1.20 server (its --kubeconfig), and the
 * AdmissionReview carries the requester the 1.20 front proxy passed on. The webhook here is the
 * smallest that refuses: the operator's own is tested by WebhookIT.
 */
@ExtendWith(RealCluster.class)
@EnabledIfSystemProperty(named = RealCluster.FLAVOUR_PROPERTY, matches = "1\\.36")
@Order(6)
class AggregatedWebhookIT {
  private static final String NS = "aggregated-webhook";
  private static final String CONFIG = "keyward-aggregated-webhook-it";
  private static final String REFUSAL = "refused by AggregatedWebhookIT's webhook";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<JsonNode> reviews = new CopyOnWriteArrayList<>();
  private static HttpsServer webhook;

  @BeforeAll
  static void start() throws Exception {
    client()
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(NS)
                .addToLabels("keyward.io/aggregated-webhook-it", "refuse")
                .endMetadata()
                .build())
        .serverSideApply();
    KeyPair pair = KeyPairGenerator.getInstance("EC").generateKeyPair();
    X509Certificate cert = selfSigned(pair);
    webhook = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    webhook.setHttpsConfigurator(new HttpsConfigurator(tls(pair, cert)));
    webhook.createContext(
        "/validate",
        exchange -> {
          JsonNode review = JSON.readTree(exchange.getRequestBody());
          reviews.add(review);
          byte[] answer =
              JSON.writeValueAsBytes(
                  JSON.createObjectNode()
                      .put("apiVersion", "admission.k8s.io/v1")
                      .put("kind", "AdmissionReview")
                      .set(
                          "response",
                          JSON.createObjectNode()
                              .put("uid", review.path("request").path("uid").asText())
                              .put("allowed", false)
                              .set(
                                  "status",
                                  JSON.createObjectNode()
                                      .put("code", 403)
                                      .put("message", REFUSAL))));
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, answer.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
          }
        });
    webhook.start();
    ValidatingWebhookConfiguration config =
        new ValidatingWebhookConfigurationBuilder()
            .withNewMetadata()
            .withName(CONFIG)
            .endMetadata()
            .addNewWebhook()
            .withName("refuse.aggregated-webhook-it.keyward.io")
            .withAdmissionReviewVersions("v1")
            .withSideEffects("None")
            .withFailurePolicy("Fail")
            .withTimeoutSeconds(10)
            .withNewClientConfig()
            .withUrl("https://127.0.0.1:" + webhook.getAddress().getPort() + "/validate")
            .withCaBundle(
                Base64.getEncoder().encodeToString(pem(cert).getBytes(StandardCharsets.US_ASCII)))
            .endClientConfig()
            .withNewNamespaceSelector()
            .addToMatchLabels("keyward.io/aggregated-webhook-it", "refuse")
            .endNamespaceSelector()
            .addNewRule()
            .withApiGroups("keyward.io")
            .withApiVersions("v1alpha1")
            .withOperations("CREATE")
            .withResources("apikeys")
            .endRule()
            .endWebhook()
            .build();
    client().resource(config).create();
  }

  @AfterAll
  static void stop() {
    client()
        .admissionRegistration()
        .v1()
        .validatingWebhookConfigurations()
        .withName(CONFIG)
        .delete();
    if (webhook != null) {
      webhook.stop(0);
    }
  }

  @Test
  void aUrlWebhookRegisteredIn120IsCalledForKeysTheCrdServerServes() {
    String manifest =
        """
        {"apiVersion": "keyward.io/v1alpha1", "kind": "ApiKey",
         "metadata": {"name": "hooked-bot", "namespace": "%s"},
         "spec": {"user": "someone", "note": "webhook check"}}
        """
            .formatted(NS);
    // The CRD server's informer sees the new configuration shortly after it is created.
    Kubectl.Result refused =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    Kubectl.run(
                        RealCluster.server().kubeconfig(),
                        manifest,
                        "apply",
                        "--server-side",
                        "-f",
                        "-"),
                r -> r.exitCode() != 0);
    assertThat(refused.output())
        .contains(REFUSAL)
        .contains("refuse.aggregated-webhook-it.keyward.io");
    assertThat(reviews)
        .last()
        .satisfies(
            review -> {
              JsonNode request = review.path("request");
              assertThat(request.path("operation").asText()).isEqualTo("CREATE");
              assertThat(request.path("resource").path("resource").asText()).isEqualTo("apikeys");
              assertThat(request.path("namespace").asText()).isEqualTo(NS);
              // The requester, passed by 1.20's front proxy: what an owners check reads.
              assertThat(request.path("userInfo").path("username").asText())
                  .isEqualTo("keyward-admin");
              assertThat(request.path("userInfo").path("groups").toString())
                  .contains("system:masters");
            });
    assertThat(
            client()
                .resources(io.keyward.operator.api.ApiKey.class)
                .inNamespace(NS)
                .list()
                .getItems())
        .isEmpty();
  }

  private static X509Certificate selfSigned(KeyPair pair) throws Exception {
    X500Name name = new X500Name("CN=127.0.0.1");
    Instant now = Instant.now();
    var builder =
        new JcaX509v3CertificateBuilder(
            name,
            BigInteger.valueOf(now.toEpochMilli()),
            Date.from(now.minus(Duration.ofMinutes(5))),
            Date.from(now.plus(Duration.ofDays(1))),
            name,
            pair.getPublic());
    builder.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
    return new JcaX509CertificateConverter()
        .getCertificate(
            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
  }

  private static SSLContext tls(KeyPair pair, X509Certificate cert) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] password = "webhook".toCharArray();
    store.setKeyEntry("webhook", pair.getPrivate(), password, new X509Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, password);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }

  private static String pem(X509Certificate cert) throws Exception {
    return "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(cert.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }
}
