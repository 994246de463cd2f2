package dev.anvil.compute.task;

import java.util.Locale;

/**
 * How a task ended for its client (the {@code outcome} label of the meters and the dashboard),
 * and {@link #status(TaskOutcome)}: the one map from a task's outcome to the HTTP status its client
 * gets, used by the task endpoint, the jobs and the statistics alike, with {@link #problemSlug} its problem's type.
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

  /** The end of the problem's type ({@code urn:anvil:problem:<slug>}) a client gets for {@code failure}. */
  public static String problemSlug(TaskOutcome.Failure failure) {
    return switch (failure) {
      case REJECTED -> "queue-full";
      case TIMED_OUT -> "deadline";
      case CRASHED -> "task-failed";
      case UNAVAILABLE, ABANDONED -> "unavailable";
      case CANCELLED -> "cancelled";
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
