package dev.anvil.http;

import dev.anvil.compute.local.TaskIntake;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskRun;

/**
 * One client connection, as far as its tasks go: the task it waits for (HTTP/1.1 serves one
 * request of a connection at a time), so that a client that goes away cancels it where it
 * runs instead of leaving a worker computing for nobody.
 */
final class ClientConnection {

  private final TaskIntake scheduler;
  private final String node;
  private volatile TaskRun waitingFor;
  private volatile boolean closed;

  ClientConnection(TaskIntake scheduler, String node) {
    this.scheduler = scheduler;
    this.node = node;
  }

  /** The task this connection now waits for; false if the client has gone already. */
  boolean waitFor(TaskRun job) {
    waitingFor = job;
    if (closed) {
      cancel(job);
      return false;
    }
    return true;
  }

  void answered(TaskRun job) {
    if (waitingFor == job) {
      waitingFor = null;
    }
  }

  /** The client closed the connection (or it failed): its task, if any, is cancelled. */
  void closed() {
    closed = true;
    TaskRun job = waitingFor;
    if (job != null) {
      cancel(job);
    }
  }

  private void cancel(TaskRun job) {
    TaskOutcome.Failed gone = new TaskOutcome.Failed(job.id(), TaskOutcome.Failure.CANCELLED,
        "the client closed the connection", node);
    scheduler.abort(job, gone);
  }
}
