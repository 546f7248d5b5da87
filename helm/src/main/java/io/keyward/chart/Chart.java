package io.keyward.chart;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Helm chart in {@code helm/keyward}, rendered with helm-java as {@code helm template} does.
 */
public final class Chart {
  public static final String RELEASE = "keyward";

  private Chart() {}

  /** The chart's folder, found from the working directory of any module of the build. */
  public static Path dir() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path chart = p.resolve("helm/keyward");
      if (Files.isDirectory(chart)) {
        return chart;
      }
    }
    throw new IllegalStateException("no helm/keyward above " + Path.of("").toAbsolutePath());
  }

  /** {@code helm template keyward helm/keyward -n <namespace> --set k=v...}, without the CRDs. */
  public static List<HasMetadata> render(String namespace, Map<String, Object> values) {
    return parse(manifest(namespace, null, values));
  }

  /**
   * The same for a cluster of that Kubernetes version ({@code --kube-version}, e.g. "1.20.2"): what
   * the chart renders depends on it (the webhook's matchConditions from 1.28).
   */
  public static List<HasMetadata> render(
      String namespace, String kubeVersion, Map<String, Object> values) {
    return parse(manifest(namespace, kubeVersion, values));
  }

  /** The rendered manifest as {@code helm template} prints it; kubeVersion null: Helm's default. */
  public static String manifest(String namespace, String kubeVersion, Map<String, Object> values) {
    TemplateCommand template =
        new Helm(dir()).template().withName(RELEASE).withNamespace(namespace).skipCrds();
    if (kubeVersion != null) {
      template.withKubeVersion(kubeVersion);
    }
    values.forEach(template::set);
    return template.call();
  }

  /** Each YAML document of a rendered manifest, as a typed object where fabric8 knows the kind. */
  public static List<HasMetadata> parse(String manifest) {
    List<HasMetadata> objects = new ArrayList<>();
    for (String doc : manifest.split("(?m)^---\\s*$")) {
      boolean empty = doc.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"));
      if (!empty) {
        objects.add(Serialization.unmarshal(doc));
      }
    }
    return objects;
  }

  /** The one object of that kind (and name, if given). */
  public static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> kind) {
    List<T> found = all(objects, kind);
    if (found.size() != 1) {
      throw new AssertionError("expected one " + kind.getSimpleName() + ", found " + found.size());
    }
    return found.get(0);
  }

  public static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> kind) {
    return objects.stream().filter(kind::isInstance).map(kind::cast).toList();
  }

  public static Optional<HasMetadata> byKind(List<HasMetadata> objects, String kind) {
    return objects.stream().filter(o -> kind.equals(o.getKind())).findFirst();
  }
}
