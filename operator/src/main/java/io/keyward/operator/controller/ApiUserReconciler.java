package io.keyward.operator.controller;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.keyward.operator.api.ApiUser;
import io.keyward.operator.api.ApiUserStatus;
import io.keyward.operator.api.Condition;
import io.keyward.operator.config.KeywardConfig;
import io.keyward.operator.domain.ApiUserRules;
import io.keyward.operator.events.EventRecorder;
import io.keyward.operator.status.Conditions;
import io.keyward.operator.status.StatusWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/** Reconciles ApiUsers: validates the account and reports its limit and readiness. */
@ControllerConfiguration(name = ApiUserReconciler.NAME)
public class ApiUserReconciler implements Reconciler<ApiUser> {
  public static final String NAME = "apiuser";

  private final KeywardConfig config;
  private final Clock clock;
  private final StatusWriter statusWriter;
  private final EventRecorder events;

  public ApiUserReconciler(
      KeywardConfig config, Clock clock, StatusWriter statusWriter, EventRecorder events) {
    this.config = config;
    this.clock = clock;
    this.statusWriter = statusWriter;
    this.events = events;
  }

  /** {@code mfa.totp} is Required unless it says Disabled. */
  public static boolean mfaRequired(ApiUser user) {
    return user.getSpec() == null
        || user.getSpec().mfa == null
        || !"Disabled".equals(user.getSpec().mfa.totp);
  }

  @Override
  public UpdateControl<ApiUser> reconcile(ApiUser user, Context<ApiUser> context) {
    Instant now = clock.instant();
    Long generation = user.getMetadata().getGeneration();
    ApiUserStatus status =
        StatusWriter.copy(user.getStatus(), ApiUserStatus.class, ApiUserStatus::new);
    Condition before = Conditions.find(status.conditions, Conditions.READY).orElse(null);
    status.observedGeneration = generation;

    List<String> violations = ApiUserRules.validate(user.getSpec());
    int limit =
        user.getSpec() != null && user.getSpec().maxKeys != null
            ? user.getSpec().maxKeys
            : config.keysPerUser();
    ApiUserStatus.KeyCount count = new ApiUserStatus.KeyCount();
    count.limit = limit;
    count.used = status.keyRefs.size();
    status.keys = count;
    boolean mfa = mfaRequired(user);
    if (!mfa) {
      status.mfa = null;
    } else if (status.mfa == null) {
      status.mfa = new ApiUserStatus.MfaStatus();
      status.mfa.confirmed = false;
    }

    String reason;
    String message;
    if (!violations.isEmpty()) {
      reason = "InvalidSpec";
      message = String.join("; ", violations);
    } else if (user.getSpec().suspended != null && user.getSpec().suspended) {
      reason = "Suspended";
      message = "spec.suspended is true: no key is issued and none verifies";
    } else if (mfa && !Boolean.TRUE.equals(status.mfa.confirmed)) {
      reason = "MfaNotEnrolled";
      message = "TOTP enrolment is not confirmed; keys wait until it is";
    } else {
      reason = null;
      message = "account ready: " + limit + " key slots";
    }
    Conditions.set(
        status.conditions,
        Conditions.READY,
        reason == null,
        reason == null ? "Ready" : reason,
        message,
        generation,
        now);
    try {
      statusWriter.write(user, status);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      // A newer version exists; its own event brings us back.
      return UpdateControl.noUpdate();
    }
    if ("InvalidSpec".equals(reason) && (before == null || !message.equals(before.message))) {
      events.warning(user, "InvalidSpec", message);
    }
    return UpdateControl.noUpdate();
  }
}
