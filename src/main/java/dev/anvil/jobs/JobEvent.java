package dev.anvil.jobs;

import dev.anvil.jobs.JobRecord.Problem;
import dev.anvil.jobs.JobRecord.Status;
import dev.anvil.serialization.CborSerializable;

/**
 * What a job's entity stores in the journal, in order. Progress is not among them: it goes to
 * the job's watchers only.
 */
public sealed interface JobEvent extends CborSerializable {

  /**
   * Stored before the 202: from here on the job outlives any restart. {@code input} is null when
   * it was larger than {@code anvil.jobs.inline-bytes}: then it is in {@link JobPayloads}, stored
   * before this event.
   */
  record Accepted(String id, String kind, byte[] input, long timeoutMs, String idempotencyKey, String inputHash,
      String submitter, long submittedAt) implements JobEvent {}

  /** A run began on {@code node}; {@code attempt} counts the runs, 1 first. */
  record Started(String node, int attempt, long at) implements JobEvent {}

  /**
   * The run's end: succeeded with a result, or failed with a problem. A succeeded end without a
   * result has it in {@link JobPayloads} (larger than {@code anvil.jobs.inline-bytes}), stored
   * before this event.
   */
  record Finished(Status status, String node, long at, long queueMs, long computeMs, byte[] result, Problem error)
      implements JobEvent {}

  record Cancelled(long at) implements JobEvent {}

  /**
   * A finished job was deleted by its client ({@code DELETE}): from here on it is unknown (404) and
   * its key free again; the keeper's next sweep removes its rows.
   */
  record Deleted(long at) implements JobEvent {}
}
