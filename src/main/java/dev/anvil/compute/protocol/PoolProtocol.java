package dev.anvil.compute.protocol;

import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskStats;
import dev.anvil.serialization.CborSerializable;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * What a node's router ({@code compute.routing.TaskRouter}) and the pools of the other nodes
 * ({@code compute.local.WorkerPool}) say to each other. Every message here may cross nodes, so
 * each is a {@link RemoteCommand}.
 */
public interface PoolProtocol {

  /** A message that crosses nodes: serialized with Jackson CBOR. */
  interface RemoteCommand extends CborSerializable {}

  /**
   * What a node's pool ({@code compute.local.WorkerPool}) takes: the messages below from other
   * nodes' routers, and its own local ones. Declared here, beside the messages, so that the
   * protocol depends on neither side.
   */
  interface PoolCommand {}

  /** What a node's router ({@code compute.routing.TaskRouter}) takes from the pools it follows. */
  interface RouterCommand {}

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
   * @param tenant whose task it is, for the fair share of the node that runs it (null from a node
   *     of an earlier version: tenant {@code default})
   */
  record TaskRequest(long taskId, String kind, byte[] input, long remainingMs, String receivedBy, String tenant)
      implements CborSerializable {}

  /**
   * Router to pool: run this task; the outcome goes back as {@link PoolReplied}, to
   * {@code replyToLarge} when its result is large.
   */
  record Submit(TaskRequest request, ActorRef<RouterCommand> replyTo, ActorRef<RouterCommand> replyToLarge)
      implements PoolCommand, RemoteCommand {}

  /** Router to pool: the router gave up on this task (its deadline passed). */
  record Cancel(long taskId, ActorRef<RouterCommand> router) implements PoolCommand, RemoteCommand {}

  /** Router to pool: send {@link PoolLoad} now and now and then (once a second). */
  record WatchLoad(ActorRef<RouterCommand> subscriber) implements PoolCommand, RemoteCommand {}

  /** Router to pool: stop sending {@link PoolLoad}; this router follows other pools now. */
  record UnwatchLoad(ActorRef<RouterCommand> subscriber) implements PoolCommand, RemoteCommand {}

  /**
   * Anyone to pool: its {@link PoolLoad} once (with {@code submitsSeen} -1), for a probe or a view
   * of the whole cluster; the asker follows nothing.
   */
  record QueryLoad(ActorRef<PoolLoad> replyTo) implements PoolCommand, RemoteCommand {}

  /** Anyone to pool: this node's load and task statistics, for a view of the cluster such as the dashboard's. */
  record QueryStats(ActorRef<PoolStats> replyTo) implements PoolCommand, RemoteCommand {}

  /**
   * Pool to whoever asked: its load (as in {@link PoolLoad}) and {@link TaskStats#stats()}.
   *
   * @param computeP50Ms of the tasks run on this node in the last minute; null when none ran
   * @param tasks tasks this node answered to its clients, by outcome
   * @param failures the latest tasks this node answered with a failure, newest first
   * @param tenants running and waiting tasks on this node by tenant (null from a node of an earlier version)
   */
  record PoolStats(String node, int workers, int running, int queued, long completed, int stuck,
      Double computeP50Ms, Double computeP99Ms, Map<String, Long> tasks, List<TaskStats.RecentFailure> failures,
      int batchesRunning, long batchItems, Map<String, TenantLoad> tenants)
      implements RemoteCommand {}

  /** One tenant's tasks on a node: running on its workers, and waiting there for one. */
  record TenantLoad(int running, int queued) implements CborSerializable {}

  /**
   * Router to pool: whether it has tasks it would send here. While it has, the pool tells it
   * every change of the room it may fill; else only the periodic {@link PoolLoad}, so pools
   * and routers exchange nothing per task while each node keeps up with its own clients.
   */
  record Interest(ActorRef<RouterCommand> router, boolean wantsRoom) implements PoolCommand, RemoteCommand {}

  /**
   * Pool to router: where to send large tasks, its size, how busy it is, how many tasks it has room for, and how many of
   * this router's submissions it has seen, so the router can count those still on the way.
   */
  record PoolLoad(
      ActorRef<PoolCommand> pool,
      ActorRef<PoolCommand> largeInbox,
      String node,
      int workers,
      int running,
      int queued,
      long completed,
      boolean accepting,
      int room,
      int stuck,
      long submitsSeen)
      implements RouterCommand, RemoteCommand {}

  /** Pool to router: how one of its tasks ended. */
  record PoolReplied(ActorRef<PoolCommand> pool, TaskOutcome outcome) implements RouterCommand, RemoteCommand {}

  /** A child that passes what it receives to its parent: its address is on the large-message channel. */
  static <T> Behavior<T> largeInbox(ActorRef<T> parent) {
    return Behaviors.receiveMessage(message -> {
      parent.tell(message);
      return Behaviors.same();
    });
  }
}
