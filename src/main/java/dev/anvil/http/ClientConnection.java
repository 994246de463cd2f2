package dev.anvil.http;

import dev.anvil.compute.local.TaskIntake;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskRun;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.http.javadsl.model.AttributeKey;

/**
 * One client connection, as far as its tasks go: the task it waits for (HTTP/1.1 serves one
 * request of a connection at a time), so that a client that goes away cancels it where it
 * runs instead of leaving a worker computing for nobody. A streamed answer (a batch) hears of
 * the close through {@link #onClose}: Pekko HTTP cancels a response's stream only when a write
 * to the closed connection fails, which may be long after the close when nothing is written.
 */
public final class ClientConnection {

  /** Every request served by the routes carries its connection under this key. */
  public static final AttributeKey<ClientConnection> KEY = AttributeKey.create("anvil-connection",
      ClientConnection.class);

  private final TaskIntake scheduler;
  private final String node;
  private volatile TaskRun waitingFor;
  private volatile boolean closed;
  private final Set<Runnable> onClose = ConcurrentHashMap.newKeySet();

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

  /**
   * Runs {@code action} when the client closes this connection (at once if it has); returns what
   * takes it back, for a request that ended first.
   */
  public Runnable onClose(Runnable action) {
    onClose.add(action);
    if (closed && onClose.remove(action)) {
      action.run();
    }
    return () -> onClose.remove(action);
  }

  /** The client closed the connection (or it failed): its task, if any, is cancelled. */
  void closed() {
    closed = true;
    for (Runnable action : onClose) {
      if (onClose.remove(action)) {
        action.run();
      }
    }
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
