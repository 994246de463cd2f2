package dev.anvil.compute.task;

import dev.anvil.compute.spi.ComputeTask;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One task on this node, from its arrival to its answer: what to run, its deadline and
 * cancellation, and whom to tell how it ended. Shared by the threads that queue, run and
 * answer it; answered exactly once, by whichever comes first (its worker, its deadline, a
 * cancel, a failover).
 */
public final class TaskRun {

  private final long id;
  private final ComputeTask<?, ?> task;
  private final byte[] input;
  private final Object parsedInput;
  private final TaskExecution execution;
  private final long receivedNanos;
  private final long timeoutMs;
  private final Consumer<TaskOutcome> answer;
  private final String tenant;
  private final AtomicBoolean answered = new AtomicBoolean();

  /** The tenant of tasks whose submitter named none (the open API, and the testkit). */
  public static final String DEFAULT_TENANT = "default";

  /**
   * @param timeoutMs the deadline, counted from {@code receivedNanos}
   * @param input the request body as JSON, already checked by the node that received it
   * @param parsedInput {@code input} read as the kind's input type, or null to read it where it runs
   * @param answer told the outcome, once, on whichever thread ends the task
   */
  public TaskRun(long id, ComputeTask<?, ?> task, byte[] input, Object parsedInput, long timeoutMs,
      long receivedNanos, Consumer<TaskOutcome> answer) {
    this(id, task, input, parsedInput, timeoutMs, receivedNanos, DEFAULT_TENANT, answer);
  }

  /** @param tenant whose task it is: a full cluster takes waiting tasks in fair turns across tenants */
  public TaskRun(long id, ComputeTask<?, ?> task, byte[] input, Object parsedInput, long timeoutMs,
      long receivedNanos, String tenant, Consumer<TaskOutcome> answer) {
    this.id = id;
    this.tenant = tenant == null || tenant.isEmpty() ? DEFAULT_TENANT : tenant;
    this.task = task;
    this.input = input;
    this.parsedInput = parsedInput;
    this.timeoutMs = timeoutMs;
    this.execution = new TaskExecution(receivedNanos + timeoutMs * 1_000_000L);
    this.receivedNanos = receivedNanos;
    this.answer = answer;
  }

  public long id() {
    return id;
  }

  public String tenant() {
    return tenant;
  }

  public String kind() {
    return task.kind();
  }

  public ComputeTask<?, ?> task() {
    return task;
  }

  public byte[] input() {
    return input;
  }

  public Object parsedInput() {
    return parsedInput;
  }

  public TaskExecution execution() {
    return execution;
  }

  public long receivedNanos() {
    return receivedNanos;
  }

  /** The deadline as the client gave it (or, on the node that runs a task for another, as it arrived). */
  public long timeoutMs() {
    return timeoutMs;
  }

  public long deadlineNanos() {
    return execution.deadlineNanos();
  }

  /** Milliseconds left before the deadline at {@code nowNanos}; at least 1 so a receiver still sees a deadline. */
  public long remainingMs(long nowNanos) {
    return Math.max(1, (execution.deadlineNanos() - nowNanos) / 1_000_000);
  }

  /** What the task reported of its progress (TaskContext.reportProgress), 0 to 1; 0 where it runs on another node. */
  public double progress() {
    return execution.progress();
  }

  /** Tells the outcome unless the task was answered already; true if this call answered it. */
  public boolean answer(TaskOutcome outcome) {
    if (!answered.compareAndSet(false, true)) {
      return false;
    }
    answer.accept(outcome);
    return true;
  }

  public boolean answered() {
    return answered.get();
  }

  @Override
  public String toString() {
    return "TaskRun[" + id + " " + task.kind() + "]";
  }
}
