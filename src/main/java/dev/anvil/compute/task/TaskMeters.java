package dev.anvil.compute.task;

/**
 * Where {@link TaskStats} also reports each task, when meters are on: the Prometheus meters
 * ({@code dev.anvil.metrics.AnvilMetrics}) implement it, so compute never depends on them.
 */
public interface TaskMeters {

  /** A task received by this node was answered to its client (or refused before it ran). */
  void answered(String kind, Outcome outcome);

  /** A task finished running on this node: how long it waited for a worker here, and computed. */
  void ran(String kind, long queueNanos, long computeNanos);
}
