package dev.anvil.batch;

import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.serialization.CborSerializable;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a node's {@link BatchDispatcher} (the node that reads a batch) and every node's
 * {@link BatchRunner} (which runs its items) say to each other. Items travel in groups, so
 * that an item costs a share of a message, not a message of its own.
 */
public interface BatchProtocol {

  /** What a runner takes. */
  interface RunnerCommand {}

  /** What a dispatcher takes. */
  interface DispatcherCommand {}

  /** One input of a batch, already checked by the node that read it. */
  record Item(long index, byte[] input) implements CborSerializable {}

  /**
   * Dispatcher to runner: run these items of one batch, each within {@code timeoutMs} of its
   * arrival; answer each in {@link GroupAnswered}, to {@code replyToLarge} when a part is large.
   *
   * @param batch unique in the cluster (the reading node's id and a number)
   * @param group unique within the batch
   * @param tenant whose batch it is (null from a node of an earlier version: tenant default)
   */
  record RunGroup(String batch, long group, String kind, long timeoutMs, List<Item> items,
      ActorRef<DispatcherCommand> replyTo, ActorRef<DispatcherCommand> replyToLarge, String tenant)
      implements RunnerCommand, CborSerializable {}

  /** Dispatcher to runner: the batch's client went away; stop its items that have not ended. */
  record CancelBatch(String batch) implements RunnerCommand, CborSerializable {}

  /** Dispatcher to runner: say how many workers this node has. */
  record Hello(ActorRef<DispatcherCommand> replyTo) implements RunnerCommand, CborSerializable {}

  /** Runner to dispatcher: its node, its number of workers, and where to send a group of large inputs. */
  record Workers(ActorRef<RunnerCommand> runner, ActorRef<RunnerCommand> largeInbox, String node, int workers)
      implements DispatcherCommand, CborSerializable {}

  /** How one item ended. */
  record ItemOutcome(long index, TaskOutcome outcome) implements CborSerializable {}

  /** Runner to dispatcher: some items of a group have ended (a group is answered in one or more parts). */
  record GroupAnswered(ActorRef<RunnerCommand> runner, String batch, long group, List<ItemOutcome> outcomes)
      implements DispatcherCommand, CborSerializable {}
}
