package io.keyward.operator.validation;

import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.expiry.RenewalPolicy;
import io.keyward.operator.issuance.KeyAlgorithm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Every rule of an ApiKey spec, checked by the operator itself: the schema's rules (CEL is ignored
 * by older API servers, and a schema can be bypassed by an old CRD) and those only the operator
 * knows (configured bounds, immutability against what was issued, map keys). Every string, list and
 * map is held to its bound ({@link ApiKeySpec}'s constants) before anything else is asked of it,
 * and a message quotes a value only as an {@link Excerpt}.
 */
public final class ApiKeyRules {
  /** Violations one message lists; the rest are counted. */
  static final int MESSAGE_VIOLATIONS = 20;

  /** Data keys the Secret always holds besides the (renamable) access and secret keys. */
  public static final List<String> FIXED_DATA_KEYS =
      List.of(
          "algorithm",
          "expiresAt",
          "previousAccessKey",
          "previousSecretKey",
          "passphrase",
          "previousPassphrase");

  private static final Pattern DNS_SUBDOMAIN = Pattern.compile(ApiKeySpec.DNS_SUBDOMAIN_PATTERN);
  private static final Pattern DATA_KEY = Pattern.compile("^[-._a-zA-Z0-9]+$");
  private static final Pattern QUALIFIED_NAME =
      Pattern.compile("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$");
  private static final Pattern LABEL_VALUE = Pattern.compile(ApiKeySpec.LABEL_VALUE_PATTERN);

  private final KeywardConfig config;

  public ApiKeyRules(KeywardConfig config) {
    this.config = config;
  }

  /** What was issued before, for the immutability rules; all null before the first issuance. */
  public record Prior(String user, String type, String secretName) {
    public static final Prior NONE = new Prior(null, null, null);
  }

  /** Either settings or the violations that prevent them. */
  public record Result(KeySettings settings, List<Violation> violations) {
    public boolean valid() {
      return violations.isEmpty();
    }

    /**
     * The violations in one line, each naming its field and rule; past {@value #MESSAGE_VIOLATIONS}
     * of them, the rest are counted, so the message stays bounded.
     */
    public String message() {
      String listed =
          String.join(
              "; ",
              violations.stream().limit(MESSAGE_VIOLATIONS).map(Violation::toString).toList());
      int more = violations.size() - MESSAGE_VIOLATIONS;
      return more > 0 ? listed + "; and " + more + " more" : listed;
    }
  }

  /** Validates and defaults a spec. */
  public Result validate(String keyName, ApiKeySpec spec, Prior prior) {
    List<Violation> v = new ArrayList<>();
    if (spec == null) {
      v.add(new Violation("spec", "is required"));
      return new Result(null, v);
    }

    String user = spec.user;
    if (user == null || user.isEmpty()) {
      v.add(new Violation("spec.user", "is required"));
    } else if (tooLong("spec.user", user, ApiKeySpec.NAME_MAX, v)) {
      // Said; nothing else is asked of an oversized value.
    } else if (!DNS_SUBDOMAIN.matcher(user).matches()) {
      v.add(
          new Violation(
              "spec.user",
              "must be the name of an ApiUser (a DNS subdomain name), was " + Excerpt.of(user)));
    } else if (prior.user() != null && !prior.user().equals(user)) {
      v.add(
          new Violation(
              "spec.user",
              "is immutable (the key was issued for " + Excerpt.of(prior.user()) + ")"));
    }

    String note = spec.note;
    if (note == null || note.isEmpty()) {
      v.add(new Violation("spec.note", "is required and must not be blank"));
    } else if (tooLong("spec.note", note, ApiKeySpec.NOTE_MAX, v)) {
      // Said.
    } else if (Blank.isBlank(note)) {
      v.add(
          new Violation(
              "spec.note",
              "must not be blank (spaces of any kind, zero-width and control characters alone are"
                  + " blank), was "
                  + Excerpt.of(note)));
    }

    String type = spec.type == null ? "spot" : spec.type;
    if (!KeySettings.TYPES.contains(type)) {
      v.add(
          new Violation(
              "spec.type", "must be one of spot, margin, futures (was " + Excerpt.of(type) + ")"));
    } else if (prior.type() != null && !prior.type().equals(type)) {
      v.add(
          new Violation(
              "spec.type",
              "is immutable (the key was issued as " + Excerpt.of(prior.type()) + ")"));
    }

    List<String> ips = ipWhitelist(spec.ipWhitelist, v);
    List<String> permissions = permissions(spec.permissions, ips, v);
    Duration validity = validity(spec.validity, v);

    ApiKeySpec.Renewal renewal = spec.renewal == null ? new ApiKeySpec.Renewal() : spec.renewal;
    RenewalPolicy policy = RenewalPolicy.Rotate;
    if (renewal.policy != null) {
      try {
        policy = RenewalPolicy.valueOf(renewal.policy);
      } catch (IllegalArgumentException e) {
        v.add(
            new Violation(
                "spec.renewal.policy",
                "must be one of Rotate, Extend, Never (was " + Excerpt.of(renewal.policy) + ")"));
      }
    }
    // Defaults shrink to fit a short validity, as cert-manager's renewBefore does; explicit values
    // are held to the rules below.
    Duration before =
        duration("spec.renewal.before", renewal.before, defaultRenewBefore(validity, policy), v);
    Duration grace =
        duration(
            "spec.renewal.gracePeriod",
            renewal.gracePeriod,
            validity == null
                ? config.defaultGracePeriod()
                : min(config.defaultGracePeriod(), validity),
            v);
    if (validity != null && before != null && before.compareTo(validity) >= 0) {
      v.add(
          new Violation(
              "spec.renewal.before",
              "must be shorter than the validity ("
                  + DurationSpec.format(validity)
                  + "), or the key would renew as soon as it is issued"));
    }
    Duration floor = config.minRotationInterval();
    if (validity != null
        && before != null
        && renewal.before != null
        && policy != RenewalPolicy.Never
        && before.compareTo(validity) < 0
        && validity.minus(before).compareTo(floor) < 0) {
      v.add(
          new Violation(
              "spec.renewal.before",
              "would rotate the key every "
                  + DurationSpec.format(validity.minus(before))
                  + " (validity "
                  + DurationSpec.format(validity)
                  + " minus before "
                  + DurationSpec.format(before)
                  + "), more often than the operator's limits.minRotationInterval ("
                  + DurationSpec.format(floor)
                  + "): at most "
                  + DurationSpec.format(validity.minus(floor))));
    }
    if (validity != null && grace != null && grace.compareTo(validity) > 0) {
      v.add(
          new Violation(
              "spec.renewal.gracePeriod",
              "must not exceed the validity (" + DurationSpec.format(validity) + ")"));
    }

    KeyAlgorithm algorithm = KeyAlgorithm.HMAC_SHA256;
    if (spec.algorithm != null) {
      algorithm = KeyAlgorithm.fromWire(spec.algorithm);
      if (algorithm == null) {
        v.add(
            new Violation(
                "spec.algorithm",
                "must be one of HmacSHA256, Ed25519 (was " + Excerpt.of(spec.algorithm) + ")"));
      }
    }

    ApiKeySpec.SecretTemplate tpl =
        spec.secretTemplate == null ? new ApiKeySpec.SecretTemplate() : spec.secretTemplate;
    String secretName = tpl.name == null ? keyName + "-credentials" : tpl.name;
    if (tooLong("spec.secretTemplate.name", secretName, ApiKeySpec.NAME_MAX, v)) {
      // Said.
    } else if (!DNS_SUBDOMAIN.matcher(secretName).matches()) {
      v.add(
          new Violation(
              "spec.secretTemplate.name",
              "must be a DNS subdomain name (lowercase letters, digits, '-' and '.'), was "
                  + Excerpt.of(secretName)));
    } else if (prior.secretName() != null && !prior.secretName().equals(secretName)) {
      v.add(
          new Violation(
              "spec.secretTemplate.name",
              "is fixed once the key is issued (the key lives in Secret "
                  + Excerpt.of(prior.secretName())
                  + "; its material is written once and never moved)"));
    }
    Map<String, String> labels = metadata("spec.secretTemplate.labels", tpl.labels, true, v);
    Map<String, String> annotations =
        metadata("spec.secretTemplate.annotations", tpl.annotations, false, v);
    ApiKeySpec.KeyNames names = tpl.keyNames == null ? new ApiKeySpec.KeyNames() : tpl.keyNames;
    String accessKeyName = dataKey("accessKey", names.accessKey, v);
    String secretKeyName = dataKey("secretKey", names.secretKey, v);
    if (accessKeyName != null && accessKeyName.equals(secretKeyName)) {
      v.add(new Violation("spec.secretTemplate.keyNames", "accessKey and secretKey must differ"));
    }

    if (spec.rolloutRestart != null
        && !tooMany(
            "spec.rolloutRestart", spec.rolloutRestart, ApiKeySpec.ROLLOUT_RESTART_MAX, v)) {
      for (int i = 0; i < spec.rolloutRestart.size(); i++) {
        ApiKeySpec.WorkloadRef w = spec.rolloutRestart.get(i);
        String f = "spec.rolloutRestart[" + i + "]";
        if (w == null) {
          v.add(new Violation(f, "must not be null"));
          continue;
        }
        if (!List.of("Deployment", "StatefulSet", "DaemonSet").contains(w.kind)) {
          v.add(
              new Violation(
                  f + ".kind",
                  "must be one of Deployment, StatefulSet, DaemonSet (was "
                      + Excerpt.of(w.kind)
                      + ")"));
        }
        if (w.name == null || w.name.isEmpty()) {
          v.add(new Violation(f + ".name", "is required"));
        } else if (!tooLong(f + ".name", w.name, ApiKeySpec.NAME_MAX, v)
            && !DNS_SUBDOMAIN.matcher(w.name).matches()) {
          v.add(
              new Violation(
                  f + ".name",
                  "must be a workload name (a DNS subdomain name), was " + Excerpt.of(w.name)));
        }
      }
    }

    if (!v.isEmpty()) {
      return new Result(null, List.copyOf(v));
    }
    return new Result(
        new KeySettings(
            user,
            note,
            type,
            permissions,
            ips,
            validity,
            policy,
            before,
            grace,
            algorithm,
            secretName,
            labels,
            annotations,
            accessKeyName,
            secretKeyName,
            config.minRotationInterval(),
            Boolean.TRUE.equals(spec.passphrase)),
        List.of());
  }

  /**
   * The renewal window of a key that sets none: the configured one, but at most a third of the
   * validity (as cert-manager's renewBefore), and short enough to leave {@code
   * limits.minRotationInterval} between issuance and renewal (never below zero: the key then renews
   * at its expiry).
   */
  private Duration defaultRenewBefore(Duration validity, RenewalPolicy policy) {
    if (validity == null) {
      return config.defaultRenewBefore();
    }
    Duration before = min(config.defaultRenewBefore(), validity.dividedBy(3));
    if (policy != RenewalPolicy.Never) {
      Duration room = validity.minus(config.minRotationInterval());
      before = min(before, room.isNegative() ? Duration.ZERO : room);
    }
    return before;
  }

  /** Reports a value longer than {@code max} characters (code points, as the API server counts). */
  private static boolean tooLong(String field, String value, int max, List<Violation> v) {
    int length = value.codePointCount(0, value.length());
    if (length <= max) {
      return false;
    }
    v.add(
        new Violation(
            field,
            "must be at most " + max + " characters (has " + length + "): " + Excerpt.of(value)));
    return true;
  }

  /** Reports a list or map with more than {@code max} entries. */
  private static boolean tooMany(
      String field, java.util.Collection<?> c, int max, List<Violation> v) {
    if (c.size() <= max) {
      return false;
    }
    v.add(new Violation(field, "at most " + max + " entries (has " + c.size() + ")"));
    return true;
  }

  private static boolean tooMany(String field, Map<?, ?> m, int max, List<Violation> v) {
    return tooMany(field, m.keySet(), max, v);
  }

  /**
   * The addresses in canonical form. Each is taken exactly as written: a space, a zone or anything
   * else around an address makes it no address, rather than being trimmed away.
   */
  private List<String> ipWhitelist(List<String> raw, List<Violation> v) {
    if (raw == null) {
      return List.of();
    }
    int max = config.ipsPerKey();
    if (raw.size() > max) {
      v.add(
          new Violation(
              "spec.ipWhitelist", "at most " + max + " addresses (has " + raw.size() + ")"));
      if (raw.size() > ApiKeySpec.IPS_MAX) {
        return List.of();
      }
    }
    List<String> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < raw.size(); i++) {
      String ip = raw.get(i);
      String f = "spec.ipWhitelist[" + i + "]";
      if (ip == null) {
        v.add(new Violation(f, "must not be null"));
        continue;
      }
      if (tooLong(f, ip, ApiKeySpec.IP_MAX, v)) {
        continue;
      }
      Optional<String> canonical = IpLiteral.canonical(ip);
      if (canonical.isEmpty()) {
        v.add(
            new Violation(
                f,
                Excerpt.of(ip)
                    + " is not an IPv4 or IPv6 address as written (no spaces, host names, ranges"
                    + " or zones)"));
      } else if (!seen.add(canonical.get())) {
        v.add(new Violation("spec.ipWhitelist[" + i + "]", "duplicates " + canonical.get()));
      } else {
        out.add(canonical.get());
      }
    }
    return out;
  }

  private static List<String> permissions(List<String> raw, List<String> ips, List<Violation> v) {
    if (raw == null) {
      return List.of("read");
    }
    if (raw.isEmpty()) {
      v.add(new Violation("spec.permissions", "must name at least one permission"));
      return List.of();
    }
    if (tooMany("spec.permissions", raw, ApiKeySpec.PERMISSIONS_MAX, v)) {
      return List.of();
    }
    Set<String> set = new HashSet<>();
    for (int i = 0; i < raw.size(); i++) {
      String p = raw.get(i);
      if (!KeySettings.PERMISSIONS.contains(p)) {
        v.add(
            new Violation(
                "spec.permissions[" + i + "]",
                "must be one of read, trade, withdraw (was " + Excerpt.of(p) + ")"));
      } else if (!set.add(p)) {
        v.add(new Violation("spec.permissions[" + i + "]", "duplicates " + p));
      }
    }
    if (set.contains("withdraw") && ips.isEmpty()) {
      v.add(
          new Violation(
              "spec.permissions",
              "withdraw needs a non-empty spec.ipWhitelist (bind the key to IPs)"));
    }
    return KeySettings.PERMISSIONS.stream().filter(set::contains).toList();
  }

  private Duration validity(String raw, List<Violation> v) {
    Duration d = duration("spec.validity", raw, config.defaultValidity(), v);
    if (d == null) {
      return null;
    }
    if (d.compareTo(config.minValidity()) < 0 || d.compareTo(config.maxValidity()) > 0) {
      v.add(
          new Violation(
              "spec.validity",
              "must lie between "
                  + DurationSpec.format(config.minValidity())
                  + " and "
                  + DurationSpec.format(config.maxValidity())
                  + " (was "
                  + Excerpt.of(raw)
                  + ")"));
      return null;
    }
    return d;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static Duration duration(String field, String raw, Duration dflt, List<Violation> v) {
    if (raw == null) {
      return dflt;
    }
    if (tooLong(field, raw, ApiKeySpec.DURATION_MAX, v)) {
      return null;
    }
    try {
      return DurationSpec.parse(raw);
    } catch (IllegalArgumentException e) {
      v.add(new Violation(field, e.getMessage()));
      return null;
    }
  }

  /**
   * A template's labels or annotations: at most {@code ApiKeySpec.LABELS_MAX} /{@code
   * ANNOTATIONS_MAX} entries, keys that Kubernetes accepts (a qualified name with an optional DNS
   * prefix, at most {@value ApiKeySpec#METADATA_KEY_MAX} characters), none the operator's own,
   * values within their bound.
   */
  private static Map<String, String> metadata(
      String field, Map<String, String> raw, boolean labels, List<Violation> v) {
    if (raw == null) {
      return Map.of();
    }
    int max = labels ? ApiKeySpec.LABELS_MAX : ApiKeySpec.ANNOTATIONS_MAX;
    if (tooMany(field, raw, max, v)) {
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>();
    raw.forEach(
        (k, val) -> {
          boolean validKey = qualifiedName(k);
          // A key that is no valid key is quoted, not spliced into the field path.
          String f = field + "[" + (validKey ? k : Excerpt.of(k)) + "]";
          if (!validKey) {
            v.add(
                new Violation(
                    f,
                    "is not a valid key (a qualified name of at most 63 characters, with an"
                        + " optional DNS subdomain prefix and '/')"));
          } else if (k.startsWith("keyward.io/") || k.equals("app.kubernetes.io/managed-by")) {
            v.add(new Violation(f, "is reserved for the operator"));
          } else if (labels) {
            if (val == null) {
              v.add(new Violation(f, "must not be null"));
            } else if (!tooLong(f, val, ApiKeySpec.LABEL_VALUE_MAX, v)) {
              if (LABEL_VALUE.matcher(val).matches()) {
                out.put(k, val);
              } else {
                v.add(
                    new Violation(
                        f,
                        "is not a valid label value (letters, digits, '-', '_', '.', beginning"
                            + " and ending with a letter or digit), was "
                            + Excerpt.of(val)));
              }
            }
          } else if (val == null || !tooLong(f, val, ApiKeySpec.ANNOTATION_VALUE_MAX, v)) {
            out.put(k, val == null ? "" : val);
          }
        });
    return out;
  }

  private static boolean qualifiedName(String key) {
    if (key == null || key.isEmpty()) {
      return false;
    }
    int slash = key.indexOf('/');
    String name = slash < 0 ? key : key.substring(slash + 1);
    if (slash >= 0) {
      String prefix = key.substring(0, slash);
      if (prefix.isEmpty() || prefix.length() > 253 || !DNS_SUBDOMAIN.matcher(prefix).matches()) {
        return false;
      }
    }
    return name.length() <= 63 && QUALIFIED_NAME.matcher(name).matches();
  }

  private static String dataKey(String which, String raw, List<Violation> v) {
    if (raw == null) {
      return which;
    }
    String f = "spec.secretTemplate.keyNames." + which;
    if (tooLong(f, raw, ApiKeySpec.NAME_MAX, v)) {
      return null;
    }
    if (raw.isEmpty() || !DATA_KEY.matcher(raw).matches()) {
      v.add(
          new Violation(
              f,
              "must be a Secret data key (letters, digits, '-', '_', '.'), was "
                  + Excerpt.of(raw)));
      return null;
    }
    if (FIXED_DATA_KEYS.contains(raw)) {
      v.add(new Violation(f, Excerpt.of(raw) + " is taken by another data key of the Secret"));
      return null;
    }
    return raw;
  }
}
