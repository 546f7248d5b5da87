package io.keyward.operator.apiuser;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyward.operator.apiuser.AccountCheck.Account;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccountCheckTest {
  @Test
  void readyAccountLetsTheKeyThrough() {
    Account a = new Account("alice", true, List.of("trading"), false, false, false);
    assertThat(AccountCheck.check(a, "trading")).isEmpty();
    Account any = new Account("alice", true, List.of("*"), false, true, true);
    assertThat(AccountCheck.check(any, "whatever")).isEmpty();
  }

  @Test
  void reasonsInOrder() {
    assertThat(AccountCheck.check(Account.missing("bob"), "ns").orElseThrow())
        .extracting(AccountCheck.Block::phase, AccountCheck.Block::reason)
        .containsExactly("Pending", "UserNotFound");
    Account other = new Account("alice", true, List.of("a"), true, true, false);
    assertThat(AccountCheck.check(other, "b").orElseThrow().reason())
        .isEqualTo("NamespaceNotAllowed");
    assertThat(AccountCheck.check(other, "a").orElseThrow().reason()).isEqualTo("UserSuspended");
    Account mfa = new Account("alice", true, List.of("a"), false, true, false);
    assertThat(AccountCheck.check(mfa, "a").orElseThrow())
        .extracting(AccountCheck.Block::phase, AccountCheck.Block::reason)
        .containsExactly("AwaitingVerification", "MfaNotEnrolled");
  }

  @Test
  void unconfirmedMfaBlocksOnlyKeysNotIssuedYet() {
    Account mfa = new Account("alice", true, List.of("a"), false, true, false);
    assertThat(AccountCheck.check(mfa, "a", true)).isEmpty();
    Account suspended = new Account("alice", true, List.of("a"), true, true, false);
    assertThat(AccountCheck.check(suspended, "a", true).orElseThrow().reason())
        .isEqualTo("UserSuspended");
  }
}
