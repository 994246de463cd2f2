package dev.anvil.compute.task;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.anvil.serialization.CborSerializable;

/** How a task ended, as its pool tells the router and the router tells the HTTP layer. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
@JsonSubTypes({
  @JsonSubTypes.Type(value = TaskOutcome.Completed.class, name = "completed"),
  @JsonSubTypes.Type(value = TaskOutcome.Failed.class, name = "failed")
})
public sealed interface TaskOutcome extends CborSerializable {

  long taskId();

  /** @param result the kind's result as JSON */
  record Completed(long taskId, String kind, byte[] result, String node, long queueMs, long computeMs)
      implements TaskOutcome {}

  record Failed(long taskId, Failure failure, String detail, String node) implements TaskOutcome {}

  enum Failure {
    /** The pool or the cluster had no room; try again later (429). */
    REJECTED,
    /** The deadline passed; the task was cancelled where it ran (504). */
    TIMED_OUT,
    /** The task's own code threw (500, for this task only). */
    CRASHED,
    /** No node can take tasks now (503). */
    UNAVAILABLE,
    /** The node stopped before the task finished; the router runs it again elsewhere. */
    ABANDONED,
    /** Whoever waited for it went away (a client that closed its connection); it was stopped where it ran. */
    CANCELLED
  }
}
