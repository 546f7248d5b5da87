package io.keyward.operator.apikey;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeyStatus;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.apiuser.AccountCheck;
import io.keyward.operator.apiuser.ApiUserReconciler;
import io.keyward.operator.expiry.Renewal;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.issuance.KeyIssuer;
import io.keyward.operator.issuance.SecretCheck;
import io.keyward.operator.kube.SecretStub;
import io.keyward.operator.kube.Stale;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.TotpGuard;
import io.keyward.operator.quota.KeyLedger;
import io.keyward.operator.quota.SlotLedger;
import io.keyward.operator.validation.ApiKeyRules;
import io.keyward.operator.validation.KeySettings;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;

/**
 * Gathers {@link KeyFacts} for one ApiKey from the informer caches. Where the cache cannot be
 * trusted, it reads the API server: when the Secret shows anything but a settled key or a first
 * issuance to make, and after a write of this reconciliation met a newer version.
 */
final class KeyObserver {
  private final KubernetesClient client;
  private final ApiKeyRules rules;
  private final KeyLedger ledger;
  private final Clock clock;
  private final Function<String, Optional<ApiUser>> users;
  private final Function<String, List<ApiKey>> keysOfUser;
  private final BiFunction<String, String, Optional<Secret>> cachedSecret;
  private final BiFunction<String, String, Optional<ApiKey>> cachedKey;
  private final Function<String, List<ApiUser>> usersHolding;

  /**
   * What was observed: the facts, and the objects the actions write on.
   *
   * @param secret the key's Secret as last read (null when absent or not looked at)
   * @param atMostWaiting how many of the user's keys, other than this one, hold no slot
   * @param olderWaiting counts those that wait ahead of this one (asked only when slots are short)
   * @param orphans slots of the user whose key no longer exists: released by the claim
   */
  record Observation(
      KeyFacts facts,
      ApiKey key,
      ApiUser user,
      Secret secret,
      int atMostWaiting,
      IntSupplier olderWaiting,
      Set<String> orphans) {}

  KeyObserver(
      KubernetesClient client,
      ApiKeyRules rules,
      KeyLedger ledger,
      Clock clock,
      Function<String, Optional<ApiUser>> users,
      Function<String, List<ApiKey>> keysOfUser,
      BiFunction<String, String, Optional<Secret>> cachedSecret,
      BiFunction<String, String, Optional<ApiKey>> cachedKey,
      Function<String, List<ApiUser>> usersHolding) {
    this.cachedKey = cachedKey;
    this.usersHolding = usersHolding;
    this.client = client;
    this.rules = rules;
    this.ledger = ledger;
    this.clock = clock;
    this.users = users;
    this.keysOfUser = keysOfUser;
    this.cachedSecret = cachedSecret;
  }

  /**
   * The facts of {@code key}.
   *
   * @param codeFor the generation the code names as approved (null: none)
   * @param fromServer {@code key} was just read from the API server; read the Secret from it too
   * @throws KeyIssuer.StaleReadException with the newer key, when the server has a newer one
   */
  Observation observe(ApiKey key, boolean code, Long codeFor, boolean fromServer) {
    Instant now = clock.instant();
    ApiKeyStatus read = key.getStatus() == null ? new ApiKeyStatus() : key.getStatus();
    String uid = key.getMetadata().getUid();
    String specUser = key.getSpec() == null ? null : key.getSpec().user;
    // From the server, the Secret is read before the ledger: the pending record is written
    // before the Secret, so a Secret seen here has its record in the ledger read after it.
    String earlyName = ApiKeyReconciler.specSecretName(key);
    Secret early =
        fromServer ? client.secrets().inNamespace(ns(key)).withName(earlyName).get() : null;
    Function<String, Optional<ApiUser>> userOf =
        fromServer
            ? name -> Optional.ofNullable(client.resources(ApiUser.class).withName(name).get())
            : users;
    Holder holder = holder(uid, specUser, userOf);
    ApiKeyStatus status =
        KeyRecord.trusted(
            read,
            holder == null ? null : holder.ref().grant,
            holder == null ? null : holder.user().getMetadata().getName(),
            holder == null ? null : holder.ref().type,
            now);
    List<String> repaired = KeyRecord.disagreements(read, status);
    if (!repaired.isEmpty() && !fromServer) {
      // Caches may lag one behind the other: the server decides whether status lies.
      throw new Stale("ApiKey status disagrees with the ledger");
    }
    String renew = annotation(key, ApiKeyReconciler.RENEW_ANNOTATION);
    boolean startsOver = KeyPlanner.startsOver(status, renew);
    boolean issued = status.accessKey != null && !startsOver;
    ApiKeyRules.Result validation =
        rules.validate(
            name(key), key.getSpec(), startsOver ? ApiKeyRules.Prior.NONE : prior(status));
    KeyFacts.KeyId id =
        new KeyFacts.KeyId(ns(key), name(key), uid, key.getMetadata().getGeneration());
    Renewal.Triggers triggers =
        new Renewal.Triggers(
            annotation(key, ApiKeyReconciler.ROTATE_ANNOTATION),
            status.lastHandledRotate,
            renew,
            status.lastHandledRenew);

    KeySettings settings = validation.valid() ? validation.settings() : null;
    String userName = settings != null ? settings.user() : specUser;
    ApiUser user =
        userName == null
            ? null
            : holder != null && userName.equals(holder.user().getMetadata().getName())
                ? holder.user()
                : userOf.apply(userName).orElse(null);
    AccountCheck.Account account = account(userName, user);
    int limit = user == null ? 0 : ledger.limit(user);
    TotpGuard.State totp =
        CodeVerifier.state(user == null || user.getStatus() == null ? null : user.getStatus().mfa);

    KeyFacts.Slot slot = null;
    int atMost = 0;
    IntSupplier older = () -> 0;
    Set<String> orphans = Set.of();
    // The Secret the grant names, else the spec's (status names none that counts).
    String secretName =
        status.secretName != null
            ? status.secretName
            : settings != null ? settings.secretName() : ApiKeyReconciler.specSecretName(key);
    Secret secret =
        fromServer && secretName.equals(earlyName)
            ? early
            : cachedSecret.apply(ns(key), secretName).orElse(null);
    if (SecretStub.is(secret)) {
      // The cache keeps no data of a foreign or oversized Secret (kube.SecretStub): nothing is
      // decided or written on a stub.
      secret = client.secrets().inNamespace(ns(key)).withName(secret.getMetadata().getName()).get();
    }
    SecretCheck.Verdict verdict = null;
    boolean drift = false;
    boolean terminating = false;
    if (settings != null && AccountCheck.check(account, ns(key), issued).isEmpty()) {
      Set<String> holders =
          KeyLedger.slots(user).stream().map(SlotLedger.Slot::uid).collect(Collectors.toSet());
      // Oldest first is among keys that may be issued as soon as they have a slot. Keys of an MFA
      // user take one only once a code authorizes them, so none waits ahead of another.
      List<ApiKey> ofUser =
          issued || account.mfaRequired() ? List.of() : keysOfUser.apply(settings.user());
      atMost =
          (int)
              ofUser.stream()
                  .map(k -> k.getMetadata().getUid())
                  .filter(u -> !u.equals(uid) && !holders.contains(u))
                  .count();
      older = memo(() -> olderWaiting(key, user, ofUser, holders));
      List<SlotLedger.Slot> ledger = KeyLedger.slots(user);
      SlotLedger.Decision d = SlotLedger.decide(ledger, limit, uid, atMost, older);
      if (d instanceof SlotLedger.Wait) {
        // Only when a key waits does a slot whose key vanished (deleted without its finalizer,
        // or while no operator ran) matter: it is released by this key's claim.
        orphans = KeyLedger.vanished(ledger, cachedKey, client, namespace -> true);
        if (!orphans.isEmpty()) {
          d = SlotLedger.decide(SlotLedger.without(ledger, orphans), limit, uid, atMost, older);
        }
      }
      slot =
          d instanceof SlotLedger.Wait w
              ? new KeyFacts.Slot.Wait(w)
              : d instanceof SlotLedger.Claim ? KeyFacts.Slot.FREE : KeyFacts.Slot.HOLDS;

      ApiKeyStatus planned = startsOver ? KeyPlanner.startedOver(status, renew) : status;
      verdict = KeyIssuer.decide(key, planned, settings, secret);
      // Decided on the cache: a settled key, a first issuance, and a pending key the Secret holds
      // (this operator's own write of the pass before, which the cache overlay shows). Finishing
      // that one is a status write with the read resourceVersion; were the Secret changed since,
      // the next pass sees it and decides on that.
      boolean simple =
          verdict == SecretCheck.Verdict.STEADY
              || verdict == SecretCheck.Verdict.FINISH_PENDING
              || (verdict == SecretCheck.Verdict.ISSUE && planned.pending == null);
      if (!simple && !fromServer) {
        // Anything that writes on an unusual verdict decides on what the server has now: the
        // key, its Secret, then the ledger (in that order, see below), read again.
        throw new Stale("the key's Secret is decided on what the server has");
      }
      if (fromServer) {
        secret =
            settings.secretName().equals(earlyName)
                ? early
                : client.secrets().inNamespace(ns(key)).withName(settings.secretName()).get();
        verdict = KeyIssuer.decide(key, planned, settings, secret);
      }
      if (verdict == SecretCheck.Verdict.REISSUE_LOST
          || verdict == SecretCheck.Verdict.REPLACE_TAMPERED) {
        Namespace namespace = client.namespaces().withName(ns(key)).get();
        terminating =
            namespace == null
                || namespace.getMetadata().getDeletionTimestamp() != null
                || (namespace.getStatus() != null
                    && "Terminating".equals(namespace.getStatus().getPhase()));
      }
      drift =
          verdict == SecretCheck.Verdict.STEADY
              && KeyIssuer.drifted(key, settings, planned, secret);
    }
    KeyFacts facts =
        new KeyFacts(
            now,
            id,
            status,
            validation,
            account,
            slot,
            limit,
            verdict,
            drift,
            secret != null && CredentialSecret.hasPrevious(secret),
            triggers,
            code,
            totp,
            terminating,
            holder == null ? null : holder.user().getMetadata().getName(),
            holder == null ? null : holder.ref().grant,
            repaired,
            codeFor);
    return new Observation(facts, key, user, secret, atMost, older, orphans);
  }

  /** The user whose ledger holds a key's slot, and that ledger entry. */
  record Holder(ApiUser user, ApiUserStatus.KeyRef ref) {}

  /**
   * The user whose ledger lists the key {@code uid}: its spec's user, else any other user the cache
   * indexes as holding it (a key whose spec moved it to another user after issuance).
   */
  private Holder holder(String uid, String specUser, Function<String, Optional<ApiUser>> userOf) {
    java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
    if (specUser != null) {
      names.add(specUser);
    }
    usersHolding.apply(uid).forEach(u -> names.add(u.getMetadata().getName()));
    for (String name : names) {
      Optional<ApiUser> u = userOf.apply(name);
      if (u.isPresent()) {
        Optional<ApiUserStatus.KeyRef> ref = KeyLedger.ref(u.get().getStatus(), uid);
        if (ref.isPresent()) {
          return new Holder(u.get(), ref.get());
        }
      }
    }
    return null;
  }

  /** Keys of the same user, without a slot, that could take one and are older than this one. */
  private int olderWaiting(ApiKey key, ApiUser user, List<ApiKey> ofUser, Set<String> holders) {
    List<String> namespaces =
        user.getSpec() == null || user.getSpec().namespaces == null
            ? List.of()
            : user.getSpec().namespaces;
    List<SlotLedger.Candidate> waiting =
        ofUser.stream()
            .filter(k -> !k.isMarkedForDeletion())
            .filter(k -> !holders.contains(k.getMetadata().getUid()))
            .filter(k -> namespaces.contains("*") || namespaces.contains(ns(k)))
            .filter(k -> !released(k))
            .filter(k -> rules.validate(name(k), k.getSpec(), prior(k.getStatus())).valid())
            .map(KeyObserver::candidate)
            .toList();
    return SlotLedger.olderThan(candidate(key), waiting);
  }

  /** An expired or revoked key takes no slot until it is renewed. */
  private static boolean released(ApiKey k) {
    String phase = k.getStatus() == null ? null : k.getStatus().phase;
    return KeyPlanner.EXPIRED.equals(phase) || "Revoked".equals(phase);
  }

  private static SlotLedger.Candidate candidate(ApiKey k) {
    String created = k.getMetadata().getCreationTimestamp();
    return new SlotLedger.Candidate(
        k.getMetadata().getUid(), ns(k), name(k), created == null ? null : Instant.parse(created));
  }

  /** Counted once, and only if asked: a claim retried on conflict asks again. */
  private static IntSupplier memo(IntSupplier count) {
    int[] memo = {-1};
    return () -> memo[0] >= 0 ? memo[0] : (memo[0] = count.getAsInt());
  }

  static AccountCheck.Account account(String userName, ApiUser u) {
    if (u == null) {
      return AccountCheck.Account.missing(userName);
    }
    return new AccountCheck.Account(
        userName,
        true,
        u.getSpec() == null || u.getSpec().namespaces == null ? List.of() : u.getSpec().namespaces,
        u.getSpec() != null && Boolean.TRUE.equals(u.getSpec().suspended),
        ApiUserReconciler.mfaRequired(u),
        u.getStatus() != null
            && u.getStatus().mfa != null
            && Boolean.TRUE.equals(u.getStatus().mfa.confirmed));
  }

  /** What an issued key fixed for good; {@code status} is only read, and may be null. */
  static ApiKeyRules.Prior prior(ApiKeyStatus status) {
    if (status == null || status.accessKey == null) {
      return ApiKeyRules.Prior.NONE;
    }
    return new ApiKeyRules.Prior(
        status.effective == null ? null : status.effective.user,
        status.effective == null ? null : status.effective.type,
        status.secretName);
  }

  static String annotation(ApiKey key, String name) {
    Map<String, String> annotations = key.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(name);
  }

  private static String ns(ApiKey key) {
    return key.getMetadata().getNamespace();
  }

  private static String name(ApiKey key) {
    return key.getMetadata().getName();
  }
}
