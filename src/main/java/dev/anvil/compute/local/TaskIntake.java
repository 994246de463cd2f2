package dev.anvil.compute.local;

import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskRun;

/**
 * The {@link LocalScheduler} as the HTTP layer and the jobs use it: a task comes in (started,
 * queued or refused), or is given up on. Its other faces are {@link SpillQueue} (the router's)
 * and the package's own (the pool's and the workers').
 */
public interface TaskIntake {

  /** A new task id, unique on this node while it runs. */
  long nextId();

  /** A task received on this node: started on an idle worker, queued, or refused. */
  LocalScheduler.Admission submit(TaskRun run);

  /**
   * An item of a batch that a batch dispatcher sent to this node: it runs here, in turn with
   * tasks; false when this node takes no work now (it drains).
   */
  boolean submitBatchItem(TaskRun run);

  /** Answers {@code run} with {@code outcome} now, unless it was answered already, and stops it wherever it is. */
  void abort(TaskRun run, TaskOutcome outcome);

  /** What this node's workers and queue hold now. */
  LocalScheduler.Load load();
}
