package dev.anvil.compute;

import dev.anvil.CborSerializable;
import dev.anvil.compute.TaskOutcome.Failure;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Takes every task this node receives and sends it to a free worker: this node's own when one
 * is free, otherwise the pool with the most free workers anywhere in the cluster. When every
 * worker is busy, tasks wait here, in arrival order, and go to whichever pool frees a worker
 * first; a full wait queue means 429. Tasks sent to a node that becomes unreachable or leaves
 * are sent again elsewhere while their deadline allows. One per node, spawned by the guardian.
 */
public final class TaskRouter extends AbstractBehavior<TaskRouter.Command> {

  public interface Command extends CborSerializable {}

  /** Run a task for the HTTP layer; exactly one {@link TaskOutcome} goes to {@code replyTo}. */
  public record RunTask(String kind, byte[] input, long timeoutMs, ActorRef<TaskOutcome> replyTo)
      implements Command, NoSerializationVerificationNeeded {}

  /** The pools this router knows, with their last load. */
  public record GetView(ActorRef<View> replyTo) implements Command, NoSerializationVerificationNeeded {}

  public record View(List<PoolView> pools, int waiting) implements NoSerializationVerificationNeeded {}

  public record PoolView(String node, boolean reachable, PoolLoad load) {}

  /** A pool's answer about one task. */
  public record PoolReplied(ActorRef<WorkerPool.Command> pool, TaskOutcome outcome) implements Command {}

  private record PoolsListed(Receptionist.Listing listing) implements Command, NoSerializationVerificationNeeded {}

  private record Reachability(ClusterEvent.ReachabilityEvent event)
      implements Command, NoSerializationVerificationNeeded {}

  /** A member that was downed or removed: its pool is lost for good. */
  private record MemberGone(ClusterEvent.MemberEvent event) implements Command, NoSerializationVerificationNeeded {}

  private record DeadlinePassed(String taskId) implements Command, NoSerializationVerificationNeeded {}

  /** A task this router answers for: waiting here ({@code pool == null}) or sent to a pool. */
  private static final class Entry {
    final String taskId;
    final RunTask run;
    final long receivedNanos;
    final long deadlineNanos;
    ActorRef<WorkerPool.Command> pool;
    long sentNanos;

    Entry(String taskId, RunTask run, long receivedNanos) {
      this.taskId = taskId;
      this.run = run;
      this.receivedNanos = receivedNanos;
      this.deadlineNanos = receivedNanos + run.timeoutMs() * 1_000_000L;
    }
  }

  /** What this router knows of one pool. */
  private static final class Pool {
    final Address address;
    PoolLoad load;
    long sent;
    boolean reachable = true;

    Pool(Address address) {
      this.address = address;
    }

    /** Tasks this pool can take now, counting those on their way to it, at {@code perWorker} tasks a worker. */
    int room(int perWorker) {
      if (!reachable || load == null || !load.accepting()) {
        return 0;
      }
      long inTransit = sent - load.submitsSeen();
      return (int) Math.max(0, (long) load.workers() * perWorker - load.running() - load.queued() - inTransit);
    }

    boolean canWork() {
      return reachable && load != null && load.accepting() && load.workers() > 0;
    }
  }

  private final String node;
  private final ActorRef<WorkerPool.Command> localPool;
  private final int waitCapacity;
  private final int prefetch;
  private boolean backlogTold;
  private final Address selfAddress;
  private final TimerScheduler<Command> timers;
  private final Map<ActorRef<WorkerPool.Command>, Pool> pools = new LinkedHashMap<>();
  private final ArrayDeque<Entry> waiting = new ArrayDeque<>();
  private final Map<String, Entry> entries = new HashMap<>();

  /**
   * @param waitCapacity tasks that may wait here for a free worker before new ones get 429
   * @param prefetch tasks per worker a pool may hold beyond the one each worker runs
   */
  public static Behavior<Command> create(String node, ActorRef<WorkerPool.Command> localPool, int waitCapacity,
      int prefetch) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new TaskRouter(ctx, timers, node, localPool,
        waitCapacity, prefetch)));
  }

  private TaskRouter(ActorContext<Command> context, TimerScheduler<Command> timers, String node,
      ActorRef<WorkerPool.Command> localPool, int waitCapacity, int prefetch) {
    super(context);
    this.prefetch = prefetch;
    this.timers = timers;
    this.node = node;
    this.localPool = localPool;
    this.waitCapacity = waitCapacity;
    Cluster cluster = Cluster.get(context.getSystem());
    this.selfAddress = cluster.selfMember().address();
    addPool(localPool);
    context.getSystem().receptionist().tell(Receptionist.subscribe(WorkerPool.KEY,
        context.messageAdapter(Receptionist.Listing.class, PoolsListed::new)));
    cluster.subscriptions().tell(Subscribe.create(
        context.messageAdapter(ClusterEvent.ReachabilityEvent.class, Reachability::new),
        ClusterEvent.ReachabilityEvent.class));
    cluster.subscriptions().tell(Subscribe.create(
        context.messageAdapter(ClusterEvent.MemberEvent.class, MemberGone::new), ClusterEvent.MemberEvent.class));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(RunTask.class, this::onRunTask)
        .onMessage(PoolReplied.class, this::onPoolReplied)
        .onMessage(PoolLoad.class, this::onPoolLoad)
        .onMessage(DeadlinePassed.class, this::onDeadlinePassed)
        .onMessage(PoolsListed.class, this::onPoolsListed)
        .onMessage(Reachability.class, this::onReachability)
        .onMessage(MemberGone.class, this::onMemberGone)
        .onMessage(GetView.class, this::onGetView)
        .onSignal(Terminated.class, this::onTerminated)
        .build();
  }

  private Behavior<Command> onRunTask(RunTask run) {
    if (pools.values().stream().noneMatch(Pool::canWork)) {
      run.replyTo().tell(new TaskOutcome.Failed("", Failure.UNAVAILABLE,
          "no node of the cluster can take tasks now", node));
      return this;
    }
    if (waiting.size() >= waitCapacity && choosePool() == null) {
      run.replyTo().tell(new TaskOutcome.Failed("", Failure.REJECTED,
          "every worker of the cluster is busy and this node's queue of " + waitCapacity + " tasks is full", node));
      return this;
    }
    Entry entry = new Entry(UUID.randomUUID().toString(), run, System.nanoTime());
    entries.put(entry.taskId, entry);
    timers.startSingleTimer(entry.taskId, new DeadlinePassed(entry.taskId), Duration.ofMillis(run.timeoutMs()));
    waiting.add(entry);
    dispatch();
    return this;
  }

  /** Sends waiting tasks, oldest first, while some pool has a free worker. */
  private void dispatch() {
    if (!waiting.isEmpty() && pools.values().stream().noneMatch(Pool::canWork)) {
      failWaiting("no node of the cluster can take tasks now");
    }
    while (!waiting.isEmpty()) {
      ActorRef<WorkerPool.Command> target = choosePool();
      if (target == null) {
        break;
      }
      send(waiting.poll(), target);
    }
    tellBacklog();
  }

  /** Tells this node's pool when tasks start or stop waiting here (see WorkerPool.LocalBacklog). */
  private void tellBacklog() {
    if (backlogTold != !waiting.isEmpty()) {
      backlogTold = !waiting.isEmpty();
      localPool.tell(new WorkerPool.LocalBacklog(backlogTold));
    }
  }

  /**
   * An idle worker first: this node's, else the pool with the most idle workers. Failing that,
   * a prefetch slot, where the task waits right behind a running one so that its worker starts
   * it without a round trip to this router: again this node's first.
   */
  private ActorRef<WorkerPool.Command> choosePool() {
    ActorRef<WorkerPool.Command> idle = roomiest(1);
    return idle != null || prefetch == 0 ? idle : roomiest(1 + prefetch);
  }

  private ActorRef<WorkerPool.Command> roomiest(int perWorker) {
    if (pools.get(localPool).room(perWorker) > 0) {
      return localPool;
    }
    ActorRef<WorkerPool.Command> best = null;
    int bestRoom = 0;
    for (Map.Entry<ActorRef<WorkerPool.Command>, Pool> e : pools.entrySet()) {
      int room = e.getValue().room(perWorker);
      if (room > bestRoom) {
        best = e.getKey();
        bestRoom = room;
      }
    }
    return best;
  }

  private void send(Entry entry, ActorRef<WorkerPool.Command> target) {
    long now = System.nanoTime();
    long remainingMs = Math.max(1, (entry.deadlineNanos - now) / 1_000_000);
    entry.pool = target;
    entry.sentNanos = now;
    pools.get(target).sent++;
    target.tell(new WorkerPool.Submit(
        new TaskRequest(entry.taskId, entry.run.kind(), entry.run.input(), remainingMs, node), getContext().getSelf()));
  }

  private Behavior<Command> onPoolReplied(PoolReplied reply) {
    TaskOutcome outcome = reply.outcome();
    Entry entry = entries.get(outcome.taskId());
    if (entry == null) {
      return this; // answered already: deadline, or a duplicate after failover
    }
    if (outcome instanceof TaskOutcome.Failed f
        && (f.failure() == Failure.REJECTED || f.failure() == Failure.ABANDONED)) {
      if (reply.pool().equals(entry.pool)) { // the pool could not run it: another one may
        entry.pool = null;
        waiting.addFirst(entry);
        dispatch();
      }
      return this;
    }
    entries.remove(entry.taskId);
    timers.cancel(entry.taskId);
    if (outcome instanceof TaskOutcome.Completed c) {
      long waitedHereMs = (entry.sentNanos - entry.receivedNanos) / 1_000_000;
      outcome = new TaskOutcome.Completed(c.taskId(), c.kind(), c.result(), c.node(), c.queueMs() + waitedHereMs,
          c.computeMs());
    }
    entry.run.replyTo().tell(outcome);
    return this;
  }

  private void failWaiting(String detail) {
    for (Entry entry : waiting) {
      entries.remove(entry.taskId);
      timers.cancel(entry.taskId);
      entry.run.replyTo().tell(new TaskOutcome.Failed(entry.taskId, Failure.UNAVAILABLE, detail, node));
    }
    waiting.clear();
  }

  private Behavior<Command> onPoolLoad(PoolLoad load) {
    Pool pool = pools.get(load.pool());
    if (pool != null) {
      pool.load = load;
      dispatch();
    }
    return this;
  }

  private Behavior<Command> onDeadlinePassed(DeadlinePassed message) {
    Entry entry = entries.remove(message.taskId());
    if (entry == null) {
      return this;
    }
    String detail;
    if (entry.pool == null) {
      waiting.remove(entry);
      tellBacklog();
      detail = "the deadline of " + entry.run.timeoutMs() + " ms passed while the task waited for a free worker";
    } else {
      entry.pool.tell(new WorkerPool.Cancel(entry.taskId));
      detail = "the deadline of " + entry.run.timeoutMs() + " ms passed; the task was cancelled";
    }
    entry.run.replyTo().tell(new TaskOutcome.Failed(entry.taskId, Failure.TIMED_OUT, detail,
        entry.pool == null ? node : nodeOf(entry.pool)));
    return this;
  }

  private Behavior<Command> onPoolsListed(PoolsListed message) {
    Set<ActorRef<WorkerPool.Command>> listed = new HashSet<>(message.listing().getServiceInstances(WorkerPool.KEY));
    listed.add(localPool);
    for (ActorRef<WorkerPool.Command> pool : listed) {
      if (!pools.containsKey(pool)) {
        addPool(pool);
      }
    }
    for (ActorRef<WorkerPool.Command> pool : new ArrayList<>(pools.keySet())) {
      if (!listed.contains(pool)) {
        removePool(pool, "it left the cluster's listing");
      }
    }
    return this;
  }

  private void addPool(ActorRef<WorkerPool.Command> pool) {
    Address address = pool.path().address();
    pools.put(pool, new Pool(address.hasLocalScope() ? selfAddress : address));
    getContext().watch(pool);
    pool.tell(new WorkerPool.WatchLoad(getContext().getSelf()));
  }

  private void removePool(ActorRef<WorkerPool.Command> pool, String why) {
    if (pool.equals(localPool) || pools.remove(pool) == null) {
      return;
    }
    getContext().unwatch(pool);
    resend(pool, why);
  }

  private Behavior<Command> onTerminated(Terminated terminated) {
    ActorRef<WorkerPool.Command> pool = terminated.getRef().unsafeUpcast();
    removePool(pool, "it stopped");
    return this;
  }

  private Behavior<Command> onReachability(Reachability message) {
    Address address = message.event().member().address();
    boolean reachable = message.event() instanceof ClusterEvent.ReachableMember;
    for (Map.Entry<ActorRef<WorkerPool.Command>, Pool> e : pools.entrySet()) {
      if (e.getValue().address.equals(address)) {
        e.getValue().reachable = reachable;
        if (!reachable) {
          resend(e.getKey(), "its node " + address + " is unreachable");
        }
      }
    }
    dispatch();
    return this;
  }

  private Behavior<Command> onMemberGone(MemberGone message) {
    if (!(message.event() instanceof ClusterEvent.MemberDowned)
        && !(message.event() instanceof ClusterEvent.MemberRemoved)) {
      return this; // a member that leaves gracefully finishes what it has
    }
    Address address = message.event().member().address();
    for (Map.Entry<ActorRef<WorkerPool.Command>, Pool> e : new ArrayList<>(pools.entrySet())) {
      if (e.getValue().address.equals(address)) {
        removePool(e.getKey(), "its node " + address + " was downed or removed");
      }
    }
    return this;
  }

  /** Tasks sent to a pool that is gone go back to the front of the queue (they are pure). */
  private void resend(ActorRef<WorkerPool.Command> lost, String why) {
    List<Entry> orphans = new ArrayList<>();
    for (Entry entry : entries.values()) {
      if (lost.equals(entry.pool)) {
        entry.pool = null;
        orphans.add(entry);
      }
    }
    if (!orphans.isEmpty()) {
      getContext().getLog().warn("Sending {} task(s) again because the pool of {} is lost: {}", orphans.size(),
          nodeOf(lost), why);
      orphans.sort((a, b) -> Long.compare(b.receivedNanos, a.receivedNanos));
      orphans.forEach(waiting::addFirst);
    }
    dispatch();
  }

  private Behavior<Command> onGetView(GetView message) {
    List<PoolView> views = new ArrayList<>();
    for (Map.Entry<ActorRef<WorkerPool.Command>, Pool> e : pools.entrySet()) {
      if (e.getValue().load != null) {
        views.add(new PoolView(nodeOf(e.getKey()), e.getValue().reachable, e.getValue().load));
      }
    }
    message.replyTo().tell(new View(views, waiting.size()));
    return this;
  }

  private String nodeOf(ActorRef<WorkerPool.Command> pool) {
    Pool known = pools.get(pool);
    Address address = known != null ? known.address : pool.path().address();
    return NodeIds.of(address.hasLocalScope() ? selfAddress : address);
  }
}
