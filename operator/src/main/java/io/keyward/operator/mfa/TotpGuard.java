package io.keyward.operator.mfa;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Decides on one code attempt for a user: replay refusal per time step, and a lock after too many
 * failures. Pure: the state goes in and the next state comes out; the caller stores it with a
 * compare-and-swap write so two operator replicas cannot both accept one code.
 */
public final class TotpGuard {
  /** Failures within {@link #FAILURE_WINDOW} that lock verification. */
  public static final int MAX_FAILURES = 5;

  public static final Duration FAILURE_WINDOW = Duration.ofMinutes(15);
  public static final Duration LOCK = Duration.ofMinutes(15);

  private TotpGuard() {}

  /**
   * A user's verification state.
   *
   * @param lastUsedStep the newest time step whose code was accepted (null: none yet)
   * @param failures failed attempts not yet older than the window
   * @param lockedUntil verification refuses every code until then (null: not locked)
   */
  public record State(Long lastUsedStep, List<Instant> failures, Instant lockedUntil) {
    public State {
      failures = List.copyOf(failures);
    }

    public static final State EMPTY = new State(null, List.of(), null);

    /** Whether verification is locked at {@code now}. */
    public boolean lockedAt(Instant now) {
      return lockedUntil != null && now.isBefore(lockedUntil);
    }
  }

  /** The result of an attempt. */
  public enum Outcome {
    ACCEPTED("Verified"),
    INVALID("InvalidCode"),
    REPLAYED("CodeReplayed"),
    LOCKED("TooManyAttempts");

    private final String reason;

    Outcome(String reason) {
      this.reason = reason;
    }

    /** The condition reason for this outcome. */
    public String reason() {
      return reason;
    }
  }

  /**
   * The decision.
   *
   * @param step the accepted step (ACCEPTED only)
   * @param lockedNow this failure locked verification
   */
  public record Decision(Outcome outcome, State next, Long step, boolean lockedNow) {
    /** A message naming the rule, never the code. */
    public String message() {
      return switch (outcome) {
        case ACCEPTED -> "TOTP code accepted";
        case INVALID ->
            lockedNow
                ? "TOTP code is wrong; "
                    + MAX_FAILURES
                    + " failures in "
                    + FAILURE_WINDOW.toMinutes()
                    + " minutes lock verification until "
                    + next.lockedUntil()
                : "TOTP code is wrong or outside one 30 s step of the operator's clock ("
                    + next.failures().size()
                    + " of "
                    + MAX_FAILURES
                    + " failures)";
        case REPLAYED ->
            lockedNow
                ? "TOTP code was already used; verification locked until " + next.lockedUntil()
                : "TOTP code was already used for this user (replay); wait for the next code";
        case LOCKED ->
            "verification is locked until "
                + next.lockedUntil()
                + " after "
                + MAX_FAILURES
                + " failed codes";
      };
    }

    /** The condition reason. */
    public String reason() {
      return lockedNow ? Outcome.LOCKED.reason() : outcome.reason();
    }
  }

  /**
   * Decides on an attempt.
   *
   * @param matchingSteps the steps whose code equals the one given (see {@link Totp})
   */
  public static Decision decide(State state, List<Long> matchingSteps, Instant now) {
    if (state.lockedAt(now)) {
      return new Decision(Outcome.LOCKED, state, null, false);
    }
    List<Instant> recent =
        new ArrayList<>(
            state.failures().stream().filter(f -> now.isBefore(f.plus(FAILURE_WINDOW))).toList());
    Long fresh =
        matchingSteps.stream()
            .filter(s -> state.lastUsedStep() == null || s > state.lastUsedStep())
            .max(Comparator.naturalOrder())
            .orElse(null);
    if (fresh != null) {
      return new Decision(Outcome.ACCEPTED, new State(fresh, List.of(), null), fresh, false);
    }
    recent.add(now);
    Outcome outcome = matchingSteps.isEmpty() ? Outcome.INVALID : Outcome.REPLAYED;
    if (recent.size() >= MAX_FAILURES) {
      return new Decision(
          outcome, new State(state.lastUsedStep(), List.of(), now.plus(LOCK)), null, true);
    }
    return new Decision(outcome, new State(state.lastUsedStep(), recent, null), null, false);
  }
}
