package dev.anvil.jobs;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.anvil.CborSerializable;

/**
 * One job as every node keeps it: what to run, where it runs, how far it got, and how it ended.
 * Immutable; each change by the job's owner makes a new record with a higher {@code version}, and
 * every node keeps the highest version it has seen of each job (a node that learns of two
 * versions of a job keeps the same one as every other node).
 *
 * @param owner the store that runs it (node id and incarnation): it alone changes the record,
 *     until it is gone from the cluster and another adopts it
 * @param inputHash hash of kind and body, so an idempotency key reused with another body is told apart
 * @param result the kind's result as JSON, when succeeded
 */
public record JobRecord(
    String id,
    String kind,
    byte[] input,
    long timeoutMs,
    String idempotencyKey,
    String inputHash,
    Status status,
    double progress,
    int attempts,
    String node,
    String owner,
    long submittedAt,
    long startedAt,
    long finishedAt,
    long queueMs,
    long computeMs,
    byte[] result,
    Problem error,
    long version) implements CborSerializable {

  public enum Status {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    @JsonValue
    public String json() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public boolean isFinal() {
      return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    public static Status parse(String text) {
      for (Status s : values()) {
        if (s.json().equals(text)) {
          return s;
        }
      }
      return null;
    }
  }

  /** A failed job's error, as the problem+json the task would have answered. */
  public record Problem(String type, String title, int status, String detail) implements CborSerializable {}

  boolean isFinal() {
    return status.isFinal();
  }

  /** Whether this version should replace {@code other} of the same job. */
  boolean newerThan(JobRecord other) {
    if (version != other.version) {
      return version > other.version;
    }
    if (isFinal() != other.isFinal()) {
      return isFinal();
    }
    return owner.compareTo(other.owner) > 0; // two adopters at once: every node picks the same one
  }

  JobRecord running(String node, long now) {
    return new JobRecord(id, kind, input, timeoutMs, idempotencyKey, inputHash, Status.RUNNING, progress, attempts,
        node, owner, submittedAt, now, 0, 0, 0, null, null, version + 1);
  }

  JobRecord progress(double fraction) {
    return new JobRecord(id, kind, input, timeoutMs, idempotencyKey, inputHash, status, fraction, attempts, node,
        owner, submittedAt, startedAt, finishedAt, queueMs, computeMs, result, error, version + 1);
  }

  JobRecord finished(Status end, String node, long now, long queueMs, long computeMs, byte[] result, Problem error) {
    return new JobRecord(id, kind, input, timeoutMs, idempotencyKey, inputHash, end,
        end == Status.SUCCEEDED ? 1.0 : progress, attempts, node, owner, submittedAt,
        startedAt == 0 ? now : startedAt, now, queueMs, computeMs, result, error, version + 1);
  }

  /** Taken over by {@code newOwner} after its owner left the cluster: it runs again from its input. */
  JobRecord adoptedBy(String newOwner) {
    return new JobRecord(id, kind, input, timeoutMs, idempotencyKey, inputHash, Status.QUEUED, 0, attempts + 1, null,
        newOwner, submittedAt, 0, 0, 0, 0, null, null, version + 1);
  }
}
