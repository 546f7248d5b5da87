package io.keyward.operator.it;

import static io.keyward.operator.it.Fixtures.*;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.keyward.chart.Chart;
import io.keyward.operator.KeywardOperator;
import io.keyward.operator.api.ApiKey;
import io.keyward.operator.api.ApiKeySpec;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserSpec;
import io.keyward.operator.apikey.ApiKeyReconciler;
import io.keyward.operator.issuance.CredentialSecret;
import io.keyward.operator.mfa.CodeVerifier;
import io.keyward.operator.mfa.EnrolmentSecret;
import io.keyward.operator.mfa.Totp;
import io.keyward.operator.rollout.RestartConsent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The chart's RBAC on the suite's API server, for the RBAC proofs: the rendered ServiceAccount,
 * roles and bindings applied (every one the values render, the webhook's included; the webhook
 * configuration itself is not applied), clients that authenticate with a ServiceAccount token only,
 * what the roles bound to the operator's ServiceAccount grant (and in which namespace), and the
 * lifecycle that must use all of it.
 */
final class ChartRbac {
  private static final List<String> KINDS =
      List.of("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding");
  private static final Totp TOTP = new Totp();

  private final String namespace;
  private final Map<String, Object> values;
  private final List<HasMetadata> objects;
  private String webhookConfiguration;

  private ChartRbac(String namespace, Map<String, Object> values, List<HasMetadata> objects) {
    this.namespace = namespace;
    this.values = values;
    this.objects = objects;
  }

  /** Renders the chart into {@code namespace} with {@code values} and applies its RBAC. */
  static ChartRbac install(String namespace, Map<String, Object> values) {
    List<HasMetadata> objects =
        Chart.render(namespace, values).stream().filter(o -> KINDS.contains(o.getKind())).toList();
    RealCluster.namespace(namespace);
    for (HasMetadata o : objects) {
      String ns = o.getMetadata().getNamespace();
      if (ns != null && !ns.equals("default")) {
        RealCluster.namespace(ns);
      }
      client().resource(o).createOr(existing -> existing.update());
    }
    return new ChartRbac(namespace, values, objects);
  }

  /**
   * The admission settings the chart's Deployment gives the operator, with the webhook served on
   * loopback (the API server reaches no Service here).
   */
  Map<String, String> admissionSettings() {
    return Map.of(
        "admission.enabled", "true",
        "admission.bindAddress", "127.0.0.1",
        "admission.port", "0",
        "admission.extraSubjectNames", "127.0.0.1",
        "admission.operatorUser",
            "system:serviceaccount:" + namespace + ":" + serviceAccount().getMetadata().getName());
  }

  /** Applies the chart's webhook configuration, pointed at the operator's {@code port}. */
  void installWebhook(int port) {
    webhookConfiguration = installWebhook(namespace, values, null, port);
  }

  /**
   * Renders the chart's ValidatingWebhookConfiguration for the suite's server (the one that stores
   * webhook configurations: 1.20, on the hybrid too) and applies it with each webhook's Service
   * replaced by {@code https://127.0.0.1:<port>/validate}; {@code name} null keeps the chart's.
   *
   * @return the configuration's name
   */
  static String installWebhook(
      String namespace, Map<String, Object> values, String name, int port) {
    ValidatingWebhookConfiguration config =
        Chart.one(
            Chart.render(namespace, client().getKubernetesVersion().getGitVersion(), values),
            ValidatingWebhookConfiguration.class);
    if (name != null) {
      config.getMetadata().setName(name);
    }
    for (ValidatingWebhook w : config.getWebhooks()) {
      WebhookClientConfig cc = w.getClientConfig();
      String path = cc.getService().getPath();
      cc.setService(null);
      cc.setUrl("https://127.0.0.1:" + port + path);
    }
    client().resource(config).createOr(existing -> existing.update());
    return config.getMetadata().getName();
  }

  /**
   * Moves the operator's clock past two thirds of the serving certificate's validity and waits
   * until the webhook's Secret holds a new one (an update of that Secret, with the read
   * resourceVersion).
   */
  static void renewWebhookCertificate(RunningOperator operator, String operatorNs) {
    String secret = io.keyward.operator.config.KeywardConfig.ADMISSION_SECRET_NAME.defaultValue();
    String before =
        client().secrets().inNamespace(operatorNs).withName(secret).get().getData().get("tls.crt");
    operator.clock().advance(java.time.Duration.ofDays(61));
    await()
        .atMost(java.time.Duration.ofSeconds(60))
        .until(
            () ->
                !before.equals(
                    client()
                        .secrets()
                        .inNamespace(operatorNs)
                        .withName(secret)
                        .get()
                        .getData()
                        .get("tls.crt")));
  }

  /** Deletes the cluster-scoped objects, which another installation's would otherwise meet. */
  void uninstall() {
    if (webhookConfiguration != null) {
      client()
          .admissionRegistration()
          .v1()
          .validatingWebhookConfigurations()
          .withName(webhookConfiguration)
          .delete();
    }
    for (HasMetadata o : objects) {
      if (o instanceof ClusterRole || o instanceof ClusterRoleBinding) {
        client().resource(o).delete();
      }
    }
  }

  List<HasMetadata> objects() {
    return objects;
  }

  <T extends HasMetadata> T named(Class<T> kind, String name) {
    return Chart.all(objects, kind).stream()
        .filter(o -> o.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " " + name));
  }

  ServiceAccount serviceAccount() {
    return Chart.one(objects, ServiceAccount.class);
  }

  /** A client that authenticates with a token of the chart's ServiceAccount, audited. */
  KubernetesClient operatorClient(RequestAudit audit) {
    return tokenClient(token(namespace, serviceAccount().getMetadata().getName()), audit);
  }

  /** A token of the ServiceAccount {@code namespace/name}, valid for an hour. */
  static String token(String namespace, String name) {
    return client()
        .serviceAccounts()
        .inNamespace(namespace)
        .withName(name)
        .tokenRequest(
            new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
        .getStatus()
        .getToken();
  }

  /**
   * A ServiceAccount in {@code namespace} bound there (by a RoleBinding) to the ClusterRole {@code
   * clusterRole}, and a client with its token only.
   */
  static KubernetesClient boundTo(String namespace, String name, String clusterRole) {
    RealCluster.namespace(namespace);
    client()
        .serviceAccounts()
        .inNamespace(namespace)
        .resource(
            new ServiceAccountBuilder().withNewMetadata().withName(name).endMetadata().build())
        .createOr(existing -> existing.update());
    RoleBinding binding = new RoleBinding();
    binding.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    binding.setRoleRef(new RoleRef("rbac.authorization.k8s.io", "ClusterRole", clusterRole));
    binding.setSubjects(List.of(new Subject(null, "ServiceAccount", name, namespace)));
    client().resource(binding).createOr(existing -> existing.update());
    return tokenClient(token(namespace, name), new RequestAudit());
  }

  /** A client of the suite's server that authenticates with {@code token} only. */
  static KubernetesClient tokenClient(String token, RequestAudit audit) {
    Config admin = RealCluster.client().getConfiguration();
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(admin.getMasterUrl())
            .withCaCertData(admin.getCaCertData())
            .withCaCertFile(admin.getCaCertFile())
            .withTrustCerts(admin.isTrustCerts())
            .withOauthToken(token)
            .build();
    return new KubernetesClientBuilder()
        .withConfig(KeywardOperator.requestsInFlight(config))
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("rbac-audit", audit))
        .build();
  }

  /**
   * Every permission the roles bound to the chart's ServiceAccount grant: a ClusterRole's through a
   * ClusterRoleBinding with namespace "" (everywhere), a Role's with its namespace. A rule narrowed
   * by resourceNames (the webhook's Secret and configuration) counts as its verb on the resource:
   * the API server enforces the names, so a request on another object is a 403 in {@link
   * RequestAudit#forbidden()}.
   */
  Set<RequestAudit.Scoped> granted() {
    ServiceAccount sa = serviceAccount();
    Set<RequestAudit.Scoped> all = new HashSet<>();
    for (HasMetadata o : objects) {
      List<Subject> subjects;
      RoleRef ref;
      String scope;
      if (o instanceof ClusterRoleBinding b) {
        subjects = b.getSubjects();
        ref = b.getRoleRef();
        scope = "";
      } else if (o instanceof RoleBinding b) {
        subjects = b.getSubjects();
        ref = b.getRoleRef();
        scope = b.getMetadata().getNamespace();
      } else {
        continue;
      }
      boolean ours =
          subjects.stream()
              .anyMatch(
                  s ->
                      "ServiceAccount".equals(s.getKind())
                          && sa.getMetadata().getName().equals(s.getName())
                          && namespace.equals(s.getNamespace()));
      if (!ours) {
        continue;
      }
      List<PolicyRule> rules =
          "ClusterRole".equals(ref.getKind())
              ? named(ClusterRole.class, ref.getName()).getRules()
              : Chart.all(objects, Role.class).stream()
                  .filter(
                      r ->
                          r.getMetadata().getName().equals(ref.getName())
                              && r.getMetadata().getNamespace().equals(scope))
                  .findFirst()
                  .orElseThrow()
                  .getRules();
      for (PolicyRule rule : rules) {
        for (String group : rule.getApiGroups()) {
          for (String resource : rule.getResources()) {
            for (String verb : rule.getVerbs()) {
              all.add(new RequestAudit.Scoped(scope, new RequestAudit.Use(group, resource, verb)));
            }
          }
        }
      }
    }
    return all;
  }

  /**
   * The grants no request used: a Role's rule must have been used in its namespace, a ClusterRole's
   * anywhere.
   */
  TreeSet<String> unused(Set<RequestAudit.Scoped> used, Set<RequestAudit.Use> withoutRequests) {
    Set<RequestAudit.Use> anywhere =
        used.stream().map(RequestAudit.Scoped::use).collect(Collectors.toSet());
    return granted().stream()
        .filter(g -> !withoutRequests.contains(g.use()))
        .filter(g -> g.namespace().isEmpty() ? !anywhere.contains(g.use()) : !used.contains(g))
        .map(Object::toString)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** The requests no grant covers (they would have been refused). */
  TreeSet<String> beyond(Set<RequestAudit.Scoped> used, Set<RequestAudit.Use> toEveryone) {
    Set<RequestAudit.Scoped> granted = granted();
    return used.stream()
        .filter(u -> !toEveryone.contains(u.use()))
        .filter(
            u ->
                !granted.contains(new RequestAudit.Scoped("", u.use()))
                    && (u.namespace().isEmpty() || !granted.contains(u)))
        .map(Object::toString)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  static TreeSet<String> sorted(Set<?> items) {
    return items.stream().map(Object::toString).collect(Collectors.toCollection(TreeSet::new));
  }

  /**
   * The whole lifecycle of a user with MFA and its key in {@code ns}: a leftover enrolment Secret
   * replaced, enrolment with wrong codes and the right one, issuance with restarts of all three
   * workload kinds, needless codes twice (on the user and on the key), a rotation, an extension, a
   * lost Secret, deletion.
   */
  static void lifecycle(RunningOperator operator, String operatorNs, String ns, String user) {
    workloads(ns, "rbac-bot");
    // A leftover enrolment Secret of the user (Keyward's type and labels, no owner, not the sealed
    // seed): deleted unread and replaced by the operator's own copy.
    Secret leftover =
        client()
            .secrets()
            .inNamespace(operatorNs)
            .resource(
                new SecretBuilder()
                    .withNewMetadata()
                    .withName(EnrolmentSecret.name(user))
                    .addToLabels(EnrolmentSecret.LABEL_PURPOSE, EnrolmentSecret.PURPOSE)
                    .addToLabels(CredentialSecret.LABEL_USER, user)
                    .endMetadata()
                    .withType(EnrolmentSecret.TYPE)
                    .addToStringData("secret", "LEFTOVER")
                    .build())
            .create();
    ApiUser u = new ApiUser();
    u.setMetadata(new ObjectMetaBuilder().withName(user).build());
    u.setSpec(new ApiUserSpec());
    u.getSpec().namespaces = List.of(ns);
    client().resource(u).create();

    // Enrolment: a wrong code twice (the same event again is a patch), then the right one.
    Secret enrolment =
        await()
            .atMost(WAIT)
            .until(
                () -> secret(operatorNs, EnrolmentSecret.name(user)),
                s ->
                    s != null && !s.getMetadata().getUid().equals(leftover.getMetadata().getUid()));
    String totpSecret =
        new String(
            Base64.getDecoder().decode(enrolment.getData().get("secret")), StandardCharsets.UTF_8);
    for (int i = 0; i < 2; i++) {
      annotateUser(
          user, CodeVerifier.ANNOTATION, wrongCode(totpSecret, operator.clock().instant()));
      int attempt = i + 1;
      awaitUser(
          user,
          x ->
              x.getStatus() != null
                  && x.getStatus().mfa != null
                  && x.getStatus().mfa.failures != null
                  && x.getStatus().mfa.failures.size() >= attempt);
    }
    annotateUser(user, CodeVerifier.ANNOTATION, code(operator, totpSecret));
    awaitUser(user, x -> Boolean.TRUE.equals(x.getStatus().mfa.confirmed));
    // A code the confirmed user does not need, twice: the same event (in namespace default, as
    // every ApiUser's) raises its count.
    for (int i = 0; i < 2; i++) {
      annotateUser(user, CodeVerifier.ANNOTATION, "000000");
      awaitUser(
          user,
          x ->
              x.getMetadata().getAnnotations() == null
                  || !x.getMetadata().getAnnotations().containsKey(CodeVerifier.ANNOTATION));
    }
    await()
        .atMost(WAIT)
        .until(
            () ->
                events("default", user, "VerificationSkipped").stream()
                    .anyMatch(e -> e.getCount() != null && e.getCount() >= 2));

    // A key with restarts of every workload kind, verified with the next step's code.
    key(
        ns,
        "rbac-bot",
        user,
        s -> {
          s.rolloutRestart =
              List.of(ref("Deployment", "d"), ref("StatefulSet", "s"), ref("DaemonSet", "ds"));
        });
    awaitKey(ns, "rbac-bot", phase("AwaitingVerification"));
    operator.clock().advance(Totp.STEP);
    giveCode(ns, "rbac-bot", code(operator, totpSecret));
    ApiKey issued = awaitKey(ns, "rbac-bot", phase("Active"));

    // A code where none is needed, twice: the same event again raises its count (get, patch).
    for (int i = 0; i < 2; i++) {
      giveCode(ns, "rbac-bot", "000000");
      awaitKey(
          ns,
          "rbac-bot",
          k ->
              k.getMetadata().getAnnotations() == null
                  || !k.getMetadata().getAnnotations().containsKey(CodeVerifier.ANNOTATION));
    }
    await()
        .atMost(WAIT)
        .until(
            () ->
                events(ns, "rbac-bot", "VerificationSkipped").stream()
                    .anyMatch(e -> e.getCount() != null && e.getCount() >= 2));

    annotateKey(ns, "rbac-bot", ApiKeyReconciler.ROTATE_ANNOTATION, "1");
    awaitKey(ns, "rbac-bot", k -> !issued.getStatus().accessKey.equals(k.getStatus().accessKey));
    await()
        .atMost(WAIT)
        .until(
            () ->
                events(ns, "rbac-bot", "RolloutRestarted").stream()
                    .anyMatch(
                        e -> e.getMessage().contains("Deployment/d, StatefulSet/s, DaemonSet/ds")));
    annotateKey(ns, "rbac-bot", ApiKeyReconciler.RENEW_ANNOTATION, "1");
    ApiKey renewed = awaitKey(ns, "rbac-bot", k -> "1".equals(k.getStatus().lastHandledRenew));

    // The Secret lost: revoked and issued anew, deciding on what the server has (get apikeys).
    client().secrets().inNamespace(ns).withName("rbac-bot-credentials").delete();
    awaitKey(
        ns,
        "rbac-bot",
        k ->
            !renewed.getStatus().accessKey.equals(k.getStatus().accessKey)
                && "Active".equals(k.getStatus().phase));
    awaitEvents(ns, "rbac-bot", "SecretLost");

    client().resources(ApiKey.class).inNamespace(ns).withName("rbac-bot").delete();
    await().atMost(WAIT).until(() -> get(ns, "rbac-bot") == null);
    await().atMost(WAIT).until(() -> secret(ns, "rbac-bot-credentials") == null);
    awaitUser(user, x -> x.getStatus().keyRefs.isEmpty());
  }

  private static String code(RunningOperator operator, String secret) {
    return TOTP.code(secret, Totp.step(operator.clock().instant()));
  }

  static ApiKeySpec.WorkloadRef ref(String kind, String name) {
    ApiKeySpec.WorkloadRef r = new ApiKeySpec.WorkloadRef();
    r.kind = kind;
    r.name = name;
    return r;
  }

  /**
   * A Deployment d, StatefulSet s and DaemonSet ds of no pods that let {@code key} restart them.
   */
  static void workloads(String ns, String key) {
    Map<String, String> labels = Map.of("app", key);
    Map<String, String> consent = Map.of(RestartConsent.ANNOTATION, key);
    PodTemplateSpec template =
        new PodTemplateSpecBuilder()
            .withNewMetadata()
            .withLabels(labels)
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("bot")
            .withImage("example.invalid/bot:1")
            .endContainer()
            .endSpec()
            .build();
    List<HasMetadata> all = new ArrayList<>();
    all.add(
        new DeploymentBuilder()
            .withNewMetadata()
            .withName("d")
            .withAnnotations(consent)
            .endMetadata()
            .withNewSpec()
            .withReplicas(0)
            .withNewSelector()
            .withMatchLabels(labels)
            .endSelector()
            .withTemplate(template)
            .endSpec()
            .build());
    all.add(
        new StatefulSetBuilder()
            .withNewMetadata()
            .withName("s")
            .withAnnotations(consent)
            .endMetadata()
            .withNewSpec()
            .withReplicas(0)
            .withServiceName("s")
            .withNewSelector()
            .withMatchLabels(labels)
            .endSelector()
            .withTemplate(template)
            .endSpec()
            .build());
    all.add(
        new DaemonSetBuilder()
            .withNewMetadata()
            .withName("ds")
            .withAnnotations(consent)
            .endMetadata()
            .withNewSpec()
            .withNewSelector()
            .withMatchLabels(labels)
            .endSelector()
            .withTemplate(template)
            .endSpec()
            .build());
    for (HasMetadata w : all) {
      client().resource(w).inNamespace(ns).create();
    }
  }
}
