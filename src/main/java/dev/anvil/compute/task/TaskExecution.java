package dev.anvil.compute.task;

import dev.anvil.compute.spi.TaskCancelledException;
import dev.anvil.compute.spi.TaskContext;
import java.time.Duration;

/**
 * The {@link TaskContext} of one run, and the handle by which its pool cancels it: a flag the
 * task checks, plus an interrupt for code that blocks. Shared by a pool and one worker thread.
 */
public final class TaskExecution implements TaskContext {

  private final long deadlineNanos;
  private volatile boolean cancelled;
  private volatile boolean abandoned;
  private volatile double progress;
  private Thread runner; // guarded by this

  TaskExecution(long deadlineNanos) {
    this.deadlineNanos = deadlineNanos;
  }

  long deadlineNanos() {
    return deadlineNanos;
  }

  public boolean deadlinePassed() {
    return System.nanoTime() - deadlineNanos >= 0;
  }

  /** Called by the worker thread before the task runs. */
  public synchronized void begin() {
    runner = Thread.currentThread();
  }

  /** Called by the worker thread after the task ran; clears an interrupt that came too late. */
  public synchronized void end() {
    runner = null;
    Thread.interrupted();
  }

  /** Called by the pool, from any thread. */
  public synchronized void cancel() {
    cancelled = true;
    if (runner != null) {
      runner.interrupt();
    }
  }

  /** Cancels because the node stops, not because the deadline passed: the task may run elsewhere. */
  public void abandon() {
    abandoned = true;
    cancel();
  }

  public boolean abandoned() {
    return abandoned;
  }

  double progress() {
    return progress;
  }

  @Override
  public Duration remaining() {
    return Duration.ofNanos(deadlineNanos - System.nanoTime());
  }

  @Override
  public boolean isCancelled() {
    return cancelled || deadlinePassed();
  }

  @Override
  public void checkCancelled() {
    if (isCancelled()) {
      throw new TaskCancelledException(cancelled ? "cancelled" : "deadline passed");
    }
  }

  @Override
  public void reportProgress(double fraction) {
    progress = Math.max(0, Math.min(1, fraction));
  }
}
