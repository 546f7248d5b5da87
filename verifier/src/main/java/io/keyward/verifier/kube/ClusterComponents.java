package io.keyward.verifier.kube;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.keyward.verifier.KeywardVerifier;
import io.keyward.verifier.StandardCatalog;
import io.keyward.verifier.VerifierMain;
import io.keyward.verifier.core.Verdict;
import io.keyward.verifier.server.VerifierConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;

/**
 * The verifier as the jar runs it: the standard schemes and presets, keys from the cluster ({@link
 * ClusterKeyDirectory}), and accepted keys' last use written back ({@link UsageRecorder}) unless
 * {@code usage.recordLastUse} is false.
 */
public final class ClusterComponents implements VerifierMain.Components {
  @Override
  public KeywardVerifier.Catalog catalog() {
    return new StandardCatalog();
  }

  @Override
  public VerifierMain.Directory directory(
      KubernetesClient client, VerifierConfig config, MeterRegistry registry, Clock clock) {
    ClusterKeyDirectory keys = new ClusterKeyDirectory(client, config.watchNamespaces()).start();
    UsageRecorder usage =
        config.recordLastUse()
            ? new UsageRecorder(
                    client,
                    keys,
                    clock,
                    registry,
                    UsageRecorder.DEFAULT_FLUSH_INTERVAL,
                    config.usageMinInterval())
                .start()
            : null;
    return new VerifierMain.Directory(
        keys,
        keys::size,
        (request, verdict, elapsed) -> {
          if (usage != null && verdict instanceof Verdict.Accepted accepted) {
            usage.used(accepted.key());
          }
        },
        () -> {
          try {
            if (usage != null) {
              usage.close();
            }
          } finally {
            keys.close();
          }
        });
  }
}
