package dev.anvil.jobs;

import dev.anvil.CborSerializable;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/** What the job stores of the nodes tell each other. */
final class JobProtocol {
  private JobProtocol() {}

  /** Keep this new job; acknowledge once kept, so its owner can answer 202 when a majority has it. */
  record Replicate(JobRecord record, ActorRef<JobStore.Command> replyTo) implements JobStore.Command, CborSerializable {}

  record Replicated(String id, String by) implements JobStore.Command, CborSerializable {}

  /** A newer version of a job: every node keeps the newest. */
  record Updated(JobRecord record) implements JobStore.Command, CborSerializable {}

  /** To a job's owner: cancel it where it runs. */
  record CancelRequested(String id) implements JobStore.Command, CborSerializable {}

  /**
   * What one store has for another from one burst of its mailbox, in one message: at a thousand
   * jobs a second, one message per job and peer would cost more than the jobs.
   *
   * @param replicate new jobs to keep and acknowledge
   * @param updated newer versions of jobs
   * @param acks jobs of the receiver that the sender now keeps
   */
  record Batch(List<JobRecord> replicate, List<JobRecord> updated, List<String> acks, String from,
      ActorRef<JobStore.Command> replyTo) implements JobStore.Command, CborSerializable {}

  /** From a node that starts: send me every job you keep. */
  record SyncRequest(ActorRef<JobStore.Command> replyTo) implements JobStore.Command, CborSerializable {}

  record SyncChunk(List<JobRecord> records) implements JobStore.Command, CborSerializable {}
}
