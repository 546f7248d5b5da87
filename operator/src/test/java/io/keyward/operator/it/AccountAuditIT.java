package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.api.ApiUserStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every change of an ApiUser's account settings is one audit record saying what changed from what
 * to what: the creation, a suspension, a raised limit, MFA turned off. An edit of something else is
 * not one, and neither is an operator restart: the settings last audited are in the user's status,
 * which the restarted operator reads.
 */
@ExtendWith(RealCluster.class)
class AccountAuditIT {
  private static final String NS = "account-audit";
  private static final String USER = "audra";
  private static RunningOperator operator;

  @BeforeAll
  static void start() {
    RealCluster.namespace(NS);
    RealCluster.namespace("keyward-system");
    operator = RunningOperator.start(Map.of());
  }

  @AfterAll
  static void stop() {
    operator.close();
  }

  /** The user's account records in the operator log, each as action and changes. */
  private static List<String> records() {
    return OperatorLog.audit().stream()
        .filter(r -> USER.equals(r.path("user").asText()))
        .filter(r -> r.path("action").asText().startsWith("ACCOUNT_"))
        .map(r -> r.path("action").asText() + " " + r.path("changes"))
        .toList();
  }

  private static List<String> awaitRecords(int n) {
    return await().atMost(WAIT).until(AccountAuditIT::records, l -> l.size() >= n);
  }

  private static ApiUser awaitAccount(Predicate<ApiUserStatus.AccountSettings> until) {
    return awaitUser(
        USER,
        u ->
            u.getStatus() != null
                && u.getStatus().account != null
                && until.test(u.getStatus().account));
  }

  @Test
  void eachChangeOfTheAccountIsOneAuditRecord() {
    ApiUser u = new ApiUser();
    u.setMetadata(new ObjectMetaBuilder().withName(USER).build());
    u.setSpec(new ApiUserSpec());
    u.getSpec().namespaces = List.of(NS);
    u.getSpec().mfa = new ApiUserSpec.MfaSpec();
    u.getSpec().mfa.totp = "Required";
    client().resource(u).create();
    awaitAccount(a -> "Required".equals(a.totp));
    assertThat(awaitRecords(1))
        .containsExactly(
            "ACCOUNT_CREATED {\"totp\":{\"from\":null,\"to\":\"Required\"},"
                + "\"maxKeys\":{\"from\":null,\"to\":5},"
                + "\"suspended\":{\"from\":null,\"to\":false},"
                + "\"namespaces\":{\"from\":null,\"to\":[\""
                + NS
                + "\"]}}");

    editUser(
        USER,
        x -> {
          x.getSpec().suspended = true;
          return x;
        });
    awaitAccount(a -> Boolean.TRUE.equals(a.suspended));
    assertThat(awaitRecords(2).get(1))
        .isEqualTo("ACCOUNT_CHANGED {\"suspended\":{\"from\":false,\"to\":true}}");

    editUser(
        USER,
        x -> {
          x.getSpec().maxKeys = 12;
          return x;
        });
    awaitAccount(a -> a.maxKeys == 12);
    assertThat(awaitRecords(3).get(2))
        .isEqualTo("ACCOUNT_CHANGED {\"maxKeys\":{\"from\":5,\"to\":12}}");

    editUser(
        USER,
        x -> {
          x.getSpec().mfa.totp = "Disabled";
          return x;
        });
    awaitAccount(a -> "Disabled".equals(a.totp));
    assertThat(awaitRecords(4).get(3))
        .isEqualTo("ACCOUNT_CHANGED {\"totp\":{\"from\":\"Required\",\"to\":\"Disabled\"}}");

    // Neither an edit of something else nor a restart is a change of the account.
    ApiUser renamed =
        editUser(
            USER,
            x -> {
              x.getSpec().displayName = "Audra";
              return x;
            });
    long generation = renamed.getMetadata().getGeneration();
    awaitUser(USER, x -> x.getStatus().observedGeneration == generation);
    operator.restart();
    editUser(
        USER,
        x -> {
          x.getSpec().displayName = "Audra's desk";
          return x;
        });
    awaitUser(USER, x -> x.getStatus().observedGeneration == generation + 1);
    await()
        .during(Duration.ofSeconds(2))
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(records()).hasSize(4));
  }
}
