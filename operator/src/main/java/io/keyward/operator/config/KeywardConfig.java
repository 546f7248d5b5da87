package io.keyward.operator.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.keyward.operator.validation.DurationSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The operator's one typed configuration. Sources, later winning: the defaults below, the YAML file
 * ({@code KEYWARD_CONFIG_FILE}, default {@code /etc/keyward/config.yaml} when present), the
 * environment ({@code limits.minValidity} is {@code KEYWARD_LIMITS_MIN_VALIDITY}).
 */
public record KeywardConfig(
    int keysPerUser,
    int ipsPerKey,
    Duration minValidity,
    Duration maxValidity,
    Duration maxKeyLifetime,
    Duration minRotationInterval,
    Duration defaultValidity,
    Duration defaultRenewBefore,
    Duration defaultGracePeriod,
    String operatorNamespace,
    Set<String> watchNamespaces,
    boolean leaderElection,
    String leaseName,
    int metricsPort,
    Admission admission) {

  /**
   * The validating admission webhook ({@code admission.*}): served by every replica, with its own
   * serving certificate.
   */
  public record Admission(
      boolean enabled,
      String bindAddress,
      int port,
      Certificates certificates,
      String secretName,
      String webhookConfigurationName,
      String serviceName,
      List<String> extraSubjectNames,
      Duration caValidity,
      Duration certificateValidity,
      String operatorUser,
      Set<String> verifierUsers) {
    public Admission {
      extraSubjectNames = List.copyOf(extraSubjectNames);
      verifierUsers = Set.copyOf(verifierUsers);
      if (certificateValidity.compareTo(caValidity) > 0) {
        throw new IllegalArgumentException(
            "configuration admission.certificateValidity must not exceed admission.caValidity");
      }
    }
  }

  /** Who makes the webhook's serving certificate. */
  public enum Certificates {
    /** The operator: its own CA and serving certificate in a Secret, and the caBundle kept. */
    Operator,
    /** cert-manager writes the Secret and injects the caBundle; the operator only reads it. */
    CertManager
  }

  public static final ConfigOption<Integer> KEYS_PER_USER =
      new ConfigOption<>(
          "limits.keysPerUser",
          "5",
          "Keys a user may hold at once when the ApiUser sets no maxKeys.",
          positiveInt());
  public static final ConfigOption<Integer> IPS_PER_KEY =
      new ConfigOption<>(
          "limits.ipsPerKey",
          "4",
          "IP addresses one key may be bound to (the CRD allows at most 4).",
          positiveInt());
  public static final ConfigOption<Duration> MIN_VALIDITY =
      new ConfigOption<>(
          "limits.minValidity", "1h", "The shortest validity a key may ask for.", duration());
  public static final ConfigOption<Duration> MAX_VALIDITY =
      new ConfigOption<>(
          "limits.maxValidity", "365d", "The longest validity a key may ask for.", duration());
  public static final ConfigOption<Duration> MAX_KEY_LIFETIME =
      new ConfigOption<>(
          "limits.maxKeyLifetime",
          "365d",
          "How long one key may live through extensions before a rotation is forced; at least"
              + " limits.maxValidity.",
          duration());
  public static final ConfigOption<Duration> MIN_ROTATION_INTERVAL =
      new ConfigOption<>(
          "limits.minRotationInterval",
          "30m",
          "The shortest time between a key's issuance and its rotation: a keyward.io/rotate"
              + " within it is deferred to its end, a renewal.before that would rotate sooner is"
              + " refused; 0s turns it off. At most limits.minValidity.",
          duration());
  public static final ConfigOption<Duration> DEFAULT_VALIDITY =
      new ConfigOption<>(
          "defaults.validity", "90d", "Validity of a key that sets none.", duration());
  public static final ConfigOption<Duration> DEFAULT_RENEW_BEFORE =
      new ConfigOption<>(
          "defaults.renewBefore",
          "14d",
          "How long before expiry the renewal policy acts, when a key sets no renewal.before"
              + " (at most a third of the key's validity when defaulted).",
          duration());
  public static final ConfigOption<Duration> DEFAULT_GRACE_PERIOD =
      new ConfigOption<>(
          "defaults.gracePeriod",
          "24h",
          "How long the previous key still verifies after a rotation, when a key sets no"
              + " renewal.gracePeriod (at most the key's validity when defaulted).",
          duration());
  public static final ConfigOption<String> OPERATOR_NAMESPACE =
      new ConfigOption<>(
          "operator.namespace",
          "keyward-system",
          "The operator's own namespace: TOTP enrolment Secrets and the leader Lease live here.",
          Function.identity());
  public static final ConfigOption<Set<String>> WATCH_NAMESPACES =
      new ConfigOption<>(
          "operator.watchNamespaces",
          "",
          "Comma-separated namespaces whose ApiKeys are reconciled; empty means all.",
          KeywardConfig::namespaceSet);
  public static final ConfigOption<Boolean> LEADER_ELECTION =
      new ConfigOption<>(
          "operator.leaderElection.enabled",
          "false",
          "Elect one active replica through a Lease (turn on when running more than one).",
          KeywardConfig::bool);
  public static final ConfigOption<String> LEASE_NAME =
      new ConfigOption<>(
          "operator.leaderElection.leaseName",
          "keyward-operator",
          "The name of the leader-election Lease.",
          Function.identity());

  public static final ConfigOption<Integer> METRICS_PORT =
      new ConfigOption<>(
          "operator.metricsPort",
          "8080",
          "Port of the HTTP endpoint serving /metrics (Prometheus), /healthz and /readyz; 0 turns"
              + " it off.",
          KeywardConfig::port);

  public static final ConfigOption<Boolean> ADMISSION_ENABLED =
      new ConfigOption<>(
          "admission.enabled",
          "false",
          "Serve the validating admission webhook (on every replica; the chart turns it on).",
          KeywardConfig::bool);
  public static final ConfigOption<String> ADMISSION_BIND_ADDRESS =
      new ConfigOption<>(
          "admission.bindAddress",
          "0.0.0.0",
          "The address the webhook's HTTPS endpoint listens on.",
          Function.identity());
  public static final ConfigOption<Integer> ADMISSION_PORT =
      new ConfigOption<>(
          "admission.port",
          "9443",
          "Port of the webhook's HTTPS endpoint (path /validate); 0 picks a free one.",
          KeywardConfig::port);
  public static final ConfigOption<Certificates> ADMISSION_CERTIFICATES =
      new ConfigOption<>(
          "admission.certificates",
          "Operator",
          "Who makes the serving certificate: Operator (its own CA, kept in admission.secretName,"
              + " renewed, and the caBundle of the webhook configuration kept current) or"
              + " CertManager (cert-manager writes the Secret and injects the caBundle).",
          KeywardConfig::certificates);
  public static final ConfigOption<String> ADMISSION_SECRET_NAME =
      new ConfigOption<>(
          "admission.secretName",
          "keyward-webhook-tls",
          "The Secret in the operator's namespace that holds the webhook's CA and serving"
              + " certificate.",
          Function.identity());
  public static final ConfigOption<String> ADMISSION_WEBHOOK_CONFIGURATION_NAME =
      new ConfigOption<>(
          "admission.webhookConfigurationName",
          "keyward",
          "The ValidatingWebhookConfiguration whose caBundle the operator keeps current.",
          Function.identity());
  public static final ConfigOption<String> ADMISSION_SERVICE_NAME =
      new ConfigOption<>(
          "admission.serviceName",
          "keyward-webhook",
          "The Service in front of the webhook; the serving certificate names it.",
          Function.identity());
  public static final ConfigOption<List<String>> ADMISSION_EXTRA_SUBJECT_NAMES =
      new ConfigOption<>(
          "admission.extraSubjectNames",
          "",
          "Comma-separated extra DNS names or IP addresses for the serving certificate.",
          KeywardConfig::list);
  public static final ConfigOption<Duration> ADMISSION_CA_VALIDITY =
      new ConfigOption<>(
          "admission.caValidity",
          "365d",
          "Validity of the operator's webhook CA; a new one is made when a third is left.",
          duration());
  public static final ConfigOption<Duration> ADMISSION_CERTIFICATE_VALIDITY =
      new ConfigOption<>(
          "admission.certificateValidity",
          "90d",
          "Validity of the serving certificate; it is renewed when a third is left.",
          duration());
  public static final ConfigOption<String> ADMISSION_OPERATOR_USER =
      new ConfigOption<>(
          "admission.operatorUser",
          "",
          "The operator's own user name, the only one whose status writes are allowed; empty:"
              + " read from the pod's service account token.",
          Function.identity());
  public static final ConfigOption<Set<String>> ADMISSION_VERIFIER_USERS =
      new ConfigOption<>(
          "admission.verifierUsers",
          "",
          "Comma-separated user names (the verifier's service accounts) that may write"
              + " status.lastUsedAt of ApiKeys and nothing else.",
          KeywardConfig::namespaceSet);

  /** Every option, in documentation order. */
  public static final List<ConfigOption<?>> OPTIONS =
      List.of(
          KEYS_PER_USER,
          IPS_PER_KEY,
          MIN_VALIDITY,
          MAX_VALIDITY,
          MAX_KEY_LIFETIME,
          MIN_ROTATION_INTERVAL,
          DEFAULT_VALIDITY,
          DEFAULT_RENEW_BEFORE,
          DEFAULT_GRACE_PERIOD,
          OPERATOR_NAMESPACE,
          WATCH_NAMESPACES,
          LEADER_ELECTION,
          LEASE_NAME,
          METRICS_PORT,
          ADMISSION_ENABLED,
          ADMISSION_BIND_ADDRESS,
          ADMISSION_PORT,
          ADMISSION_CERTIFICATES,
          ADMISSION_SECRET_NAME,
          ADMISSION_WEBHOOK_CONFIGURATION_NAME,
          ADMISSION_SERVICE_NAME,
          ADMISSION_EXTRA_SUBJECT_NAMES,
          ADMISSION_CA_VALIDITY,
          ADMISSION_CERTIFICATE_VALIDITY,
          ADMISSION_OPERATOR_USER,
          ADMISSION_VERIFIER_USERS);

  public KeywardConfig {
    if (minValidity.compareTo(maxValidity) > 0) {
      throw new IllegalArgumentException(
          "configuration limits.minValidity must not exceed limits.maxValidity");
    }
    if (defaultValidity.compareTo(minValidity) < 0 || defaultValidity.compareTo(maxValidity) > 0) {
      throw new IllegalArgumentException(
          "configuration defaults.validity must lie within limits.minValidity and"
              + " limits.maxValidity");
    }
    if (maxValidity.compareTo(maxKeyLifetime) > 0) {
      throw new IllegalArgumentException(
          "configuration limits.maxValidity must not exceed limits.maxKeyLifetime (a key may not"
              + " outlive the lifetime cap on the day it is issued)");
    }
    if (minRotationInterval.compareTo(minValidity) > 0) {
      throw new IllegalArgumentException(
          "configuration limits.minRotationInterval must not exceed limits.minValidity (a key of"
              + " the shortest validity would have to rotate before the interval is over)");
    }
    if (ipsPerKey > 4) {
      throw new IllegalArgumentException(
          "configuration limits.ipsPerKey: at most 4 (the CRD schema allows no more)");
    }
    watchNamespaces = Set.copyOf(watchNamespaces);
  }

  /** The defaults alone. */
  public static KeywardConfig defaults() {
    return from(Map.of());
  }

  /** Reads the file named by the environment (if any) and the environment itself. */
  public static KeywardConfig load(Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>();
    String file = env.getOrDefault("KEYWARD_CONFIG_FILE", "/etc/keyward/config.yaml");
    Path path = Path.of(file);
    if (Files.isRegularFile(path)) {
      values.putAll(readYaml(path));
    } else if (env.containsKey("KEYWARD_CONFIG_FILE")) {
      throw new IllegalArgumentException("KEYWARD_CONFIG_FILE names no file: " + file);
    }
    for (ConfigOption<?> option : OPTIONS) {
      String v = env.get(option.envName());
      if (v != null) {
        values.put(option.path(), v);
      }
    }
    return from(values);
  }

  /** Builds a configuration from values keyed by option path; missing ones take the default. */
  public static KeywardConfig from(Map<String, String> values) {
    Set<String> known = OPTIONS.stream().map(ConfigOption::path).collect(Collectors.toSet());
    for (String key : values.keySet()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException(
            "unknown configuration setting " + key + "; known: " + String.join(", ", known));
      }
    }
    return new KeywardConfig(
        get(values, KEYS_PER_USER),
        get(values, IPS_PER_KEY),
        get(values, MIN_VALIDITY),
        get(values, MAX_VALIDITY),
        get(values, MAX_KEY_LIFETIME),
        get(values, MIN_ROTATION_INTERVAL),
        get(values, DEFAULT_VALIDITY),
        get(values, DEFAULT_RENEW_BEFORE),
        get(values, DEFAULT_GRACE_PERIOD),
        get(values, OPERATOR_NAMESPACE),
        get(values, WATCH_NAMESPACES),
        get(values, LEADER_ELECTION),
        get(values, LEASE_NAME),
        get(values, METRICS_PORT),
        new Admission(
            get(values, ADMISSION_ENABLED),
            get(values, ADMISSION_BIND_ADDRESS),
            get(values, ADMISSION_PORT),
            get(values, ADMISSION_CERTIFICATES),
            get(values, ADMISSION_SECRET_NAME),
            get(values, ADMISSION_WEBHOOK_CONFIGURATION_NAME),
            get(values, ADMISSION_SERVICE_NAME),
            get(values, ADMISSION_EXTRA_SUBJECT_NAMES),
            get(values, ADMISSION_CA_VALIDITY),
            get(values, ADMISSION_CERTIFICATE_VALIDITY),
            get(values, ADMISSION_OPERATOR_USER),
            get(values, ADMISSION_VERIFIER_USERS)));
  }

  /** A copy with some settings changed, keyed by option path (for tests and tools). */
  public KeywardConfig with(Map<String, String> overrides) {
    Map<String, String> values = new LinkedHashMap<>(asValues());
    values.putAll(overrides);
    return from(values);
  }

  private Map<String, String> asValues() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put(KEYS_PER_USER.path(), Integer.toString(keysPerUser));
    v.put(IPS_PER_KEY.path(), Integer.toString(ipsPerKey));
    v.put(MIN_VALIDITY.path(), DurationSpec.format(minValidity));
    v.put(MAX_VALIDITY.path(), DurationSpec.format(maxValidity));
    v.put(MAX_KEY_LIFETIME.path(), DurationSpec.format(maxKeyLifetime));
    v.put(MIN_ROTATION_INTERVAL.path(), DurationSpec.format(minRotationInterval));
    v.put(DEFAULT_VALIDITY.path(), DurationSpec.format(defaultValidity));
    v.put(DEFAULT_RENEW_BEFORE.path(), DurationSpec.format(defaultRenewBefore));
    v.put(DEFAULT_GRACE_PERIOD.path(), DurationSpec.format(defaultGracePeriod));
    v.put(OPERATOR_NAMESPACE.path(), operatorNamespace);
    v.put(WATCH_NAMESPACES.path(), String.join(",", watchNamespaces));
    v.put(LEADER_ELECTION.path(), Boolean.toString(leaderElection));
    v.put(LEASE_NAME.path(), leaseName);
    v.put(METRICS_PORT.path(), Integer.toString(metricsPort));
    v.put(ADMISSION_ENABLED.path(), Boolean.toString(admission.enabled()));
    v.put(ADMISSION_BIND_ADDRESS.path(), admission.bindAddress());
    v.put(ADMISSION_PORT.path(), Integer.toString(admission.port()));
    v.put(ADMISSION_CERTIFICATES.path(), admission.certificates().name());
    v.put(ADMISSION_SECRET_NAME.path(), admission.secretName());
    v.put(ADMISSION_WEBHOOK_CONFIGURATION_NAME.path(), admission.webhookConfigurationName());
    v.put(ADMISSION_SERVICE_NAME.path(), admission.serviceName());
    v.put(ADMISSION_EXTRA_SUBJECT_NAMES.path(), String.join(",", admission.extraSubjectNames()));
    v.put(ADMISSION_CA_VALIDITY.path(), DurationSpec.format(admission.caValidity()));
    v.put(
        ADMISSION_CERTIFICATE_VALIDITY.path(),
        DurationSpec.format(admission.certificateValidity()));
    v.put(ADMISSION_OPERATOR_USER.path(), admission.operatorUser());
    v.put(ADMISSION_VERIFIER_USERS.path(), String.join(",", admission.verifierUsers()));
    return v;
  }

  private static <T> T get(Map<String, String> values, ConfigOption<T> option) {
    return option.parse(values.getOrDefault(option.path(), option.defaultValue()));
  }

  /** Flattens nested YAML maps into dotted paths. */
  private static Map<String, String> readYaml(Path path) {
    try {
      JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(path.toFile());
      Map<String, String> out = new LinkedHashMap<>();
      if (root != null && !root.isMissingNode() && !root.isNull()) {
        flatten("", root, out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read configuration file " + path, e);
    }
  }

  private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
    if (node.isObject()) {
      node.fields()
          .forEachRemaining(
              e ->
                  flatten(
                      prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(),
                      e.getValue(),
                      out));
    } else if (node.isArray()) {
      StringBuilder sb = new StringBuilder();
      node.forEach(n -> sb.append(sb.length() == 0 ? "" : ",").append(n.asText()));
      out.put(prefix, sb.toString());
    } else {
      out.put(prefix, node.asText());
    }
  }

  private static Integer port(String s) {
    int p;
    try {
      p = Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + s + "' is not a port number");
    }
    if (p < 0 || p > 65535) {
      throw new IllegalArgumentException(p + " is not a port number (0 to 65535)");
    }
    return p;
  }

  private static Function<String, Integer> positiveInt() {
    return s -> {
      int v = Integer.parseInt(s);
      if (v < 1) {
        throw new IllegalArgumentException("must be at least 1, was " + v);
      }
      return v;
    };
  }

  private static Function<String, Duration> duration() {
    return DurationSpec::parse;
  }

  private static Boolean bool(String s) {
    if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(s);
    }
    throw new IllegalArgumentException("must be true or false, was '" + s + "'");
  }

  private static Certificates certificates(String s) {
    for (Certificates c : Certificates.values()) {
      if (c.name().equals(s.trim())) {
        return c;
      }
    }
    throw new IllegalArgumentException("must be Operator or CertManager, was '" + s + "'");
  }

  private static List<String> list(String s) {
    return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  private static Set<String> namespaceSet(String s) {
    return Arrays.stream(s.split(","))
        .map(String::trim)
        .filter(x -> !x.isEmpty())
        .collect(Collectors.toUnmodifiableSet());
  }
}
