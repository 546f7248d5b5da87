package io.keyward.operator.admission;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.keyward.operator.admission.certs.ServingCertificates;
import io.keyward.operator.config.KeywardConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;

/**
 * The admission webhook of one replica: its serving certificate ({@link ServingCertificates}) and
 * its HTTPS endpoint ({@link WebhookServer}) deciding with {@link AdmissionRules}. It runs on every
 * replica, leader or not, from before the controllers start until the process stops.
 */
public final class Admission implements AutoCloseable {
  private final ServingCertificates certificates;
  private final WebhookServer server;

  private Admission(ServingCertificates certificates, WebhookServer server) {
    this.certificates = certificates;
    this.server = server;
  }

  /** Loads (or makes) the serving certificate and starts serving. */
  public static Admission start(KubernetesClient client, KeywardConfig config, Clock clock) {
    String operatorUser = OperatorIdentity.resolve(config);
    AdmissionRules rules = new AdmissionRules(config, operatorUser, new ClusterLookup(client));
    ServingCertificates certificates = ServingCertificates.start(client, config, clock);
    try {
      WebhookServer server =
          WebhookServer.start(
              config.admission().bindAddress(),
              config.admission().port(),
              certificates.keyManager(),
              rules::decide);
      return new Admission(certificates, server);
    } catch (IOException e) {
      certificates.close();
      throw new UncheckedIOException(
          "cannot serve the admission webhook on port " + config.admission().port(), e);
    }
  }

  /** The port served. */
  public int port() {
    return server.port();
  }

  /** The CA bundle a client of the webhook must trust (PEM). */
  public String caBundlePem() {
    return certificates.caBundlePem();
  }

  @Override
  public void close() {
    server.close();
    certificates.close();
  }
}
