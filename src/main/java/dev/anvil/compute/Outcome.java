package dev.anvil.compute;

import java.util.Locale;

/**
 * How a task ended for its client (the {@code outcome} label of the meters and the dashboard),
 * and {@link #status(TaskOutcome)}: the one map from a task's outcome to the HTTP status its client
 * gets, used by the task endpoint and the statistics alike.
 */
public enum Outcome {
  SUCCEEDED, FAILED, REJECTED, TIMED_OUT, CANCELLED;

  /** The {@code outcome} label of the meters and the dashboard. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The HTTP status a client of the task endpoint gets for {@code outcome}. */
  public static int status(TaskOutcome outcome) {
    if (outcome instanceof TaskOutcome.Completed) {
      return 200;
    }
    return switch (((TaskOutcome.Failed) outcome).failure()) {
      case REJECTED -> 429;
      case TIMED_OUT -> 504;
      case CRASHED -> 500;
      // no node could take it, its node stopped (and no other took it in time), or its client left
      case UNAVAILABLE, ABANDONED, CANCELLED -> 503;
    };
  }

  public static Outcome of(TaskOutcome outcome) {
    if (outcome instanceof TaskOutcome.Completed) {
      return SUCCEEDED;
    }
    return switch (((TaskOutcome.Failed) outcome).failure()) {
      case REJECTED, UNAVAILABLE -> REJECTED;
      case TIMED_OUT -> TIMED_OUT;
      case CANCELLED -> CANCELLED;
      case CRASHED, ABANDONED -> FAILED;
    };
  }
}
