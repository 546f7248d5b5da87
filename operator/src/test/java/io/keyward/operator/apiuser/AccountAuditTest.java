package io.keyward.operator.apiuser;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.audit.AuditLog;
import io.keyward.operator.kube.StatusWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * An account's settings are audited once per change, from what to what, against what the last
 * status write recorded: a creation, a suspension, a raised limit, MFA turned off; nothing for an
 * edit that changes none of them, nor for a reconciliation that finds nothing new.
 */
class AccountAuditTest {
  private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
  private static final int DEFAULT_LIMIT = 5;

  private final ApiUserSpec spec = new ApiUserSpec();
  private long generation = 1;

  AccountAuditTest() {
    spec.namespaces = List.of("trading");
    spec.mfa = new ApiUserSpec.MfaSpec();
    spec.mfa.totp = "Required";
  }

  /** One reconciliation of the user as it is declared now, on the status the server has. */
  private UserStatus.Next reconcile(ApiUserStatus server) {
    boolean mfa = !"Disabled".equals(spec.mfa.totp);
    boolean suspended = Boolean.TRUE.equals(spec.suspended);
    int limit = spec.maxKeys != null ? spec.maxKeys : DEFAULT_LIMIT;
    UserFacts f =
        new UserFacts(
            NOW,
            "alice",
            generation,
            server,
            List.of(),
            mfa,
            suspended,
            "keyward-system/alice-totp",
            mfa ? new UserFacts.Enrolment.Missing() : null,
            server.mfa == null || server.mfa.sealedSeed == null
                ? UserFacts.Seed.NONE
                : UserFacts.Seed.SEALED,
            false,
            null,
            limit,
            AccountAudit.settings(spec, mfa, suspended, limit));
    UserPlan plan = UserPlanner.plan(f);
    ApiUserStatus copy = StatusWriter.copy(server, ApiUserStatus.class, ApiUserStatus::new);
    return UserStatus.build(f, plan, UserStatus.Done.NOTHING, copy, new FakeSeeds());
  }

  private UserStatus.Next edit(ApiUserStatus server, Consumer<ApiUserSpec> change) {
    change.accept(spec);
    generation++;
    return reconcile(server);
  }

  @Test
  void eachChangeOfTheAccountIsOneRecordFromWhatToWhat() {
    UserStatus.Next created = reconcile(new ApiUserStatus());
    assertThat(created.account().action()).isEqualTo(AuditLog.Action.ACCOUNT_CREATED);
    assertThat(created.account().changes())
        .containsExactly(
            entry("totp", null, "Required"),
            entry("maxKeys", null, 5),
            entry("suspended", null, false),
            entry("namespaces", null, List.of("trading")));
    ApiUserStatus server = created.status();
    assertThat(server.account.maxKeys).isEqualTo(5);

    UserStatus.Next again = reconcile(server);
    assertThat(again.account()).as("a reconciliation that finds nothing new").isNull();
    assertThat(again.status()).isEqualTo(server);

    UserStatus.Next suspended = edit(server, s -> s.suspended = true);
    assertThat(suspended.account().action()).isEqualTo(AuditLog.Action.ACCOUNT_CHANGED);
    assertThat(suspended.account().changes()).containsExactly(entry("suspended", false, true));
    assertThat(suspended.account().detail()).isNull();
    server = suspended.status();

    UserStatus.Next raised = edit(server, s -> s.maxKeys = 10);
    assertThat(raised.account().changes()).containsExactly(entry("maxKeys", 5, 10));
    server = raised.status();

    UserStatus.Next mfaOff = edit(server, s -> s.mfa.totp = "Disabled");
    assertThat(mfaOff.account().changes()).containsExactly(entry("totp", "Required", "Disabled"));
    server = mfaOff.status();

    UserStatus.Next widened =
        edit(server, s -> s.namespaces = new ArrayList<>(Arrays.asList("trading", "*")));
    assertThat(widened.account().changes())
        .containsExactly(entry("namespaces", List.of("trading"), List.of("trading", "*")));
    server = widened.status();

    UserStatus.Next renamed = edit(server, s -> s.displayName = "Alice's desk");
    assertThat(renamed.account()).as("displayName is not an account setting").isNull();
  }

  @Test
  void theLimitInForceIsAudited() {
    ApiUserStatus server = reconcile(new ApiUserStatus()).status();
    UserStatus.Next same = edit(server, s -> s.maxKeys = DEFAULT_LIMIT);
    assertThat(same.account())
        .as("spec.maxKeys set to the default: the limit is the same")
        .isNull();
  }

  @Test
  void aUserReconciledBeforeTheRecordExistedIsAuditedOnceWithUnknownEarlierSettings() {
    ApiUserStatus old = reconcile(new ApiUserStatus()).status();
    old.account = null;
    UserStatus.Next first = reconcile(old);
    assertThat(first.account().action()).isEqualTo(AuditLog.Action.ACCOUNT_CHANGED);
    assertThat(first.account().detail()).contains("earlier settings unknown");
    assertThat(first.account().changes()).hasSize(4);
    assertThat(reconcile(first.status()).account()).isNull();
  }

  @Test
  void theStatusRecordIsPartOfTheStatusEquality() {
    ApiUserStatus a = reconcile(new ApiUserStatus()).status();
    ApiUserStatus b = StatusWriter.copy(a, ApiUserStatus.class, ApiUserStatus::new);
    assertThat(b).isEqualTo(a);
    b.account.suspended = true;
    assertThat(b).isNotEqualTo(a);
  }

  private static java.util.Map.Entry<String, AuditLog.Change> entry(
      String setting, Object from, Object to) {
    return java.util.Map.entry(setting, new AuditLog.Change(from, to));
  }
}
