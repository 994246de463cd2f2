package dev.anvil.compute.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one map from a task's outcome to its client's HTTP status, and to the meters' outcome label. */
class OutcomeTest {

  @Test
  void everyFailureHasTheStatusItsClientGetsAndALabel() {
    Map<TaskOutcome.Failure, Integer> statuses = new EnumMap<>(TaskOutcome.Failure.class);
    Map<TaskOutcome.Failure, Outcome> labels = new EnumMap<>(TaskOutcome.Failure.class);
    for (TaskOutcome.Failure failure : TaskOutcome.Failure.values()) {
      TaskOutcome.Failed failed = new TaskOutcome.Failed(1, failure, "why", "127.0.0.1:25520");
      statuses.put(failure, Outcome.status(failed));
      labels.put(failure, Outcome.of(failed));
    }
    assertThat(statuses).containsExactlyInAnyOrderEntriesOf(Map.of(
        TaskOutcome.Failure.REJECTED, 429, TaskOutcome.Failure.TIMED_OUT, 504, TaskOutcome.Failure.CRASHED, 500,
        TaskOutcome.Failure.UNAVAILABLE, 503, TaskOutcome.Failure.ABANDONED, 503, TaskOutcome.Failure.CANCELLED, 503));
    assertThat(labels).containsExactlyInAnyOrderEntriesOf(Map.of(
        TaskOutcome.Failure.REJECTED, Outcome.REJECTED, TaskOutcome.Failure.TIMED_OUT, Outcome.TIMED_OUT,
        TaskOutcome.Failure.CRASHED, Outcome.FAILED, TaskOutcome.Failure.UNAVAILABLE, Outcome.REJECTED,
        TaskOutcome.Failure.ABANDONED, Outcome.FAILED, TaskOutcome.Failure.CANCELLED, Outcome.CANCELLED));
    Map<TaskOutcome.Failure, String> slugs = new EnumMap<>(TaskOutcome.Failure.class);
    for (TaskOutcome.Failure failure : TaskOutcome.Failure.values()) {
      slugs.put(failure, Outcome.problemSlug(failure));
    }
    assertThat(slugs).containsExactlyInAnyOrderEntriesOf(Map.of(
        TaskOutcome.Failure.REJECTED, "queue-full", TaskOutcome.Failure.TIMED_OUT, "deadline",
        TaskOutcome.Failure.CRASHED, "task-failed", TaskOutcome.Failure.UNAVAILABLE, "unavailable",
        TaskOutcome.Failure.ABANDONED, "unavailable", TaskOutcome.Failure.CANCELLED, "cancelled"));
    TaskOutcome done = new TaskOutcome.Completed(1, "primes", new byte[0], "127.0.0.1:25520", 0, 1);
    assertThat(Outcome.status(done)).isEqualTo(200);
    assertThat(Outcome.of(done)).isEqualTo(Outcome.SUCCEEDED);
  }
}
