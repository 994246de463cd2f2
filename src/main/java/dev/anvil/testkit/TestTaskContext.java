package dev.anvil.testkit;

import dev.anvil.compute.spi.TaskCancelledException;
import dev.anvil.compute.spi.TaskContext;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link TaskContext} for a kind's unit tests: a deadline, a cancel switch, and the progress
 * the task reported. {@code kind.run(input, new TestTaskContext())}.
 */
public final class TestTaskContext implements TaskContext {

  private final long deadlineNanos;
  private volatile boolean cancelled;
  private final List<Double> progress = new CopyOnWriteArrayList<>();
  private volatile double cancelAt = Double.NaN;

  /** A minute to run. */
  public TestTaskContext() {
    this(Duration.ofMinutes(1));
  }

  public TestTaskContext(Duration deadline) {
    this.deadlineNanos = System.nanoTime() + deadline.toNanos();
  }

  /** From now on the task is cancelled: its next {@link #checkCancelled()} throws. */
  public void cancel() {
    cancelled = true;
  }

  /**
   * Cancels the task once it reports progress of at least {@code fraction}, as Anvil does when the
   * deadline passes or the client leaves mid-way: a test that its loop checks for cancellation.
   */
  public TestTaskContext cancelOnceProgressReaches(double fraction) {
    this.cancelAt = fraction;
    return this;
  }

  /** Every fraction the task reported, in order (clamped to 0..1, as Anvil does). */
  public List<Double> progress() {
    return List.copyOf(progress);
  }

  @Override
  public Duration remaining() {
    return Duration.ofNanos(deadlineNanos - System.nanoTime());
  }

  @Override
  public boolean isCancelled() {
    return cancelled || deadlineNanos - System.nanoTime() <= 0;
  }

  @Override
  public void checkCancelled() {
    if (isCancelled()) {
      throw new TaskCancelledException(cancelled ? "cancelled" : "the deadline passed");
    }
  }

  @Override
  public void reportProgress(double fraction) {
    double clamped = Math.max(0, Math.min(1, fraction));
    progress.add(clamped);
    if (clamped >= cancelAt) {
      cancelled = true;
    }
  }
}
