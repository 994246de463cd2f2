package dev.anvil.jobs;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.anvil.serialization.CborSerializable;

/**
 * One job as its entity keeps it: what to run, where it ran, how far it got, and how it ended.
 * Immutable; the entity's state, rebuilt from its events (see {@link JobEvent}).
 *
 * @param inputHash hash of kind and body, so an idempotency key reused with another body is told apart
 * @param attempts the number of the current (or last) run: 1 at first, one more at each resume
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
    long submittedAt,
    long startedAt,
    long finishedAt,
    long queueMs,
    long computeMs,
    byte[] result,
    Problem error,
    String tenant) implements CborSerializable {

  /** A record from before tenants (its tenant null) belongs to tenant {@code default}. */
  public JobRecord {
    tenant = tenant == null || tenant.isEmpty() ? dev.anvil.security.Caller.DEFAULT_TENANT : tenant;
  }

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

  public boolean isFinal() {
    return status.isFinal();
  }

  JobRecord started(String node, int attempt, long now) {
    return new JobRecord(id, kind, input, timeoutMs, idempotencyKey, inputHash, Status.RUNNING, 0, attempt,
        node, submittedAt, now, 0, 0, 0, null, null, tenant);
  }

  /** As it is told to readers and watchers: without its input, which no view shows. */
  JobRecord withoutInput() {
    return input == null ? this : new JobRecord(id, kind, null, timeoutMs, idempotencyKey, inputHash, status, progress,
        attempts, node, submittedAt, startedAt, finishedAt, queueMs, computeMs, result, error, tenant);
  }

  /**
   * Whether the result is kept in {@link JobPayloads} rather than here: a succeeded job always has
   * one (a kind's result is JSON, at least {@code null}). Only for records from the job's entity:
   * the listing leaves out results larger than it lists.
   */
  boolean resultStored() {
    return status == Status.SUCCEEDED && result == null;
  }

  JobRecord withResult(byte[] stored) {
    return new JobRecord(id, kind, input, timeoutMs, idempotencyKey, inputHash, status, progress, attempts, node,
        submittedAt, startedAt, finishedAt, queueMs, computeMs, stored, error, tenant);
  }

  JobRecord withProgress(double fraction) {
    return new JobRecord(id, kind, input, timeoutMs, idempotencyKey, inputHash, status, fraction, attempts, node,
        submittedAt, startedAt, finishedAt, queueMs, computeMs, result, error, tenant);
  }

  JobRecord finished(Status end, String node, long now, long queueMs, long computeMs, byte[] result, Problem error) {
    return new JobRecord(id, kind, input, timeoutMs, idempotencyKey, inputHash, end,
        end == Status.SUCCEEDED ? 1.0 : progress, attempts, node == null ? this.node : node, submittedAt,
        startedAt == 0 ? now : startedAt, now, queueMs, computeMs, result, error, tenant);
  }
}
