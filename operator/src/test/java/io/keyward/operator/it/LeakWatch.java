package io.keyward.operator.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.issuance.Fingerprint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What must never leak, recorded over the whole *IT run and looked for after every class.
 *
 * <p>From the moment the suite's API server is up, it watches every Keyward Secret (the key Secrets
 * and the TOTP enrolment Secrets) and remembers each secret value any version of them held, and
 * watches every ApiUser and ApiKey and remembers each TOTP code put on one. After each class that
 * runs on the real cluster ({@link RealCluster} calls {@link #assertNoLeaks()}), so also after the
 * last one whatever the order, it looks for all of them in the operator log (its JSON lines read
 * field by field, values unescaped), every Event, ApiKey and ApiUser, and the Secrets' labels and
 * annotations. None may appear there.
 */
final class LeakWatch {
  static final String CODE_ANNOTATION = "keyward.io/totp-code";
  static final String LOG = "operator log";
  static final String EVENTS = "events";

  private static final Set<String> NON_SECRET_DATA_KEYS =
      Set.of("accessKey", "ACCESS_KEY", "algorithm", "expiresAt", "previousAccessKey");
  private static final Set<String> SECRET_VALUES = ConcurrentHashMap.newKeySet();
  private static final Set<String> CODES = ConcurrentHashMap.newKeySet();
  private static final Pattern ANNOTATED_CODE = Pattern.compile("totp-code[\\s\"'=:]+[0-9]{6}");
  private static final Pattern SIX_DIGITS = Pattern.compile("(?<![0-9])[0-9]{6}(?![0-9])");
  private static KubernetesClient client;

  private LeakWatch() {}

  /** Starts recording on the suite's server; once. */
  static synchronized void start(KubernetesClient suiteClient) {
    if (client != null) {
      return;
    }
    client = suiteClient;
    record(LeakWatch::managedSecrets, LeakWatch::remember);
    record(() -> client.resources(ApiKey.class).inAnyNamespace(), LeakWatch::rememberCode);
    record(() -> client.resources(ApiUser.class), LeakWatch::rememberCode);
  }

  private static FilterWatchListDeletable<Secret, SecretList, Resource<Secret>> managedSecrets() {
    return client
        .secrets()
        .inAnyNamespace()
        .withLabel(CredentialSecret.MANAGED_BY, CredentialSecret.MANAGED_BY_VALUE);
  }

  /**
   * Lists, then watches from the list's resourceVersion, so no version written after the list is
   * missed; a watch the server ends (410 Gone) starts over the same way.
   */
  private static <T extends HasMetadata> void record(
      Supplier<
              ? extends
                  FilterWatchListDeletable<
                      T, ? extends KubernetesResourceList<T>, ? extends Resource<T>>>
          resources,
      Consumer<T> remember) {
    KubernetesResourceList<T> list = resources.get().list();
    list.getItems().forEach(remember);
    resources
        .get()
        .watch(
            new ListOptionsBuilder()
                .withResourceVersion(list.getMetadata().getResourceVersion())
                .build(),
            new Watcher<T>() {
              @Override
              public void eventReceived(Action action, T resource) {
                remember.accept(resource);
              }

              @Override
              public void onClose(WatcherException cause) {
                Thread restart = new Thread(() -> record(resources, remember), "leak-watch");
                restart.setDaemon(true);
                restart.start();
              }
            });
  }

  /** Records a Secret's secret values as they could appear anywhere: encoded, plain, by line. */
  static void remember(Secret secret) {
    if (secret.getData() == null) {
      return;
    }
    // Access keys are public (status, events, audit): under their renamed data key too.
    String accessKeyName = CredentialSecret.dataKeys(secret, "accessKey", "secretKey")[0];
    secret
        .getData()
        .forEach(
            (k, v) -> {
              if (NON_SECRET_DATA_KEYS.contains(k) || k.equals(accessKeyName) || v == null) {
                return;
              }
              SECRET_VALUES.add(v);
              String plain;
              try {
                plain = new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8);
              } catch (IllegalArgumentException notBase64) {
                return;
              }
              SECRET_VALUES.add(plain);
              // A PEM key's body lines would give it away one line at a time.
              for (String line : plain.split("\n")) {
                // Trimmed first: a line of NULs or spaces is no secret, and an empty needle
                // would match everywhere.
                String trimmed = line.trim();
                if (trimmed.length() >= 16 && !trimmed.startsWith("-----")) {
                  SECRET_VALUES.add(trimmed);
                }
              }
            });
  }

  private static void rememberCode(HasMetadata resource) {
    Map<String, String> annotations = resource.getMetadata().getAnnotations();
    if (annotations != null && annotations.get(CODE_ANNOTATION) != null) {
      // A key's code names the generation it approves: <code>@<generation>.
      CODES.add(annotations.get(CODE_ANNOTATION).split("@", 2)[0].trim());
    }
  }

  /** Every secret value seen so far in the run. */
  static Set<String> secretValues() {
    return Set.copyOf(SECRET_VALUES);
  }

  /** Every TOTP code submitted so far in the run. */
  static Set<String> codes() {
    return Set.copyOf(CODES);
  }

  /**
   * The places no secret may appear, as text: the operator log, and every Event, ApiKey, ApiUser
   * and Keyward Secret's metadata now. Also records what the server holds now, in case a watch has
   * not delivered the last writes yet.
   */
  static Map<String, String> places() throws IOException {
    List<Secret> secrets = managedSecrets().list().getItems();
    secrets.forEach(LeakWatch::remember);
    List<ApiKey> keys = client.resources(ApiKey.class).inAnyNamespace().list().getItems();
    List<ApiUser> users = client.resources(ApiUser.class).list().getItems();
    keys.forEach(LeakWatch::rememberCode);
    users.forEach(LeakWatch::rememberCode);

    Map<String, String> places = new LinkedHashMap<>();
    places.put(LOG, logText());
    places.put(
        EVENTS, Serialization.asYaml(client.v1().events().inAnyNamespace().list().getItems()));
    places.put("apikeys", Serialization.asYaml(keys));
    places.put("apiusers", Serialization.asYaml(users));
    StringBuilder metadata = new StringBuilder();
    for (Secret s : secrets) {
      metadata.append(Serialization.asYaml(s.getMetadata()));
    }
    places.put("secret metadata", metadata.toString());
    return places;
  }

  /**
   * The operator log as its readers see it: each JSON line's fields with their values unescaped
   * ({@link OperatorLog#text}), so a value is found whatever the JSON text escaped in it; a line
   * that is not JSON as it is.
   */
  static String logText() {
    StringBuilder text = new StringBuilder();
    for (String line : OperatorLog.lines()) {
      try {
        text.append(OperatorLog.text(OperatorLog.parse(line)));
      } catch (IllegalArgumentException notJson) {
        text.append(line).append('\n');
      }
    }
    return text.toString();
  }

  /** Nothing recorded so far appears in any of the places now. */
  static void assertNoLeaks() throws IOException {
    assertNoLeaks(places());
  }

  /** Nothing recorded so far appears in any of these places. */
  static void assertNoLeaks(Map<String, String> places) {
    assertThat(leaks(places, secretValues(), codes()))
        .as("secret values or TOTP codes where they must not be")
        .isEmpty();
  }

  /**
   * Each occurrence of a secret value in a place, of a TOTP code with its annotation in a place,
   * and of a submitted code in the log or the events; described without the value itself.
   */
  static List<String> leaks(Map<String, String> places, Set<String> secrets, Set<String> codes) {
    List<String> leaks = new ArrayList<>();
    for (var place : places.entrySet()) {
      String text = place.getValue();
      for (var hit : occurrences(text, secrets)) {
        leaks.add(
            "a secret value (fingerprint %s, %d characters) in the %s: %s"
                .formatted(
                    Fingerprint.of(hit.getValue()),
                    hit.getValue().length(),
                    place.getKey(),
                    around(text, hit.getKey(), hit.getValue().length())));
      }
      Matcher annotated = ANNOTATED_CODE.matcher(text);
      while (annotated.find()) {
        leaks.add(
            "a TOTP code with its annotation in the %s: %s"
                .formatted(
                    place.getKey(),
                    around(text, annotated.start(), annotated.end() - annotated.start())));
      }
      if (place.getKey().equals(LOG) || place.getKey().equals(EVENTS)) {
        Matcher digits = SIX_DIGITS.matcher(text);
        while (digits.find()) {
          if (codes.contains(digits.group())) {
            leaks.add(
                "a submitted TOTP code in the %s: %s"
                    .formatted(place.getKey(), around(text, digits.start(), 6)));
          }
        }
      }
    }
    return leaks;
  }

  /** How many different six-digit numbers a text holds: what a random code could collide with. */
  static long sixDigitNumbers(String text) {
    return SIX_DIGITS.matcher(text).results().map(r -> r.group()).distinct().count();
  }

  private static final int WINDOW = 16;
  private static final long BASE = 1_000_003L;

  /**
   * Where any of the needles occurs in the text (start, needle), in one pass over the text however
   * many needles: a rolling hash of 16 characters finds the candidates, each checked in full. By
   * the end of a run the log is about 18 MB and the needles are hundreds, searched after every
   * class: an indexOf per needle would read the log hundreds of times each time.
   */
  static List<Map.Entry<Integer, String>> occurrences(String text, Collection<String> needles) {
    List<Map.Entry<Integer, String>> hits = new ArrayList<>();
    Map<Long, List<String>> byHead = new HashMap<>();
    boolean[] maybe = new boolean[SLOTS];
    for (String needle : needles) {
      if (needle.length() < WINDOW) {
        for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
          hits.add(Map.entry(at, needle));
        }
      } else {
        long head = hash(needle);
        byHead.computeIfAbsent(head, h -> new ArrayList<>()).add(needle);
        maybe[slot(head)] = true;
      }
    }
    if (byHead.isEmpty() || text.length() < WINDOW) {
      return hits;
    }
    long top = 1; // BASE^(WINDOW-1), the weight of the character leaving the window
    for (int i = 1; i < WINDOW; i++) {
      top *= BASE;
    }
    long h = 0;
    for (int i = 0; i < text.length(); i++) {
      if (i >= WINDOW) {
        h -= text.charAt(i - WINDOW) * top;
      }
      h = h * BASE + text.charAt(i);
      if (i >= WINDOW - 1 && maybe[slot(h)]) {
        List<String> candidates = byHead.get(h);
        if (candidates != null) {
          int start = i - WINDOW + 1;
          for (String needle : candidates) {
            if (text.startsWith(needle, start)) {
              hits.add(Map.entry(start, needle));
            }
          }
        }
      }
    }
    return hits;
  }

  private static final int SLOTS = 1 << 20;

  /** A cheap first look that spares the map lookup at almost every position. */
  private static int slot(long h) {
    return (int) (h ^ (h >>> 29) ^ (h >>> 43)) & (SLOTS - 1);
  }

  private static long hash(String s) {
    long h = 0;
    for (int i = 0; i < WINDOW; i++) {
      h = h * BASE + s.charAt(i);
    }
    return h;
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
