package dev.anvil.compute;

import java.util.Locale;

/**
 * How a task ended for its client, and the HTTP status that client got: the one map from a
 * {@link TaskOutcome} to a status, used by the task endpoint, the statistics and the meters.
 */
public enum Outcome {
  SUCCEEDED(200), FAILED(500), REJECTED(429), TIMED_OUT(504), CANCELLED(503);

  private final int status;

  Outcome(int status) {
    this.status = status;
  }

  /** The {@code outcome} label of the meters and the dashboard. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The HTTP status a client of the task endpoint got for it. */
  public int status() {
    return status;
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
