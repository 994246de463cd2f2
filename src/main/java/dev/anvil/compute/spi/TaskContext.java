package dev.anvil.compute.spi;

import java.time.Duration;

/** What a running task may ask of Anvil: its deadline, cancellation, and progress. */
public interface TaskContext {

  /** Time left before the deadline; zero or negative once it has passed. */
  Duration remaining();

  /** True once the task was cancelled or its deadline passed. */
  boolean isCancelled();

  /**
   * Throws {@link TaskCancelledException} when the task was cancelled or its deadline passed.
   * Cheap enough to call in an inner loop every few thousand iterations.
   */
  void checkCancelled();

  /** Reports progress as a fraction from 0 to 1; values outside are clamped. */
  void reportProgress(double fraction);
}
