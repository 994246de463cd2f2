package dev.anvil.compute;

import dev.anvil.CborSerializable;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * What a node's {@link TaskRouter} and the {@link WorkerPool}s of the other nodes say to each
 * other. Every message here may cross nodes, so each is a {@link RemoteCommand}.
 */
public interface PoolProtocol {

  /** A message that crosses nodes: serialized with Jackson CBOR. */
  interface RemoteCommand extends CborSerializable {}

  /**
   * Task inputs and results larger than this travel to the peer's large inbox, on Artery's
   * large-message channel: the ordinary channel's frames are 256 KiB, and its buffers stay
   * small because no big message ever uses them.
   */
  int LARGE_PAYLOAD_BYTES = 192 * 1024;

  /**
   * One task as it travels from the router that took it to the pool that runs it. The deadline
   * travels as time left, so nodes need no shared clock.
   *
   * @param taskId unique among the tasks of the router that sent it
   * @param input the request body, already checked by the receiving node
   */
  record TaskRequest(long taskId, String kind, byte[] input, long remainingMs, String receivedBy)
      implements CborSerializable {}

  /**
   * Router to pool: run this task; the outcome goes back as {@link PoolReplied}, to
   * {@code replyToLarge} when its result is large.
   */
  record Submit(TaskRequest request, ActorRef<TaskRouter.Command> replyTo, ActorRef<TaskRouter.Command> replyToLarge)
      implements WorkerPool.Command, RemoteCommand {}

  /** Router to pool: the router gave up on this task (its deadline passed). */
  record Cancel(long taskId, ActorRef<TaskRouter.Command> router) implements WorkerPool.Command, RemoteCommand {}

  /** Router to pool: send {@link PoolLoad} now and now and then (once a second). */
  record WatchLoad(ActorRef<TaskRouter.Command> subscriber) implements WorkerPool.Command, RemoteCommand {}

  /** Router to pool: stop sending {@link PoolLoad}; this router follows other pools now. */
  record UnwatchLoad(ActorRef<TaskRouter.Command> subscriber) implements WorkerPool.Command, RemoteCommand {}

  /**
   * Anyone to pool: its {@link PoolLoad} once (with {@code submitsSeen} -1), for a probe or a view
   * of the whole cluster; the asker follows nothing.
   */
  record QueryLoad(ActorRef<PoolLoad> replyTo) implements WorkerPool.Command, RemoteCommand {}

  /** Anyone to pool: this node's load and task statistics, for a view of the cluster such as the dashboard's. */
  record QueryStats(ActorRef<PoolStats> replyTo) implements WorkerPool.Command, RemoteCommand {}

  /**
   * Pool to whoever asked: its load (as in {@link PoolLoad}) and {@link TaskStats#stats()}.
   *
   * @param computeP50Ms of the tasks run on this node in the last minute; null when none ran
   * @param tasks tasks this node answered to its clients, by outcome
   * @param failures the latest tasks this node answered with a failure, newest first
   */
  record PoolStats(String node, int workers, int running, int queued, long completed, int stuck,
      Double computeP50Ms, Double computeP99Ms, Map<String, Long> tasks, List<TaskStats.RecentFailure> failures)
      implements RemoteCommand {}

  /**
   * Router to pool: whether it has tasks it would send here. While it has, the pool tells it
   * every change of the room it may fill; else only the periodic {@link PoolLoad}, so pools
   * and routers exchange nothing per task while each node keeps up with its own clients.
   */
  record Interest(ActorRef<TaskRouter.Command> router, boolean wantsRoom) implements WorkerPool.Command, RemoteCommand {}

  /**
   * Pool to router: where to send large tasks, its size, how busy it is, how many tasks it has room for, and how many of
   * this router's submissions it has seen, so the router can count those still on the way.
   */
  record PoolLoad(
      ActorRef<WorkerPool.Command> pool,
      ActorRef<WorkerPool.Command> largeInbox,
      String node,
      int workers,
      int running,
      int queued,
      long completed,
      boolean accepting,
      int room,
      int stuck,
      long submitsSeen)
      implements TaskRouter.Command, RemoteCommand {}

  /** Pool to router: how one of its tasks ended. */
  record PoolReplied(ActorRef<WorkerPool.Command> pool, TaskOutcome outcome) implements TaskRouter.Command, RemoteCommand {}

  /** A child that passes what it receives to its parent: its address is on the large-message channel. */
  static <T> Behavior<T> largeInbox(ActorRef<T> parent) {
    return Behaviors.receiveMessage(message -> {
      parent.tell(message);
      return Behaviors.same();
    });
  }
}
