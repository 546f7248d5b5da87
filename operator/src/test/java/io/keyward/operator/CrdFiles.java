package io.keyward.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The committed CRD files under {@code crds/}: fabric8's generated CRDs, with the printer columns
 * in the order the Java types declare them (the generator sorts them, and kubectl shows them in
 * file order).
 */
public final class CrdFiles {
  public static final List<Class<? extends CustomResource<?, ?>>> TYPES =
      List.of(ApiKey.class, ApiUser.class);

  private static final ObjectMapper YAML =
      new ObjectMapper(
          new YAMLFactory()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR));

  private CrdFiles() {}

  /** The repository's crds/ folder, found from the module's working directory. */
  public static Path crdsDir() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("crds")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p.resolve("crds");
      }
    }
    throw new IllegalStateException("no crds/ folder above " + Path.of("").toAbsolutePath());
  }

  /** The committed file name of a type's CRD. */
  public static String fileName(Class<? extends CustomResource<?, ?>> type) {
    return CustomResource.getCRDName(type) + ".yaml";
  }

  /** The CRD as it should be committed, rendered from the build's generated file. */
  public static String render(Class<? extends CustomResource<?, ?>> type) throws IOException {
    Path generated =
        Path.of("target/classes/META-INF/fabric8", CustomResource.getCRDName(type) + "-v1.yml");
    ObjectNode crd = (ObjectNode) YAML.readTree(generated.toFile());
    AdditionalPrinterColumn[] declared = type.getAnnotationsByType(AdditionalPrinterColumn.class);
    for (JsonNode version : crd.path("spec").path("versions")) {
      ArrayNode columns = (ArrayNode) version.get("additionalPrinterColumns");
      if (columns == null) {
        continue;
      }
      List<JsonNode> ordered = new ArrayList<>();
      for (AdditionalPrinterColumn col : declared) {
        for (JsonNode c : columns) {
          if (c.path("name").asText().equals(col.name())) {
            ordered.add(c);
          }
        }
      }
      columns.removeAll();
      columns.addAll(ordered);
    }
    return "# Generated from the Java types in operator/src/main/java/io/keyward/operator/api by the\n"
        + "# build (CrdFreshnessTest). Do not edit: change the types and run\n"
        + "#   mvn -pl operator test -Dtest=CrdFreshnessTest -Dkeyward.updateCrds=true\n"
        + YAML.writeValueAsString(crd);
  }
}
