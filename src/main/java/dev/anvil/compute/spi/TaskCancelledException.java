package dev.anvil.compute.spi;

/** Thrown by {@link TaskContext#checkCancelled()}: the task must stop and its result is dropped. */
public final class TaskCancelledException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TaskCancelledException(String message) {
    super(message, null, false, false);
  }
}
