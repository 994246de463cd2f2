package dev.anvil.compute;

import dev.anvil.compute.PoolProtocol.Cancel;
import dev.anvil.compute.PoolProtocol.Interest;
import dev.anvil.compute.PoolProtocol.PoolLoad;
import dev.anvil.compute.PoolProtocol.PoolReplied;
import dev.anvil.compute.PoolProtocol.Submit;
import dev.anvil.compute.PoolProtocol.TaskRequest;
import dev.anvil.compute.PoolProtocol.WatchLoad;
import dev.anvil.compute.TaskOutcome.Failure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * Sends the tasks this node received to other nodes' pools when they have room: a task waits
 * in the {@link LocalScheduler} for whichever frees first, a worker of this node (which takes
 * it there, without this actor) or room on another node, told by that node's pool. Tasks sent
 * to a node that becomes unreachable, is downed or stops are sent again while their deadline
 * allows (tasks are pure, so running one twice is safe; the first answer wins). One per node,
 * spawned by the guardian.
 */
public final class TaskRouter extends AbstractBehavior<TaskRouter.Command> {

  public sealed interface Command permits PoolLoad, PoolReplied, GetView, Internal {}

  /** The pools this router knows, with their last load; this node's own first. */
  public record GetView(ActorRef<View> replyTo) implements Command, NoSerializationVerificationNeeded {}

  public record View(List<PoolView> pools) implements NoSerializationVerificationNeeded {}

  /** @param load null until the pool reported */
  public record PoolView(String node, boolean local, boolean reachable, boolean accepting, int workers, int running,
      int queued, long completed, int stuck) {}

  private sealed interface Internal extends Command, NoSerializationVerificationNeeded {}

  /** From the scheduler: tasks wait that may go to another node. */
  private enum Nudged implements Internal { INSTANCE }

  private enum Sweep implements Internal { INSTANCE }

  private record PoolsListed(Receptionist.Listing listing) implements Internal {}

  private record Reachability(ClusterEvent.ReachabilityEvent event) implements Internal {}

  /** A member that was downed or removed: its pool is lost for good. */
  private record MemberGone(ClusterEvent.MemberEvent event) implements Internal {}

  /** A task sent to another node's pool. */
  private record Sent(Job job, ActorRef<WorkerPool.Command> pool, long sentNanos) {}

  private final String node;
  private final LocalScheduler scheduler;
  private final ActorRef<WorkerPool.Command> localPool;
  private final Address selfAddress;
  private final TimerScheduler<Command> timers;
  private final Placement placement = new Placement();
  private final Map<Long, Sent> inFlight = new HashMap<>();
  private final ActorRef<Command> largeInbox;
  /** Whether the other pools know that this router has tasks for them (see {@link Interest}). */
  private boolean interested;

  public static Behavior<Command> create(String node, LocalScheduler scheduler, ActorRef<WorkerPool.Command> localPool) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new TaskRouter(ctx, timers, node, scheduler,
        localPool)));
  }

  private TaskRouter(ActorContext<Command> context, TimerScheduler<Command> timers, String node,
      LocalScheduler scheduler, ActorRef<WorkerPool.Command> localPool) {
    super(context);
    this.timers = timers;
    this.node = node;
    this.scheduler = scheduler;
    this.localPool = localPool;
    Cluster cluster = Cluster.get(context.getSystem());
    this.selfAddress = cluster.selfMember().address();
    ActorRef<Command> self = context.getSelf();
    this.largeInbox = context.spawn(PoolProtocol.largeInbox(self), "large");
    scheduler.connectRouter(() -> self.tell(Nudged.INSTANCE));
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
        .onMessageEquals(Nudged.INSTANCE, this::onNudged)
        .onMessage(PoolLoad.class, this::onPoolLoad)
        .onMessage(PoolReplied.class, this::onPoolReplied)
        .onMessageEquals(Sweep.INSTANCE, this::onSweep)
        .onMessage(PoolsListed.class, this::onPoolsListed)
        .onMessage(Reachability.class, this::onReachability)
        .onMessage(MemberGone.class, this::onMemberGone)
        .onMessage(GetView.class, this::onGetView)
        .onSignal(Terminated.class, this::onTerminated)
        .build();
  }

  private Behavior<Command> onNudged() {
    dispatch();
    return this;
  }

  /**
   * Sends waiting tasks worth sending, oldest first, while some other node's pool has room;
   * tasks still left make this router ask the pools for their room.
   */
  private void dispatch() {
    scheduler.routerNudgeTaken();
    for (ActorRef<WorkerPool.Command> target = placement.choose(); target != null; target = placement.choose()) {
      Job job = scheduler.pollForRemote();
      if (job == null) {
        break;
      }
      send(job, target);
    }
    scheduler.remoteCapacity(placement.totalRoom(), placement.anyCanWork());
    if (!interested && scheduler.spillPending()) {
      interest(true);
    }
  }

  /** Tells every other pool whether this router has tasks for them; lost interest is told by the sweep. */
  private void interest(boolean wants) {
    interested = wants;
    scheduler.routerInterested(wants);
    for (ActorRef<WorkerPool.Command> pool : placement.pools().keySet()) {
      pool.tell(new Interest(getContext().getSelf(), wants));
    }
    startSweep();
  }

  private void startSweep() {
    if (!timers.isTimerActive(Sweep.INSTANCE)) {
      timers.startTimerWithFixedDelay(Sweep.INSTANCE, WorkerPool.SWEEP_INTERVAL);
    }
  }

  private void send(Job job, ActorRef<WorkerPool.Command> target) {
    long now = System.nanoTime();
    inFlight.put(job.id(), new Sent(job, target, now));
    ActorRef<WorkerPool.Command> inbox = job.input().length > PoolProtocol.LARGE_PAYLOAD_BYTES
        ? placement.largeInbox(target) : target;
    placement.sent(target);
    inbox.tell(new Submit(new TaskRequest(job.id(), job.kind(), job.input(), job.remainingMs(now), node),
        getContext().getSelf(), largeInbox));
    startSweep();
  }

  private Behavior<Command> onPoolLoad(PoolLoad load) {
    if (placement.update(load)) {
      dispatch();
    }
    return this;
  }

  private Behavior<Command> onPoolReplied(PoolReplied reply) {
    TaskOutcome outcome = reply.outcome();
    Sent sent = inFlight.get(outcome.taskId());
    if (sent == null || !sent.pool().equals(reply.pool())) {
      return this; // answered already (deadline), or a late answer from a pool it was taken from
    }
    inFlight.remove(outcome.taskId());
    if (outcome instanceof TaskOutcome.Failed f
        && (f.failure() == Failure.REJECTED || f.failure() == Failure.ABANDONED)) {
      scheduler.requeue(List.of(sent.job())); // that pool could not run it: another may
      dispatch();
      return this;
    }
    if (outcome instanceof TaskOutcome.Completed c) {
      long waitedHereMs = (sent.sentNanos() - sent.job().receivedNanos()) / 1_000_000;
      outcome = new TaskOutcome.Completed(c.taskId(), c.kind(), c.result(), c.node(), c.queueMs() + waitedHereMs,
          c.computeMs());
    }
    sent.job().answer(outcome);
    return this;
  }

  /**
   * Tasks sent elsewhere whose deadline passed: the client is answered, the pool told to cancel;
   * and those answered here meanwhile (their client went away): the pool told to cancel.
   * And interest that no longer holds is withdrawn (here rather than at once, so that a queue
   * that empties and fills again does not make it flap).
   */
  private Behavior<Command> onSweep() {
    if (interested && !scheduler.spillPending()) {
      interest(false);
    }
    long now = System.nanoTime();
    for (Iterator<Sent> it = inFlight.values().iterator(); it.hasNext(); ) {
      Sent sent = it.next();
      Job job = sent.job();
      if (job.answered()) { // its client went away: the pool stops it
        it.remove();
        sent.pool().tell(new Cancel(job.id(), getContext().getSelf()));
      } else if (now - job.deadlineNanos() >= 0) {
        it.remove();
        sent.pool().tell(new Cancel(job.id(), getContext().getSelf()));
        job.answer(new TaskOutcome.Failed(job.id(), Failure.TIMED_OUT, "the deadline of " + job.timeoutMs()
            + " ms passed; the task was cancelled", nodeOf(sent.pool())));
      }
    }
    if (inFlight.isEmpty() && !interested) {
      timers.cancel(Sweep.INSTANCE);
    }
    return this;
  }

  private Behavior<Command> onPoolsListed(PoolsListed message) {
    Set<ActorRef<WorkerPool.Command>> listed = new HashSet<>(message.listing().getServiceInstances(WorkerPool.KEY));
    listed.remove(localPool); // this node's own workers are reached through the scheduler
    for (ActorRef<WorkerPool.Command> pool : listed) {
      if (!placement.contains(pool)) {
        placement.add(pool, pool.path().address());
        getContext().watch(pool);
        pool.tell(new WatchLoad(getContext().getSelf()));
        if (interested) {
          pool.tell(new Interest(getContext().getSelf(), true));
        }
      }
    }
    for (ActorRef<WorkerPool.Command> pool : new ArrayList<>(placement.pools().keySet())) {
      if (!listed.contains(pool)) {
        removePool(pool, "it left the cluster's listing");
      }
    }
    return this;
  }

  private void removePool(ActorRef<WorkerPool.Command> pool, String why) {
    if (placement.remove(pool)) {
      getContext().unwatch(pool);
      resend(pool, why);
    }
  }

  private Behavior<Command> onTerminated(Terminated terminated) {
    removePool(terminated.getRef().unsafeUpcast(), "it stopped");
    return this;
  }

  private Behavior<Command> onReachability(Reachability message) {
    Address address = message.event().member().address();
    boolean reachable = message.event() instanceof ClusterEvent.ReachableMember;
    for (ActorRef<WorkerPool.Command> lost : placement.reachability(address, reachable)) {
      resend(lost, "its node " + address + " is unreachable");
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
    for (ActorRef<WorkerPool.Command> pool : placement.at(address)) {
      removePool(pool, "its node " + address + " was downed or removed");
    }
    return this;
  }

  /** Tasks sent to a pool that is lost go back to the front of the queue, oldest first (they are pure). */
  private void resend(ActorRef<WorkerPool.Command> lost, String why) {
    List<Job> orphans = new ArrayList<>();
    for (Iterator<Sent> it = inFlight.values().iterator(); it.hasNext(); ) {
      Sent sent = it.next();
      if (sent.pool().equals(lost)) {
        it.remove();
        orphans.add(sent.job());
      }
    }
    if (!orphans.isEmpty()) {
      getContext().getLog().warn("Sending {} task(s) again because the pool of {} is lost: {}", orphans.size(),
          nodeOf(lost), why);
      orphans.sort(Comparator.comparingLong(Job::receivedNanos));
      scheduler.requeue(orphans);
    }
    dispatch();
  }

  private Behavior<Command> onGetView(GetView message) {
    List<PoolView> views = new ArrayList<>();
    LocalScheduler.Load local = scheduler.load();
    views.add(new PoolView(node, true, true, local.accepting(), local.workers(), local.running(), local.queued(),
        local.completed(), local.stuck()));
    placement.pools().forEach((ref, pool) -> {
      if (pool.load != null) {
        PoolLoad l = pool.load;
        views.add(new PoolView(nodeOf(ref), false, pool.reachable, l.accepting(), l.workers(), l.running(),
            l.queued(), l.completed(), l.stuck()));
      }
    });
    message.replyTo().tell(new View(views));
    return this;
  }

  private String nodeOf(ActorRef<WorkerPool.Command> pool) {
    Address address = pool.path().address();
    return NodeIds.of(address.hasLocalScope() ? selfAddress : address);
  }
}
