package io.keyward.operator.admission.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.keyward.operator.MutableClock;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.it.RealCluster;
import io.keyward.operator.it.RequestAudit;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The webhook's serving certificates on the real kube-apiserver: two replicas started at once agree
 * on one CA; a webhook configuration made later gets the caBundle and a blanked one gets it back;
 * the API server calls a webhook served with {@link ServingCertificates#sslContext()} and verifies
 * its chain under that caBundle, before and after the serving certificate and the CA are renewed
 * (the clock moved past two thirds); cert-manager's Secret is read and nothing is written.
 */
@ExtendWith(RealCluster.class)
class WebhookCertificatesIT {
  static final Duration RECHECK = Duration.ofMillis(300);
  static final Duration START = Duration.ofSeconds(30);
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String REFUSED = "refused by WebhookCertificatesIT";

  static KeywardConfig config(String ns, String configuration, Map<String, String> more) {
    Map<String, String> values = new java.util.HashMap<>();
    values.put("operator.namespace", ns);
    values.put("admission.secretName", "webhook-tls");
    values.put("admission.webhookConfigurationName", configuration);
    values.put("admission.extraSubjectNames", "127.0.0.1");
    values.putAll(more);
    return KeywardConfig.defaults().with(values);
  }

  @Test
  void replicasAgreeOnOneCaAndTheApiServerVerifiesTheChainThroughRenewals() throws Exception {
    String ns = "certs-replicas";
    String vwc = "certs-it-replicas";
    namespace(ns);
    // Short enough that certificates made after the clock moved are valid on the API server's
    // own clock too (their notBefore lies 5 minutes back, and the clock moves less): the serving
    // certificate is due a minute after it is made, the CA after 4m20s.
    KeywardConfig config =
        config(
            ns, vwc, Map.of("admission.caValidity", "9m", "admission.certificateValidity", "4m"));
    MutableClock clock = MutableClock.ticking();
    try (KubernetesClient c1 = RealCluster.newClient();
        KubernetesClient c2 = RealCluster.newClient()) {
      CompletableFuture<ServingCertificates> f1 =
          CompletableFuture.supplyAsync(
              () -> ServingCertificates.start(c1, config, clock, RECHECK, START));
      CompletableFuture<ServingCertificates> f2 =
          CompletableFuture.supplyAsync(
              () -> ServingCertificates.start(c2, config, clock, RECHECK, START));
      try (ServingCertificates a = f1.join();
          ServingCertificates b = f2.join();
          Webhook server = webhookServer(a.sslContext())) {
        assertThat(b.caBundlePem())
            .isEqualTo(a.caBundlePem())
            .isEqualTo(decode(secret(ns), "ca.crt"));
        assertThat(b.serving()).isEqualTo(a.serving());
        assertThat(peer(b.sslContext())).isEqualTo(peer(a.sslContext()));

        // Made after both started, with no caBundle: it gets one.
        String testNs = "certs-replicas-objects";
        namespace(testNs);
        admin().resource(configuration(vwc, server, testNs)).create();
        await()
            .atMost(WAIT)
            .untilAsserted(() -> assertThat(caBundles(vwc)).containsOnly(encoded(a)));
        assertTheApiServerCallsTheWebhook(testNs);

        // Someone blanks it: it is put back.
        admin()
            .admissionRegistration()
            .v1()
            .validatingWebhookConfigurations()
            .withName(vwc)
            .patch(
                PatchContext.of(PatchType.JSON),
                "[{\"op\":\"remove\",\"path\":\"/webhooks/0/clientConfig/caBundle\"}]");
        await()
            .atMost(WAIT)
            .untilAsserted(() -> assertThat(caBundles(vwc)).containsOnly(encoded(a)));
        assertTheApiServerCallsTheWebhook(testNs);

        // A patch made from a read that is out of date is refused (422, the resourceVersion test),
        // not applied to webhooks that may have moved: the keeper reads again.
        ValidatingWebhookConfiguration read =
            admin()
                .admissionRegistration()
                .v1()
                .validatingWebhookConfigurations()
                .withName(vwc)
                .get();
        String stalePatch = CaBundlePatch.of(read, CaBundlePatch.encode("other")).orElseThrow();
        admin()
            .admissionRegistration()
            .v1()
            .validatingWebhookConfigurations()
            .withName(vwc)
            .edit(
                v -> {
                  v.getMetadata().setLabels(Map.of("touched", "yes"));
                  return v;
                });
        assertThatThrownBy(
                () ->
                    admin()
                        .admissionRegistration()
                        .v1()
                        .validatingWebhookConfigurations()
                        .withName(vwc)
                        .patch(PatchContext.of(PatchType.JSON), stalePatch))
            .isInstanceOfSatisfying(
                KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422));
        assertThat(caBundles(vwc)).containsOnly(encoded(a));

        // Past two thirds of the serving certificate: renewed from the same CA, served by both.
        X509Certificate first = a.serving();
        X509Certificate firstCa = CertificateSet.readOwn(secret(ns).getData()).authority();
        String ca = a.caBundlePem();
        clock.advance(Duration.between(clock.instant(), RenewalRule.renewAt(first)).plusSeconds(1));
        assertThat(clock.instant()).isBefore(RenewalRule.renewAt(firstCa));
        await().atMost(WAIT).until(() -> !a.serving().equals(first) && !b.serving().equals(first));
        assertThat(b.serving()).isEqualTo(a.serving());
        assertThat(a.caBundlePem()).isEqualTo(ca);
        assertThat(peer(a.sslContext())).isEqualTo(a.serving());
        assertThat(decode(secret(ns), "tls.crt"))
            .isEqualTo(PemText.certificates(List.of(a.serving())));
        assertTheApiServerCallsTheWebhook(testNs);

        // Past two thirds of the CA: a new one, the old one still in the bundle.
        X509Certificate second = a.serving();
        clock.advance(
            Duration.between(clock.instant(), RenewalRule.renewAt(firstCa)).plusSeconds(1));
        assertThat(clock.offset()).isLessThan(CertificateIssuer.BACKDATE);
        await()
            .atMost(WAIT)
            .until(() -> !a.caBundlePem().equals(ca) && b.caBundlePem().equals(a.caBundlePem()));
        CertificateSet now = CertificateSet.readOwn(secret(ns).getData());
        assertThat(now.authorities()).hasSize(2);
        assertThat(a.caBundlePem()).contains(ca.strip());
        assertThat(a.serving()).isNotEqualTo(second).isEqualTo(b.serving());
        assertThat(CertificateSet.signedBy(a.serving(), now.authority())).isTrue();
        await()
            .atMost(WAIT)
            .untilAsserted(() -> assertThat(caBundles(vwc)).containsOnly(encoded(a)));
        assertThat(peer(a.sslContext())).isEqualTo(a.serving());
        assertTheApiServerCallsTheWebhook(testNs);
      } finally {
        admin()
            .admissionRegistration()
            .v1()
            .validatingWebhookConfigurations()
            .withName(vwc)
            .delete();
      }
    }
  }

  @Test
  void aSecretThatHoldsNoUsableSetIsReplacedWithALogLine() throws Exception {
    String ns = "certs-garbage";
    namespace(ns);
    admin()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("webhook-tls")
                .withNamespace(ns)
                .endMetadata()
                .withType("Opaque")
                .withImmutable(true)
                .withStringData(Map.of("tls.crt", "not a certificate"))
                .build())
        .create();
    try (KubernetesClient c = RealCluster.newClient();
        ServingCertificates certs =
            ServingCertificates.start(
                c,
                config(ns, "certs-it-garbage", Map.of()),
                MutableClock.ticking(),
                RECHECK,
                START)) {
      Secret secret = secret(ns);
      assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
      assertThat(decode(secret, "tls.crt"))
          .isEqualTo(PemText.certificates(List.of(certs.serving())));
      await()
          .atMost(WAIT)
          .until(
              () ->
                  logLines().stream()
                      .anyMatch(
                          l ->
                              l.contains("Webhook certificate Secret written")
                                  && l.contains("\"change\":\"REPLACE\"")
                                  && l.contains(ns + "/webhook-tls")
                                  && l.contains("data.ca.crt is missing")));
    }
  }

  @Test
  void certManagerModeServesTheSecretItIsGivenAndWritesNothing() throws Exception {
    String ns = "certs-cert-manager";
    String vwc = "certs-it-cert-manager";
    namespace(ns);
    String testNs = "certs-cert-manager-objects";
    namespace(testNs);
    MutableClock clock = MutableClock.ticking();
    KeywardConfig config = config(ns, vwc, Map.of("admission.certificates", "CertManager"));
    CertificateSet issued = issued(clock);
    admin().resource(tlsSecret(ns, issued)).create();

    RequestAudit audit = new RequestAudit();
    try (KubernetesClient c = audited(audit);
        ServingCertificates certs = ServingCertificates.start(c, config, clock, RECHECK, START);
        Webhook server = webhookServer(certs.sslContext())) {
      assertThat(certs.serving()).isEqualTo(issued.serving());
      assertThat(certs.caBundlePem()).isEqualTo(issued.bundlePem());
      // What cert-manager's injector would do: the bundle from ca.crt.
      ValidatingWebhookConfiguration made = configuration(vwc, server, testNs);
      made.getWebhooks().get(0).getClientConfig().setCaBundle(encoded(certs));
      admin().resource(made).create();
      assertTheApiServerCallsTheWebhook(testNs);

      // cert-manager renews: the new certificate is served without a restart.
      CertificateSet renewed = issued(clock);
      admin().resource(tlsSecret(ns, renewed)).update();
      await().atMost(WAIT).until(() -> certs.serving().equals(renewed.serving()));
      assertThat(peer(certs.sslContext())).isEqualTo(renewed.serving());
      String secretVersion = secret(ns).getMetadata().getResourceVersion();
      String configVersion =
          admin()
              .admissionRegistration()
              .v1()
              .validatingWebhookConfigurations()
              .withName(vwc)
              .get()
              .getMetadata()
              .getResourceVersion();
      clock.advance(Duration.ofDays(200));
      await().atMost(WAIT).until(() -> certs.problem().contains("not now"));
      assertThat(secret(ns).getMetadata().getResourceVersion()).isEqualTo(secretVersion);
      assertThat(
              admin()
                  .admissionRegistration()
                  .v1()
                  .validatingWebhookConfigurations()
                  .withName(vwc)
                  .get()
                  .getMetadata()
                  .getResourceVersion())
          .isEqualTo(configVersion);
      assertThat(audit.used())
          .extracting(RequestAudit.Use::verb)
          .isNotEmpty()
          .allMatch(v -> v.equals("get") || v.equals("list") || v.equals("watch"));
    } finally {
      admin().admissionRegistration().v1().validatingWebhookConfigurations().withName(vwc).delete();
    }
  }

  @Test
  void startFailsNamingTheSecretWhenCertManagerWroteNone() {
    String ns = "certs-cert-manager-none";
    namespace(ns);
    assertThatThrownBy(
            () -> {
              try (KubernetesClient c = RealCluster.newClient()) {
                ServingCertificates.start(
                    c,
                    config(ns, "certs-it-none", Map.of("admission.certificates", "CertManager")),
                    MutableClock.ticking(),
                    RECHECK,
                    Duration.ofSeconds(3));
              }
            })
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(ns + "/webhook-tls")
        .hasMessageContaining("does not exist");
  }

  // --- the API server calling a webhook -------------------------------------------------------

  /**
   * The API server verifies the webhook's certificate under the caBundle, or else (failure policy
   * Fail) refuses every create with a TLS error: a refusal that carries the webhook's own message,
   * and an allowed create, prove the call went through.
   */
  static void assertTheApiServerCallsTheWebhook(String ns) {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThatThrownBy(() -> configMap(ns, "refuse-me"))
                    .isInstanceOf(KubernetesClientException.class)
                    .hasMessageContaining(REFUSED));
    String name = "allow-" + System.nanoTime();
    configMap(ns, name);
    admin().configMaps().inNamespace(ns).withName(name).delete();
  }

  static void configMap(String ns, String name) {
    admin()
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .endMetadata()
                .build())
        .create();
  }

  /** A webhook on loopback that refuses ConfigMaps named refuse-me and allows the rest. */
  static Webhook webhookServer(SSLContext tls) throws IOException {
    HttpsServer server =
        HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    ObjectMapper json = new ObjectMapper();
    server.createContext(
        "/validate",
        exchange -> {
          JsonNode review = json.readTree(exchange.getRequestBody());
          String uid = review.path("request").path("uid").asText();
          String name = review.path("request").path("name").asText();
          boolean allowed = !"refuse-me".equals(name);
          Map<String, Object> response =
              allowed
                  ? Map.of("uid", uid, "allowed", true)
                  : Map.of(
                      "uid",
                      uid,
                      "allowed",
                      false,
                      "status",
                      Map.of("code", 403, "message", REFUSED));
          byte[] body =
              json.writeValueAsBytes(
                  Map.of(
                      "apiVersion", "admission.k8s.io/v1",
                      "kind", "AdmissionReview",
                      "response", response));
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    return new Webhook(server);
  }

  /** A test webhook server, stopped when the try ends. */
  record Webhook(HttpsServer server) implements AutoCloseable {
    int port() {
      return server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  static ValidatingWebhookConfiguration configuration(String name, Webhook server, String ns) {
    return new ValidatingWebhookConfigurationBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .addNewWebhook()
        .withName("configmaps.certs-it.keyward.io")
        .withAdmissionReviewVersions("v1")
        .withSideEffects("None")
        .withFailurePolicy("Fail")
        .withTimeoutSeconds(5)
        .withNewNamespaceSelector()
        .addToMatchLabels("certs-it", ns)
        .endNamespaceSelector()
        .withNewClientConfig()
        .withUrl("https://127.0.0.1:" + server.port() + "/validate")
        .endClientConfig()
        .addNewRule()
        .withApiGroups("")
        .withApiVersions("v1")
        .withOperations("CREATE")
        .withResources("configmaps")
        .endRule()
        .endWebhook()
        .build();
  }

  // --- helpers --------------------------------------------------------------------------------

  static KubernetesClient admin() {
    return RealCluster.client();
  }

  static KubernetesClient audited(RequestAudit audit) {
    return new KubernetesClientBuilder()
        .withConfig(RealCluster.client().getConfiguration())
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("certs-audit", audit))
        .build();
  }

  static void namespace(String name) {
    admin()
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("certs-it", name)
                .endMetadata()
                .build())
        .serverSideApply();
  }

  static Secret secret(String ns) {
    return admin().secrets().inNamespace(ns).withName("webhook-tls").get();
  }

  static List<String> caBundles(String vwc) {
    return admin()
        .admissionRegistration()
        .v1()
        .validatingWebhookConfigurations()
        .withName(vwc)
        .get()
        .getWebhooks()
        .stream()
        .map(w -> String.valueOf(w.getClientConfig().getCaBundle()))
        .toList();
  }

  static String encoded(ServingCertificates certs) {
    return Base64.getEncoder()
        .encodeToString(certs.caBundlePem().getBytes(StandardCharsets.US_ASCII));
  }

  static String decode(Secret s, String key) {
    return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.US_ASCII);
  }

  static X509Certificate peer(SSLContext ctx) throws Exception {
    return ServingCertificatesTest.peer(ctx, "TLSv1.3");
  }

  /** A CA and serving certificate as cert-manager's CA issuer would write them. */
  static CertificateSet issued(MutableClock clock) {
    return new RenewalRule(List.of("127.0.0.1"), Duration.ofDays(30), Duration.ofDays(9))
        .next(null, new RenewalRule.Decision(RenewalRule.Action.CREATE, "test"), clock.instant());
  }

  static Secret tlsSecret(String ns, CertificateSet set) {
    Map<String, String> data = new java.util.LinkedHashMap<>(set.data());
    data.remove(CertificateSet.CA_KEY);
    return new SecretBuilder()
        .withNewMetadata()
        .withName("webhook-tls")
        .withNamespace(ns)
        .endMetadata()
        .withType("kubernetes.io/tls")
        .withData(data)
        .build();
  }

  static List<String> logLines() throws IOException {
    Path log = Path.of(System.getProperty("keyward.log.file", "target/it-operator.log"));
    return Files.exists(log) ? Files.readAllLines(log) : List.of();
  }
}
