package dev.anvil.compute.routing;

import dev.anvil.compute.local.LocalScheduler;
import dev.anvil.compute.local.SpillQueue;
import dev.anvil.compute.local.WorkerPool;
import dev.anvil.compute.protocol.LoadProtocolStats;
import dev.anvil.compute.protocol.PoolProtocol;
import dev.anvil.compute.protocol.PoolProtocol.Cancel;
import dev.anvil.compute.protocol.PoolProtocol.Interest;
import dev.anvil.compute.protocol.PoolProtocol.PoolCommand;
import dev.anvil.compute.protocol.PoolProtocol.PoolLoad;
import dev.anvil.compute.protocol.PoolProtocol.PoolReplied;
import dev.anvil.compute.protocol.PoolProtocol.QueryLoad;
import dev.anvil.compute.protocol.PoolProtocol.RouterCommand;
import dev.anvil.compute.protocol.PoolProtocol.Submit;
import dev.anvil.compute.protocol.PoolProtocol.TaskRequest;
import dev.anvil.compute.protocol.PoolProtocol.UnwatchLoad;
import dev.anvil.compute.protocol.PoolProtocol.WatchLoad;
import dev.anvil.compute.task.NodeIds;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskOutcome.Failure;
import dev.anvil.compute.task.TaskRun;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
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
 *
 * <p>It follows the load of only a few other pools, {@code sample} of them picked at random
 * (power of d choices), so what routing costs a node does not grow with the cluster: each pool
 * has about {@code sample} followers on average, and tells each its room once a second and at
 * every change while that router has tasks for it. While tasks wait here and every followed
 * pool is full, it probes pools it does not follow (asks their load once), two at a time, at
 * most every 50 ms (backing off to every 2 s while probes find no room), before it tells the
 * followed pools of its {@link Interest}; a pool with room is
 * followed in place of the fullest followed one that has none of this router's tasks, or beside
 * it while its tasks are on their way to all of them, and let go 2 s after its last task (down
 * to {@code sample}). So a node that takes all of a large cluster's requests still reaches every
 * free worker, and a cluster that is full everywhere costs no more than a few probes a second
 * per node.
 *
 * <p>Longer than most classes on purpose: it is one actor, and its state (the tasks in flight to
 * each pool, which pools it follows, its probe back-off) changes together on every message. The
 * choice of a pool, which needs none of that, is the pure {@link Placement}, tested on its own.
 */
public final class TaskRouter extends AbstractBehavior<RouterCommand> {

  /** The pools this router knows, with their last load; this node's own first. */
  public record GetView(ActorRef<View> replyTo) implements RouterCommand, NoSerializationVerificationNeeded {}

  /**
   * @param pools this node's pool and those this router follows, with their last load
   * @param withoutLoad the other pools of the cluster, whose load this router does not know now:
   *     ask them ({@link PoolProtocol.QueryLoad}) for a whole view
   */
  public record View(List<PoolView> pools, List<ActorRef<PoolCommand>> withoutLoad)
      implements NoSerializationVerificationNeeded {}

  public record PoolView(String node, boolean local, boolean reachable, boolean accepting, int workers, int running,
      int queued, long completed, int stuck) {

    public static PoolView of(PoolLoad load, boolean reachable) {
      return new PoolView(load.node(), false, reachable, load.accepting(), load.workers(), load.running(),
          load.queued(), load.completed(), load.stuck());
    }
  }

  private sealed interface Internal extends RouterCommand, NoSerializationVerificationNeeded {}

  /** From the scheduler: tasks wait that may go to another node. */
  private enum Nudged implements Internal { INSTANCE }

  private enum Sweep implements Internal { INSTANCE }

  private enum Trim implements Internal { INSTANCE }

  private record PoolsListed(Receptionist.Listing listing) implements Internal {}

  private record Reachability(ClusterEvent.ReachabilityEvent event) implements Internal {}

  /** A member that was downed or removed: its pool is lost for good. */
  private record MemberGone(ClusterEvent.MemberEvent event) implements Internal {}

  /** A task sent to another node's pool. */
  private record Sent(TaskRun run, ActorRef<PoolCommand> pool, long sentNanos) {}

  private final String node;
  private final SpillQueue scheduler;
  private final ActorRef<PoolCommand> localPool;
  private final Address selfAddress;
  private final TimerScheduler<RouterCommand> timers;
  private final Placement placement = new Placement();
  private final Map<Long, Sent> inFlight = new HashMap<>();
  private final ActorRef<RouterCommand> largeInbox;
  /** Whether the other pools know that this router has tasks for them (see {@link Interest}). */
  private boolean interested;
  /** Pools followed all the time. */
  private final int sample;
  private final LoadProtocolStats stats;
  private long nextProbeNanos;
  private long probeBackoffNanos = PROBE_MIN.toNanos();

  private static final Duration PROBE_MIN = Duration.ofMillis(50);
  /** How long tasks wait for the answers to probes before the followed pools are asked to tell of room. */
  private static final Duration PROBE_ANSWER_WAIT = Duration.ofMillis(20);
  private static final Duration PROBE_MAX = Duration.ofSeconds(2);
  private static final int PROBES_AT_ONCE = 2;
  /** A pool followed beyond the sample is let go this long after this router last sent it a task. */
  private static final Duration LINGER = Duration.ofSeconds(2);

  /** @param sample other nodes' pools followed all the time ({@code anvil.compute.routing-sample}) */
  public static Behavior<RouterCommand> create(String node, SpillQueue scheduler, ActorRef<PoolCommand> localPool,
      int sample) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new TaskRouter(ctx, timers, node, scheduler,
        localPool, sample)));
  }

  private TaskRouter(ActorContext<RouterCommand> context, TimerScheduler<RouterCommand> timers, String node,
      SpillQueue scheduler, ActorRef<PoolCommand> localPool, int sample) {
    super(context);
    // named after this class: the default is the setup wrapper's, under org.apache.pekko (WARN), and lost INFO lines
    context.setLoggerName(TaskRouter.class);
    this.sample = Math.max(1, sample);
    this.stats = LoadProtocolStats.get(context.getSystem());
    this.timers = timers;
    this.node = node;
    this.scheduler = scheduler;
    this.localPool = localPool;
    Cluster cluster = Cluster.get(context.getSystem());
    this.selfAddress = cluster.selfMember().address();
    ActorRef<RouterCommand> self = context.getSelf();
    this.largeInbox = context.spawn(PoolProtocol.largeInbox(self), "large");
    scheduler.connectRouter(() -> self.tell(Nudged.INSTANCE));
    context.getSystem().receptionist().tell(Receptionist.subscribe(WorkerPool.KEY,
        context.messageAdapter(Receptionist.Listing.class, PoolsListed::new)));
    cluster.subscriptions().tell(Subscribe.create(
        context.messageAdapter(ClusterEvent.ReachabilityEvent.class, Reachability::new),
        ClusterEvent.ReachabilityEvent.class));
    cluster.subscriptions().tell(Subscribe.create(
        context.messageAdapter(ClusterEvent.MemberEvent.class, MemberGone::new), ClusterEvent.MemberEvent.class));
    timers.startTimerWithFixedDelay(Trim.INSTANCE, Duration.ofSeconds(1));
  }

  @Override
  public Receive<RouterCommand> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Nudged.INSTANCE, this::onNudged)
        .onMessage(PoolLoad.class, this::onPoolLoad)
        .onMessage(PoolReplied.class, this::onPoolReplied)
        .onMessageEquals(Sweep.INSTANCE, this::onSweep)
        .onMessageEquals(Trim.INSTANCE, this::onTrim)
        .onMessage(PoolsListed.class, this::onPoolsListed)
        .onMessage(Reachability.class, this::onReachability)
        .onMessage(MemberGone.class, this::onMemberGone)
        .onMessage(GetView.class, this::onGetView)
        .onSignal(Terminated.class, this::onTerminated)
        .build();
  }

  private Behavior<RouterCommand> onNudged() {
    dispatch();
    return this;
  }

  /**
   * Sends waiting tasks worth sending, oldest first, while some other node's pool has room;
   * tasks still left make this router ask the pools for their room.
   */
  private void dispatch() {
    scheduler.routerNudgeTaken();
    for (ActorRef<PoolCommand> target = placement.choose(); target != null; target = placement.choose()) {
      TaskRun run = scheduler.pollForRemote();
      if (run == null) {
        break;
      }
      send(run, target);
    }
    scheduler.remoteCapacity(placement.totalRoom(), placement.anyCanWork());
    seekRoom();
  }

  /**
   * Tasks wait here for another node and no followed pool has room: probes first (two messages
   * each, and in a cluster at less than full load they usually find room at once); the followed
   * pools are told of this router's interest (and then tell it every change of their room) only
   * when probes are not due or found nothing.
   */
  private void seekRoom() {
    if (!scheduler.spillPending()) {
      return;
    }
    if (placement.totalRoom() == 0 && (probe() || probing())) {
      startSweep(); // looks again if the answers are late
      return;
    }
    if (!interested) {
      interest(true);
    }
  }

  /** Whether a probe went out lately and its answer may still come. */
  private boolean probing() {
    long now = System.nanoTime();
    for (Placement.Pool pool : placement.pools().values()) {
      if (pool.probe && now - pool.probedNanos < PROBE_ANSWER_WAIT.toNanos()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Follows a few pools more, at random, unless probes went out lately (backing off while they
   * find no room); true if it sent some.
   */
  private boolean probe() {
    long now = System.nanoTime();
    if (now - nextProbeNanos < 0) {
      return false;
    }
    List<ActorRef<PoolCommand>> candidates = placement.unfollowed();
    if (candidates.isEmpty()) {
      return false;
    }
    for (int i = 0; i < PROBES_AT_ONCE && !candidates.isEmpty(); i++) {
      ActorRef<PoolCommand> pool = candidates.remove(ThreadLocalRandom.current().nextInt(candidates.size()));
      Placement.Pool known = placement.get(pool);
      known.probe = true;
      known.probedNanos = now;
      stats.sent("QueryLoad");
      pool.tell(new QueryLoad(getContext().getSelf().narrow()));
    }
    nextProbeNanos = now + probeBackoffNanos;
    probeBackoffNanos = Math.min(PROBE_MAX.toNanos(), probeBackoffNanos * 2); // reset when a probe finds room
    return true;
  }

  /** @param load what the pool said when probed, or null */
  private void follow(ActorRef<PoolCommand> pool, PoolLoad load) {
    Placement.Pool known = placement.get(pool);
    known.watched = true;
    known.probe = false;
    known.sent = 0;
    known.load = load;
    stats.following(1);
    stats.sent("WatchLoad");
    pool.tell(new WatchLoad(getContext().getSelf()));
    if (interested) {
      stats.sent("Interest");
      pool.tell(new Interest(getContext().getSelf(), true));
    }
  }

  private void unfollow(ActorRef<PoolCommand> pool) {
    Placement.Pool known = placement.get(pool);
    if (known == null || !known.watched) {
      return;
    }
    known.watched = false;
    known.probe = false;
    known.load = null;
    known.sent = 0;
    stats.following(-1);
    stats.sent("UnwatchLoad");
    pool.tell(new UnwatchLoad(getContext().getSelf()));
  }

  /** Follows random pools until {@code sample} are followed (all of them in a small cluster). */
  private void topUp() {
    List<ActorRef<PoolCommand>> candidates = placement.unfollowed();
    for (int missing = sample - placement.following(); missing > 0 && !candidates.isEmpty(); missing--) {
      follow(candidates.remove(ThreadLocalRandom.current().nextInt(candidates.size())), null);
    }
  }

  /**
   * Lets go of followed pools beyond the sample plus those this router has tasks on: the least
   * roomy first (of those that reported), and with {@code idleFor}, only those that got no task
   * from it for that long; never {@code keep}, the pool just followed. So
   * what a router follows grows with the tasks it sends away, and no further.
   */
  private void shed(Duration idleFor, ActorRef<PoolCommand> keep) {
    Set<ActorRef<PoolCommand>> busy = new HashSet<>();
    inFlight.values().forEach(sent -> busy.add(sent.pool()));
    int extra = placement.following() - (sample + busy.size());
    if (extra <= 0) {
      return;
    }
    long now = System.nanoTime();
    List<Map.Entry<ActorRef<PoolCommand>, Placement.Pool>> idle = new ArrayList<>();
    for (Map.Entry<ActorRef<PoolCommand>, Placement.Pool> e : placement.pools().entrySet()) {
      Placement.Pool pool = e.getValue();
      if (pool.watched && pool.reachable && pool.load != null && !e.getKey().equals(keep)
          && !busy.contains(e.getKey()) && now - pool.lastSentNanos > idleFor.toNanos()) {
        idle.add(e);
      }
    }
    idle.sort(Comparator.<Map.Entry<ActorRef<PoolCommand>, Placement.Pool>>comparingInt(e -> e.getValue().room())
        .thenComparingLong(e -> e.getValue().lastSentNanos));
    for (int i = 0; i < idle.size() && extra > 0; i++, extra--) {
      unfollow(idle.get(i).getKey());
    }
  }

  /** Lets go of pools followed beyond need that got no task for a while; keeps the sample full. */
  private Behavior<RouterCommand> onTrim() {
    long now = System.nanoTime();
    for (Placement.Pool pool : placement.pools().values()) {
      if (pool.probe && now - pool.probedNanos > LINGER.toNanos()) {
        pool.probe = false; // its answer was lost (its node is gone or going): it may be probed again
      }
    }
    shed(LINGER, null);
    topUp();
    return this;
  }

  /** Tells every other pool whether this router has tasks for them; lost interest is told by the sweep. */
  private void interest(boolean wants) {
    interested = wants;
    scheduler.routerInterested(wants);
    placement.pools().forEach((pool, known) -> {
      if (known.watched) {
        stats.sent("Interest");
        pool.tell(new Interest(getContext().getSelf(), wants));
      }
    });
    startSweep();
  }

  private void startSweep() {
    if (!timers.isTimerActive(Sweep.INSTANCE)) {
      timers.startTimerWithFixedDelay(Sweep.INSTANCE, WorkerPool.SWEEP_INTERVAL);
    }
  }

  private void send(TaskRun run, ActorRef<PoolCommand> target) {
    long now = System.nanoTime();
    inFlight.put(run.id(), new Sent(run, target, now));
    ActorRef<PoolCommand> inbox = run.input().length > PoolProtocol.LARGE_PAYLOAD_BYTES
        ? placement.largeInbox(target) : target;
    placement.sent(target, now);
    inbox.tell(new Submit(new TaskRequest(run.id(), run.kind(), run.input(), run.remainingMs(now), node, run.tenant()),
        getContext().getSelf(), largeInbox));
    startSweep();
  }

  private Behavior<RouterCommand> onPoolLoad(PoolLoad load) {
    stats.received("PoolLoad");
    Placement.Pool known = placement.get(load.pool());
    if (load.submitsSeen() < 0 && known != null && known.probe && !known.watched) { // the answer to a probe
      known.probe = false;
      if (load.room() > 0 && load.accepting() && known.reachable) {
        probeBackoffNanos = PROBE_MIN.toNanos();
        follow(load.pool(), load);
        known.lastSentNanos = System.nanoTime(); // kept a while, even if the tasks went elsewhere meanwhile
        shed(Duration.ZERO, load.pool()); // a swap, unless this router's tasks are on their way to the others
      }
      dispatch(); // with the room found, or without: then the followed pools are told of interest
      return this;
    }
    if (placement.update(load)) {
      dispatch();
    }
    return this;
  }

  private Behavior<RouterCommand> onPoolReplied(PoolReplied reply) {
    TaskOutcome outcome = reply.outcome();
    Sent sent = inFlight.get(outcome.taskId());
    if (sent == null || !sent.pool().equals(reply.pool())) {
      return this; // answered already (deadline), or a late answer from a pool it was taken from
    }
    inFlight.remove(outcome.taskId());
    if (outcome instanceof TaskOutcome.Failed f
        && (f.failure() == Failure.REJECTED || f.failure() == Failure.ABANDONED)) {
      scheduler.requeue(List.of(sent.run())); // that pool could not run it: another may
      dispatch();
      return this;
    }
    if (outcome instanceof TaskOutcome.Completed c) {
      long waitedHereMs = (sent.sentNanos() - sent.run().receivedNanos()) / 1_000_000;
      outcome = new TaskOutcome.Completed(c.taskId(), c.kind(), c.result(), c.node(), c.queueMs() + waitedHereMs,
          c.computeMs());
    }
    sent.run().answer(outcome);
    return this;
  }

  /**
   * Tasks sent elsewhere whose deadline passed: the client is answered, the pool told to cancel;
   * and those answered here meanwhile (their client went away): the pool told to cancel.
   * And interest that no longer holds is withdrawn (here rather than at once, so that a queue
   * that empties and fills again does not make it flap).
   */
  private Behavior<RouterCommand> onSweep() {
    if (interested && !scheduler.spillPending()) {
      interest(false);
    }
    dispatch(); // tasks that became worth sending since the last event, to the room known, else seek some
    long now = System.nanoTime();
    for (Iterator<Sent> it = inFlight.values().iterator(); it.hasNext(); ) {
      Sent sent = it.next();
      TaskRun run = sent.run();
      if (run.answered()) { // its client went away: the pool stops it
        it.remove();
        sent.pool().tell(new Cancel(run.id(), getContext().getSelf()));
      } else if (now - run.deadlineNanos() >= 0) {
        it.remove();
        sent.pool().tell(new Cancel(run.id(), getContext().getSelf()));
        run.answer(new TaskOutcome.Failed(run.id(), Failure.TIMED_OUT, "the deadline of " + run.timeoutMs()
            + " ms passed; the task was cancelled", nodeOf(sent.pool())));
      }
    }
    if (inFlight.isEmpty() && !interested && !scheduler.spillPending()) {
      timers.cancel(Sweep.INSTANCE);
    }
    return this;
  }

  private Behavior<RouterCommand> onPoolsListed(PoolsListed message) {
    Set<ActorRef<PoolCommand>> listed = new HashSet<>(message.listing().getServiceInstances(WorkerPool.KEY));
    listed.remove(localPool); // this node's own workers are reached through the scheduler
    for (ActorRef<PoolCommand> pool : listed) {
      if (!placement.contains(pool)) {
        placement.add(pool, pool.path().address());
        getContext().watch(pool);
      }
    }
    for (ActorRef<PoolCommand> pool : new ArrayList<>(placement.pools().keySet())) {
      if (!listed.contains(pool)) {
        removePool(pool, "it left the cluster's listing");
      }
    }
    topUp();
    return this;
  }

  private void removePool(ActorRef<PoolCommand> pool, String why) {
    Placement.Pool known = placement.get(pool);
    if (known != null && known.watched) {
      stats.following(-1);
    }
    if (placement.remove(pool)) {
      getContext().unwatch(pool);
      topUp();
      resend(pool, why);
    }
  }

  private Behavior<RouterCommand> onTerminated(Terminated terminated) {
    removePool(terminated.getRef().unsafeUpcast(), "it stopped");
    return this;
  }

  private Behavior<RouterCommand> onReachability(Reachability message) {
    Address address = message.event().member().address();
    boolean reachable = message.event() instanceof ClusterEvent.ReachableMember;
    for (ActorRef<PoolCommand> lost : placement.reachability(address, reachable)) {
      resend(lost, "its node " + address + " is unreachable");
    }
    topUp(); // another in place of an unreachable one; one too many is let go by the trim
    dispatch();
    return this;
  }

  private Behavior<RouterCommand> onMemberGone(MemberGone message) {
    if (!(message.event() instanceof ClusterEvent.MemberDowned)
        && !(message.event() instanceof ClusterEvent.MemberRemoved)) {
      return this; // a member that leaves gracefully finishes what it has
    }
    Address address = message.event().member().address();
    for (ActorRef<PoolCommand> pool : placement.at(address)) {
      removePool(pool, "its node " + address + " was downed or removed");
    }
    return this;
  }

  /** Tasks sent to a pool that is lost go back to the front of the queue, oldest first (they are pure). */
  private void resend(ActorRef<PoolCommand> lost, String why) {
    List<TaskRun> orphans = new ArrayList<>();
    for (Iterator<Sent> it = inFlight.values().iterator(); it.hasNext(); ) {
      Sent sent = it.next();
      if (sent.pool().equals(lost)) {
        it.remove();
        orphans.add(sent.run());
      }
    }
    if (!orphans.isEmpty()) {
      getContext().getLog().warn("Sending {} task(s) again because the pool of {} is lost: {}", orphans.size(),
          nodeOf(lost), why);
      orphans.sort(Comparator.comparingLong(TaskRun::receivedNanos));
      scheduler.requeue(orphans);
    }
    dispatch();
  }

  private Behavior<RouterCommand> onGetView(GetView message) {
    List<PoolView> views = new ArrayList<>();
    LocalScheduler.Load local = scheduler.load();
    views.add(new PoolView(node, true, true, local.accepting(), local.workers(), local.running(), local.queued(),
        local.completed(), local.stuck()));
    placement.pools().forEach((ref, pool) -> {
      if (pool.load != null) {
        views.add(PoolView.of(pool.load, pool.reachable));
      }
    });
    message.replyTo().tell(new View(views, placement.withoutLoad()));
    return this;
  }

  private String nodeOf(ActorRef<PoolCommand> pool) {
    Address address = pool.path().address();
    return NodeIds.of(address.hasLocalScope() ? selfAddress : address);
  }
}
