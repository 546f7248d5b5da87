package io.keyward.operator.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.issuance.CredentialSecret;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs last: every secret value any Keyward Secret held during the whole *IT run is looked for in
 * the operator's log (audit lines and exceptions included), in every Event, ApiKey and ApiUser, and
 * in the Secrets' own labels and annotations. None may appear.
 */
@ExtendWith(RealCluster.class)
@Order(Integer.MAX_VALUE)
class NoSecretLeakIT {

  @Test
  void noSecretValueAppearsOutsideItsSecret() throws Exception {
    List<String> secrets = new ArrayList<>(RealCluster.secretValues());
    assertThat(secrets)
        .as("the run must have issued keys for this test to mean anything")
        .hasSizeGreaterThan(20);

    Map<String, String> places = new java.util.LinkedHashMap<>();
    places.put(
        "operator log",
        Files.readString(
            Path.of(System.getProperty("keyward.log.file", "target/it-operator.log"))));
    var client = RealCluster.client();
    places.put(
        "events", Serialization.asYaml(client.v1().events().inAnyNamespace().list().getItems()));
    places.put(
        "apikeys",
        Serialization.asYaml(client.resources(ApiKey.class).inAnyNamespace().list().getItems()));
    places.put("apiusers", Serialization.asYaml(client.resources(ApiUser.class).list().getItems()));
    StringBuilder metadata = new StringBuilder();
    for (Secret s :
        client
            .secrets()
            .inAnyNamespace()
            .withLabel(CredentialSecret.MANAGED_BY, CredentialSecret.MANAGED_BY_VALUE)
            .list()
            .getItems()) {
      metadata.append(Serialization.asYaml(s.getMetadata()));
    }
    places.put("secret metadata", metadata.toString());

    assertThat(places.get("operator log")).contains("\"action\":\"ISSUED\"");
    // TOTP codes: never logged, never in an event, never with their annotation anywhere.
    assertThat(TotpIT.CODES).as("TotpIT must have submitted codes").isNotEmpty();
    java.util.regex.Pattern annotated =
        java.util.regex.Pattern.compile("totp-code[\\s\"'=:]+[0-9]{6}");
    for (var place : places.entrySet()) {
      assertThat(annotated.matcher(place.getValue()).find())
          .as("a TOTP code annotation appears in the %s", place.getKey())
          .isFalse();
    }
    for (String code : TotpIT.CODES) {
      java.util.regex.Pattern bounded =
          java.util.regex.Pattern.compile("(?<![0-9])" + code + "(?![0-9])");
      for (String place : List.of("operator log", "events")) {
        assertThat(bounded.matcher(places.get(place)).find())
            .as("a submitted TOTP code appears in the %s", place)
            .isFalse();
      }
    }
    for (var place : places.entrySet()) {
      for (String secret : secrets) {
        int at = place.getValue().indexOf(secret);
        assertThat(at)
            .as(
                "a secret value (fingerprint %s, %d characters) appears in the %s: %s",
                io.keyward.operator.issuance.Fingerprint.of(secret),
                secret.length(),
                place.getKey(),
                at < 0 ? "" : around(place.getValue(), at, secret.length()))
            .isNegative();
      }
    }
  }

  /** Where a leak is, with the value itself masked, so the report does not leak it again. */
  private static String around(String text, int at, int length) {
    return "..."
        + text.substring(Math.max(0, at - 400), at)
        + "<SECRET>"
        + text.substring(at + length, Math.min(text.length(), at + length + 200))
        + "...";
  }
}
