package io.keyward.operator.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.OperatorException;
import io.keyward.operator.issuance.IssuanceException;
import io.keyward.operator.issuance.KeyIssuer;
import java.net.ConnectException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a user reads when a reconciliation fails: a reason to act on, a message naming what failed,
 * and whether it is worth reporting before retries have had their chance. The API server's own text
 * never reaches the message: for a write it could quote what was sent.
 */
class ReconcileFailureTest {
  /** What an API server might answer to a refused Secret write: it quotes the value sent. */
  static final String SERVER_TEXT =
      "Secret \"bot-credentials\" is invalid: data[secretKey]: Invalid value: \"c2VjcmV0LXZhbHVl\"";

  static final String ISSUANCE_MESSAGE =
      "cannot create Secret ns/bot-credentials: HTTP 422 (data[secretKey]: FieldValueInvalid): the"
          + " API server refused it; check spec.secretTemplate labels and annotations";

  record Row(String situation, Exception e, String reason, boolean passing, String message) {
    @Override
    public String toString() {
      return situation;
    }
  }

  static Stream<Arguments> table() {
    return Stream.of(
        row(
            "a refused Secret (422)",
            new IssuanceException(ISSUANCE_MESSAGE, 422),
            "SecretRejected",
            false,
            ISSUANCE_MESSAGE),
        row(
            "another issuance failure (403)",
            new IssuanceException("cannot create Secret ns/bot-credentials: HTTP 403", 403),
            "IssuanceFailed",
            false,
            "cannot create Secret ns/bot-credentials: HTTP 403"),
        row(
            "403 from the API server",
            server(403),
            "Forbidden",
            false,
            "a request to the API server failed: HTTP 403; the operator's identity may not do this;"
                + " check its RBAC"),
        row("401 from the API server", server(401), "Forbidden", false, "HTTP 401"),
        row(
            "409 from the API server",
            server(409),
            "Conflict",
            true,
            "a request to the API server failed: HTTP 409; the resource kept changing while the"
                + " operator wrote it; it tries again"),
        row(
            "a stale read of a Secret",
            new KeyIssuer.StaleReadException("Secret ns/bot-credentials changed"),
            "Conflict",
            true,
            "the resource kept changing while the operator wrote it; it tries again"),
        row(
            "a status write conflict",
            new StatusWriter.Conflict(),
            "Conflict",
            true,
            "the resource kept changing while the operator wrote it; it tries again"),
        row(
            "no answer at all (-1)",
            new KubernetesClientException("connect", -1, null),
            "ApiServerUnavailable",
            true,
            "a request to the API server failed: no answer; the API server did not answer; the"
                + " operator tries again"),
        row(
            "a refused connection",
            new KubernetesClientException(
                "Failed to connect", new ConnectException("Connection refused")),
            "ApiServerUnavailable",
            true,
            "no answer"),
        row(
            "503 from the API server",
            server(503),
            "ApiServerUnavailable",
            true,
            "a request to the API server failed: HTTP 503; the API server did not answer"),
        row("429 from the API server", server(429), "ApiServerUnavailable", true, "HTTP 429"),
        row(
            "another API error (404)",
            server(404),
            "ApiError",
            false,
            "a request to the API server failed: HTTP 404; the operator tries again"),
        row(
            "anything else",
            new IllegalStateException("boom " + SERVER_TEXT),
            "ReconcileError",
            false,
            "the reconciliation failed (IllegalStateException); the operator tries again; its log"
                + " has the details"),
        // JOSDK wraps what the reconciler threw.
        row(
            "a 403 wrapped by JOSDK",
            new OperatorException("reconcile failed", server(403)),
            "Forbidden",
            false,
            "HTTP 403"),
        row(
            "a stale read wrapped twice",
            new OperatorException(
                new RuntimeException(new KeyIssuer.StaleReadException("Secret changed"))),
            "Conflict",
            true,
            "kept changing"),
        row(
            "a refused Secret wrapped by JOSDK",
            new OperatorException("reconcile failed", new IssuanceException(ISSUANCE_MESSAGE, 422)),
            "SecretRejected",
            false,
            ISSUANCE_MESSAGE),
        row(
            "something else wrapped: the root cause is named",
            new OperatorException("reconcile failed", new ArithmeticException("x")),
            "ReconcileError",
            false,
            "(ArithmeticException)"),
        row(
            "JOSDK's own failure without a cause",
            new OperatorException("reconcile failed: " + SERVER_TEXT),
            "ReconcileError",
            false,
            "(OperatorException)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void reportsAReasonAndAMessageWithoutTheServersText(Row row) {
    ReconcileFailure f = ReconcileFailure.of(row.e());
    assertThat(f.reason()).as("reason").isEqualTo(row.reason());
    assertThat(f.passing()).as("passing").isEqualTo(row.passing());
    assertThat(f.message()).as("message").contains(row.message());
    assertThat(f.message())
        .doesNotContain(SERVER_TEXT)
        .doesNotContain("c2VjcmV0LXZhbHVl")
        .doesNotContain("is invalid")
        .doesNotContain("boom");
  }

  @Test
  void aPassingFailureIsReportedFromTheThirdAttemptOrTheLast() {
    ReconcileFailure conflict = ReconcileFailure.of(server(409));
    assertThat(conflict.reportAt(0, false)).as("attempt unknown").isFalse();
    assertThat(conflict.reportAt(1, false)).isFalse();
    assertThat(conflict.reportAt(2, false)).isFalse();
    assertThat(conflict.reportAt(3, false)).isTrue();
    assertThat(conflict.reportAt(4, false)).isTrue();
    assertThat(conflict.reportAt(1, true)).as("the last attempt").isTrue();
  }

  @Test
  void aFailureThatNeedsAFixIsReportedAtOnce() {
    ReconcileFailure rejected = ReconcileFailure.of(new IssuanceException(ISSUANCE_MESSAGE, 422));
    assertThat(rejected.reportAt(0, false)).isTrue();
    assertThat(rejected.reportAt(1, false)).isTrue();
    assertThat(ReconcileFailure.of(server(403)).reportAt(1, false)).isTrue();
  }

  static Arguments row(
      String situation, Exception e, String reason, boolean passing, String message) {
    return Arguments.of(new Row(situation, e, reason, passing, message));
  }

  /** An API server's answer with its code, and a message quoting what was sent. */
  static KubernetesClientException server(int code) {
    Status status =
        new StatusBuilder()
            .withCode(code)
            .withMessage(SERVER_TEXT)
            .withReason("Invalid")
            .withStatus("Failure")
            .build();
    return new KubernetesClientException(status);
  }
}
