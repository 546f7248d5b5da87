package io.keyward.operator.mfa;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.keyward.operator.api.ApiUser;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What makes a Secret the operator's enrolment copy: Keyward's metadata and the sealed secret
 * itself. Metadata alone (copied owner reference, labels, type) is an impostor; so is content of
 * another form.
 */
class EnrolmentSecretTest {
  static final Totp TOTP = new Totp();
  static final String NS = "keyward-system";

  final ApiUser user = user("alice", "uid-1");
  final String seed = TOTP.newSecret();

  @Test
  void theOperatorsCopyIsACopy() {
    Secret copy = EnrolmentSecret.build(user, NS, seed);
    assertThat(EnrolmentSecret.isCopyOf(copy, user, seed)).isTrue();
    assertThat(EnrolmentSecret.claimsToBe(copy)).isTrue();
    assertThat(EnrolmentSecret.totpSecret(copy)).contains(seed);
  }

  @Test
  void copiedMetadataWithAnotherSecretIsNoCopy() {
    Secret planted = EnrolmentSecret.build(user, NS, TOTP.newSecret());
    assertThat(EnrolmentSecret.belongsTo(planted, user)).isTrue();
    assertThat(EnrolmentSecret.isCopyOf(planted, user, seed)).isFalse();
  }

  @Test
  void theSameSecretUnderAnotherAccountIsNoCopy() {
    Secret ofEarlier = EnrolmentSecret.build(user("alice", "uid-0"), NS, seed);
    assertThat(EnrolmentSecret.isCopyOf(ofEarlier, user, seed)).isFalse();
  }

  @Test
  void contentThatIsNoTotpSecretIsNone() {
    for (String data :
        new String[] {
          "not base64!", b64("lowercase-is-not-base32"), b64("SHORT"), b64(seed + "\n")
        }) {
      Secret s =
          new SecretBuilder(EnrolmentSecret.build(user, NS, seed))
              .withData(Map.of(EnrolmentSecret.SECRET, data))
              .build();
      assertThat(EnrolmentSecret.totpSecret(s)).as(data).isEmpty();
      assertThat(EnrolmentSecret.isCopyOf(s, user, seed)).as(data).isFalse();
    }
  }

  @Test
  void anotherTypeDoesNotClaimToBeOne() {
    Secret opaque =
        new SecretBuilder(EnrolmentSecret.build(user, NS, seed)).withType("Opaque").build();
    assertThat(EnrolmentSecret.claimsToBe(opaque)).isFalse();
    assertThat(EnrolmentSecret.isCopyOf(opaque, user, seed)).isFalse();
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static ApiUser user(String name, String uid) {
    ApiUser u = new ApiUser();
    u.setMetadata(new ObjectMetaBuilder().withName(name).withUid(uid).build());
    return u;
  }
}
