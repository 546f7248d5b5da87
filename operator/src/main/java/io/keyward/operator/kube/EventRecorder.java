package io.keyward.operator.kube;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Kubernetes Events about ApiKeys and ApiUsers. A repeat of the same reason and message for
 * the same object raises the count of the existing Event instead of adding one, as kubelet does.
 * Messages must never carry secret material: callers pass public facts only.
 */
public final class EventRecorder {
  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
  private static final int REMEMBERED = 4096;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final KubernetesClient client;
  private final Clock clock;
  private final String instance;
  private final Map<String, Recorded> recent =
      new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Recorded> eldest) {
          return size() > REMEMBERED;
        }
      };

  private record Recorded(String namespace, String name, int count) {}

  public EventRecorder(KubernetesClient client, Clock clock, String instance) {
    this.client = client;
    this.clock = clock;
    this.instance = instance;
  }

  /** A Normal event. */
  public void normal(HasMetadata object, String reason, String message) {
    emit(object, "Normal", reason, message);
  }

  /** A Warning event. */
  public void warning(HasMetadata object, String reason, String message) {
    emit(object, "Warning", reason, message);
  }

  private void emit(HasMetadata object, String type, String reason, String message) {
    String namespace =
        object.getMetadata().getNamespace() == null
            ? "default"
            : object.getMetadata().getNamespace();
    String dedupeKey = object.getMetadata().getUid() + "|" + type + "|" + reason + "|" + message;
    String now = clock.instant().toString();
    try {
      Recorded previous;
      synchronized (recent) {
        previous = recent.get(dedupeKey);
      }
      if (previous != null && bump(previous, dedupeKey, now)) {
        return;
      }
      String name = object.getMetadata().getName() + "." + HexFormat.of().formatHex(randomBytes());
      client
          .v1()
          .events()
          .inNamespace(namespace)
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .withNamespace(namespace)
                  .endMetadata()
                  .withInvolvedObject(
                      new ObjectReferenceBuilder()
                          .withApiVersion(object.getApiVersion())
                          .withKind(object.getKind())
                          .withName(object.getMetadata().getName())
                          .withNamespace(object.getMetadata().getNamespace())
                          .withUid(object.getMetadata().getUid())
                          .build())
                  .withType(type)
                  .withReason(reason)
                  .withMessage(message)
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withCount(1)
                  .withNewSource()
                  .withComponent("keyward-operator")
                  .endSource()
                  .withReportingComponent("keyward.io/operator")
                  .withReportingInstance(instance)
                  .build())
          .create();
      synchronized (recent) {
        recent.put(dedupeKey, new Recorded(namespace, name, 1));
      }
    } catch (KubernetesClientException e) {
      // An event is a courtesy: failing to write one must not fail the reconciliation.
      LOG.warn(
          "cannot record event {} on {}/{}: HTTP {}",
          reason,
          namespace,
          object.getMetadata().getName(),
          e.getCode());
    }
  }

  /** Raises the count of an Event written before; false when it is gone (Events expire). */
  private boolean bump(Recorded previous, String dedupeKey, String now) {
    int count = previous.count() + 1;
    try {
      client
          .v1()
          .events()
          .inNamespace(previous.namespace())
          .withName(previous.name())
          .edit(
              e -> {
                e.setCount(count);
                e.setLastTimestamp(now);
                return e;
              });
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw e;
    }
    synchronized (recent) {
      recent.put(dedupeKey, new Recorded(previous.namespace(), previous.name(), count));
    }
    return true;
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    return b;
  }
}
