package dev.anvil.compute.local;

import dev.anvil.compute.task.TaskRun;
import java.util.function.Consumer;

/**
 * One worker as the {@link LocalScheduler} sees it: the task it runs, since when, and how to
 * hand it the next one. The worker actor behind it is the only thread that runs its tasks.
 */
final class WorkerSlot {

  private final String name;
  private final Consumer<TaskRun> starter;
  /** Guarded by the scheduler. */
  TaskRun current;
  /** Guarded by the scheduler: when {@link #current} was handed over. */
  long assignedNanos;
  /** Guarded by the scheduler: gone for good (stopped, or replaced because it is stuck). */
  boolean retired;
  /** Set when the slot is retired because its task ignored the deadline: the task it is stuck in. */
  TaskRun stuckOn;

  /** @param starter hands a task to the worker; called outside the scheduler's lock, from any thread */
  WorkerSlot(String name, Consumer<TaskRun> starter) {
    this.name = name;
    this.starter = starter;
  }

  String name() {
    return name;
  }

  void start(TaskRun run) {
    starter.accept(run);
  }

  @Override
  public String toString() {
    return name;
  }
}
