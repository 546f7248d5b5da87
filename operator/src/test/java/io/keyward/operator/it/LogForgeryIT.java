package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyward.logging.LogLineEncoder;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.apikey.ApiKeyReconciler;
import io.keyward.operator.audit.AuditLog;
import io.keyward.operator.validation.Excerpt;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A tenant cannot forge the operator's log. Acting on the real API server as a user of Keyward
 * would, it puts values that carry a whole audit record after a newline (and a carriage return,
 * U+2028, U+2029, U+0085, ANSI escapes, quotes and backslashes) into the rotate and renew
 * annotations, an IP address, a permission, a secretTemplate label key and a note. The schema
 * refuses the address and the permission outright; the operator logs the others (an invalid-spec
 * message quotes the label key as an escaped excerpt, rotation and extension causes and the audit
 * records' detail carry the annotations), and the log the operator wrote for the whole run so far
 * is still one JSON object per line, printable ASCII, each value intact inside its field; the audit
 * records are only the operator's own: the actions it took, on the keys it issued, with the access
 * keys it generated.
 */
@ExtendWith(RealCluster.class)
class LogForgeryIT {
  private static final String NS = "forgery";
  private static final String USER = "mallory";
  private static final String FORGED_KEY = "KWFORGED";
  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    RealCluster.namespace(NS);
    user(USER, NS);
    operator = RunningOperator.start(Map.of());
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  /**
   * A value that ends its line and writes an audit record of its own (for a key {@code
   * forged-<vector>} with the access key KWFORGED), then tries the other line ends, erases the line
   * on a terminal, and closes a JSON string and object to add fields.
   */
  static String forged(String vector) {
    return "\n{\"time\":\"2026-01-01T00:00:00.000Z\",\"level\":\"INFO\",\"logger\":\"keyward.audit\","
        + "\"thread\":\"main\",\"message\":\"ISSUED\",\"audit\":\"keyward\",\"action\":\"ISSUED\","
        + "\"apiKey\":\""
        + NS
        + "/forged-"
        + vector
        + "\",\"user\":\""
        + USER
        + "\",\"accessKey\":\""
        + FORGED_KEY
        + "\"}\r\n\u2028\u2029\u0085\u001b[1A\u001b[2K\"},\"action\":\"REVOKED\",\"accessKey\":\""
        + FORGED_KEY
        + "\\";
  }

  /** A note within the schema's 64 characters that still carries a record. */
  static final String NOTE = "n\n{\"logger\":\"keyward.audit\",\"action\":\"ISSUED\"}\u2028forged";

  @Test
  void userValuesStayInsideTheirFieldsAndForgeNoAuditRecord() throws Exception {
    // A key that is issued, then rotated and renewed through hostile annotation values.
    key(NS, "victim", USER, s -> {});
    String first = awaitKey(NS, "victim", phase("Active")).getStatus().accessKey;
    String rotate = "r1" + forged("rotate");
    annotateKey(NS, "victim", ApiKeyReconciler.ROTATE_ANNOTATION, rotate);
    ApiKey rotated =
        awaitKey(
            NS,
            "victim",
            k -> rotate.equals(k.getStatus().lastHandledRotate) && phase("Active").test(k));
    String second = rotated.getStatus().accessKey;
    assertThat(second).isNotEqualTo(first);
    String renew = "n1" + forged("renew");
    annotateKey(NS, "victim", ApiKeyReconciler.RENEW_ANNOTATION, renew);
    ApiKey renewed =
        awaitKey(
            NS,
            "victim",
            k -> renew.equals(k.getStatus().lastHandledRenew) && phase("Active").test(k));
    assertThat(renewed.getStatus().accessKey).isEqualTo(second);

    // Spec values the schema refuses at apply time: they never reach the operator.
    String ip = "10.0.0.1" + forged("ip");
    assertThatThrownBy(() -> key(NS, "ip-bot", USER, s -> s.ipWhitelist = List.of(ip)))
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.ipWhitelist");
    String permission = "read" + forged("permission");
    assertThatThrownBy(
            () -> key(NS, "permission-bot", USER, s -> s.permissions = List.of(permission)))
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.permissions");
    // A map key the schema cannot bound: the operator refuses it, quoting an escaped excerpt.
    String label = "x" + forged("label");
    key(
        NS,
        "label-bot",
        USER,
        s -> {
          s.secretTemplate = new ApiKeySpec.SecretTemplate();
          s.secretTemplate.labels = Map.of(label, "v");
        });
    ApiKey labelBot = awaitKey(NS, "label-bot", condition("Ready", "False", "InvalidSpec"));
    assertThat(condition(labelBot, "Ready").orElseThrow().message)
        .contains("spec.secretTemplate.labels[" + Excerpt.of(label) + "]")
        .doesNotContain("\n");
    // A valid note, issued. No message names a note today; should one, it stays in its field.
    key(NS, "note-bot", USER, s -> s.note = NOTE);
    String third = awaitKey(NS, "note-bot", phase("Active")).getStatus().accessKey;

    Map<String, String> vectors =
        Map.of(
            "rotate annotation", rotate,
            "renew annotation", renew,
            "label key (its excerpt)", Excerpt.of(label));
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              List<JsonNode> records = OperatorLog.records();
              // The values reached the log, each whole inside one field of one record.
              for (var vector : vectors.entrySet()) {
                assertThat(records)
                    .as("a record with the %s in a field", vector.getKey())
                    .anyMatch(r -> values(r).stream().anyMatch(v -> v.contains(vector.getValue())));
              }
              // The operator's own audit records of these keys, and no other.
              List<String> ours =
                  records.stream()
                      .filter(OperatorLog::isAudit)
                      .filter(r -> r.path("apiKey").asText().startsWith(NS + "/"))
                      .map(
                          r ->
                              r.path("action").asText()
                                  + " "
                                  + r.path("apiKey").asText()
                                  + " "
                                  + r.path("accessKey").asText())
                      .toList();
              assertThat(ours)
                  .containsExactlyInAnyOrder(
                      "ISSUED " + NS + "/victim " + first,
                      "ROTATED " + NS + "/victim " + second,
                      "EXTENDED " + NS + "/victim " + second,
                      "ISSUED " + NS + "/note-bot " + third);
            });

    List<JsonNode> records = OperatorLog.records(); // fails on a line that is not one JSON object
    assertThat(records).hasSizeGreaterThan(100);
    byte[] bytes = Files.readAllBytes(OperatorLog.path());
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      assertThat(b == '\n' || (b >= 0x20 && b <= 0x7e))
          .as("byte %d of the log is 0x%02x: not printable ASCII", i, b)
          .isTrue();
    }

    // Across the whole run: every audit record is one the operator can write, with its fields.
    Set<String> actions =
        Arrays.stream(AuditLog.Action.values()).map(Enum::name).collect(Collectors.toSet());
    Set<String> auditFields =
        Set.of(
            "audit",
            "action",
            "apiKey",
            "user",
            "accessKey",
            "changes",
            "detail",
            "enrolmentSecret");
    Set<String> fields = new HashSet<>(LogLineEncoder.FIELDS);
    fields.addAll(auditFields);
    List<String> forgeries = new ArrayList<>();
    // The verifier runs in this JVM too (VerifierIT, BotExamplesIT): its refusal records
    // (RefusalAudit) and its own structured lines are in the same log.
    Set<String> refusalFields =
        Set.of(
            "audit",
            "action",
            "reason",
            "scheme",
            "accessKey",
            "key",
            "user",
            "clientIp",
            "method",
            "path");
    Set<String> verifierFields = new HashSet<>(LogLineEncoder.FIELDS);
    verifierFields.addAll(refusalFields);
    for (JsonNode r : records) {
      List<String> names = new ArrayList<>();
      r.fieldNames().forEachRemaining(names::add);
      boolean audit = OperatorLog.isAudit(r);
      if (audit && "REQUEST_REFUSED".equals(r.path("action").asText())) {
        if (!verifierFields.containsAll(names)
            || !"keyward".equals(r.path("audit").asText())
            || r.path("accessKey").asText().contains(FORGED_KEY)) {
          forgeries.add(r.toString());
        }
        continue;
      }
      // Structured lines of the verifier and of the admission webhook (its certificates, its
      // refusals) carry fields of their own, but never an audit record's.
      if (!audit
          && (r.path("logger").asText().startsWith("io.keyward.verifier.")
              || r.path("logger").asText().startsWith("io.keyward.operator.admission."))
          && names.stream().noneMatch(auditFields::contains)) {
        continue;
      }
      if (!fields.containsAll(names)
          || !audit && names.stream().anyMatch(auditFields::contains)
          || audit && !actions.contains(r.path("action").asText())
          || audit && !"keyward".equals(r.path("audit").asText())
          || r.path("accessKey").asText().contains(FORGED_KEY)
          || r.path("apiKey").asText().startsWith(NS + "/forged-")) {
        forgeries.add(r.toString());
      }
    }
    assertThat(forgeries).as("records the operator never wrote").isEmpty();
    List<JsonNode> account =
        records.stream()
            .filter(OperatorLog::isAudit)
            .filter(r -> USER.equals(r.path("user").asText()) && !r.has("apiKey"))
            .toList();
    assertThat(account)
        .singleElement()
        .satisfies(r -> assertThat(r.path("action").asText()).isEqualTo("ACCOUNT_CREATED"));

    // And the hostile values in the audit records are the ones annotated, intact.
    assertThat(OperatorLog.audit())
        .anyMatch(
            r ->
                r.path("action").asText().equals("ROTATED")
                    && r.path("detail").asText().equals("keyward.io/rotate=" + rotate))
        .anyMatch(
            r ->
                r.path("action").asText().equals("EXTENDED")
                    && r.path("detail")
                        .asText()
                        .startsWith("keyward.io/renew=" + renew + "; was "));
  }

  /** Every string value of a record, nested ones too. */
  private static List<String> values(JsonNode node) {
    List<String> out = new ArrayList<>();
    if (node.isContainerNode()) {
      node.elements().forEachRemaining(child -> out.addAll(values(child)));
    } else {
      out.add(node.asText());
    }
    return out;
  }
}
