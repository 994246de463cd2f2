package dev.anvil.compute.local;

import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.protocol.LoadProtocolStats;
import dev.anvil.compute.protocol.PoolProtocol;
import dev.anvil.compute.protocol.PoolProtocol.Cancel;
import dev.anvil.compute.protocol.PoolProtocol.Interest;
import dev.anvil.compute.protocol.PoolProtocol.PoolCommand;
import dev.anvil.compute.protocol.PoolProtocol.PoolLoad;
import dev.anvil.compute.protocol.PoolProtocol.PoolReplied;
import dev.anvil.compute.protocol.PoolProtocol.PoolStats;
import dev.anvil.compute.protocol.PoolProtocol.QueryLoad;
import dev.anvil.compute.protocol.PoolProtocol.QueryStats;
import dev.anvil.compute.protocol.PoolProtocol.RouterCommand;
import dev.anvil.compute.protocol.PoolProtocol.Submit;
import dev.anvil.compute.protocol.PoolProtocol.TaskRequest;
import dev.anvil.compute.protocol.PoolProtocol.UnwatchLoad;
import dev.anvil.compute.protocol.PoolProtocol.WatchLoad;
import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskOutcome.Failure;
import dev.anvil.compute.task.TaskRun;
import dev.anvil.compute.task.TaskStats;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * This node's workers as the cluster sees them; one per node, spawned by the node guardian.
 * Spawns the workers, each on a thread of its own, watches them and replaces one that stops;
 * takes tasks from other nodes' routers into the {@link LocalScheduler}; tells those routers
 * when the room they may fill changes; sweeps deadlines; and drains on a graceful stop.
 * Tasks of this node's own HTTP clients never pass through it.
 *
 * <p>A little over 400 lines: one actor, whose two sides (its workers here, the routers of other
 * nodes that follow its load) share the same slots and counts.
 */
public final class WorkerPool extends AbstractBehavior<PoolCommand> {

  public static final ServiceKey<PoolCommand> KEY = ServiceKey.create(PoolCommand.class, "anvil-worker-pool");

  /** How often deadlines are checked: a task past its deadline is answered within this. */
  public static final Duration SWEEP_INTERVAL = Duration.ofMillis(20);
  /** Other nodes' routers hear the full load this often, whatever changed. */
  private static final Duration REMOTE_REFRESH = Duration.ofSeconds(1);

  /**
   * Take no more tasks from other nodes; reply once this node's workers have nothing left to
   * run. What still runs after {@code timeout} is cancelled, so a stopping node never waits
   * on a task's deadline.
   */
  public record Drain(Duration timeout, ActorRef<Drained> replyTo) implements PoolCommand, NoSerializationVerificationNeeded {}

  /** @param cancelled tasks that were cancelled because the drain timed out */
  public record Drained(int cancelled) implements NoSerializationVerificationNeeded {}

  private sealed interface Internal extends PoolCommand, NoSerializationVerificationNeeded {}

  private enum Sweep implements Internal { INSTANCE }

  private enum LoadChanged implements Internal { INSTANCE }

  private enum RefreshRemote implements Internal { INSTANCE }

  private enum DrainTimedOut implements Internal { INSTANCE }

  /**
   * How a pool runs its workers.
   *
   * @param niceness added to the nice value of each worker's thread; 0 leaves it alone
   * @param maxMessageBytes the largest message that may cross nodes (Artery's large frame)
   * @param stuckGrace how long past its deadline a task may keep its worker before the worker is
   *     replaced by a fresh one (its task was cancelled at the deadline: it ignores cancellation)
   * @param maxStuck stuck worker threads the node tolerates; past that it restarts itself
   */
  public record Settings(int niceness, long maxMessageBytes, Duration stuckGrace, int maxStuck) {}

  /** A task from another node's router, as that router names it. */
  private record RemoteKey(ActorRef<RouterCommand> router, long taskId) {}

  private final String node;
  private final LocalScheduler scheduler;
  private final TaskCatalog catalog;
  private final Settings settings;
  private final NodeHealth health;
  private final ActorRef<PoolCommand> largeInbox;
  private final LoadProtocolStats stats;
  private final Map<ActorRef<Worker.Command>, WorkerSlot> slots = new HashMap<>();
  /** Workers replaced because their task ignores cancellation: stopped once it returns, if ever. */
  private final Map<ActorRef<Worker.Command>, WorkerSlot> stuck = new HashMap<>();
  private final Map<RemoteKey, TaskRun> remoteTasks = new HashMap<>();
  /** Other nodes' routers that watch this pool: how many of their tasks arrived here. */
  private final Map<ActorRef<RouterCommand>, Long> submitsSeen = new HashMap<>();
  /** Submits of routers that did not watch this pool when they arrived (one map entry per router at most). */
  private final Map<ActorRef<RouterCommand>, Long> submitsBeforeWatch = new HashMap<>();
  /** Per router that has tasks for this pool: the room it was last told of. */
  private final Map<ActorRef<RouterCommand>, Integer> roomSent = new HashMap<>();
  private int spawned;
  private ActorRef<Drained> drainReplyTo;
  private int drainCancelled;

  public static Behavior<PoolCommand> create(String node, int workers, LocalScheduler scheduler, TaskCatalog catalog,
      Settings settings, NodeHealth health) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new WorkerPool(ctx, timers, node, workers, scheduler, catalog, settings, health)));
  }

  private WorkerPool(ActorContext<PoolCommand> context, TimerScheduler<PoolCommand> timers, String node, int workers,
      LocalScheduler scheduler, TaskCatalog catalog, Settings settings, NodeHealth health) {
    super(context);
    // named after this class: the default is the setup wrapper's, under org.apache.pekko (WARN), and lost INFO lines
    context.setLoggerName(WorkerPool.class);
    this.node = node;
    this.scheduler = scheduler;
    this.catalog = catalog;
    this.settings = settings;
    this.health = health;
    ActorRef<PoolCommand> self = context.getSelf();
    this.largeInbox = context.spawn(PoolProtocol.largeInbox(self), "large");
    this.stats = LoadProtocolStats.get(context.getSystem());
    scheduler.connectPool(() -> self.tell(LoadChanged.INSTANCE));
    for (int i = 0; i < workers; i++) {
      spawnWorker();
    }
    context.getSystem().receptionist().tell(Receptionist.register(KEY, self));
    timers.startTimerWithFixedDelay(Sweep.INSTANCE, SWEEP_INTERVAL);
    timers.startTimerWithFixedDelay(RefreshRemote.INSTANCE, REMOTE_REFRESH);
  }

  private void spawnWorker() {
    String name = "worker-" + spawned++;
    AtomicReference<ActorRef<Worker.Command>> ref = new AtomicReference<>();
    WorkerSlot slot = new WorkerSlot(name, run -> ref.get().tell(new Worker.Run(run)));
    ref.set(getContext().spawn(Worker.create(slot, scheduler, catalog, node, settings.niceness(), health), name,
        DispatcherSelector.fromConfig(dev.anvil.config.ComputeSettings.DISPATCHER)));
    getContext().watch(ref.get());
    slots.put(ref.get(), slot);
    scheduler.addWorker(slot);
  }

  @Override
  public Receive<PoolCommand> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(WatchLoad.class, this::onWatchLoad)
        .onMessage(UnwatchLoad.class, this::onUnwatchLoad)
        .onMessage(QueryLoad.class, q -> {
          stats.received("QueryLoad");
          tell(q.replyTo(), poolLoad(scheduler.load(), null), "PoolLoad:query"); // submitsSeen -1: an answer
          return this;
        })
        .onMessage(QueryStats.class, this::onQueryStats)
        .onMessage(Interest.class, this::onInterest)
        .onMessage(Drain.class, this::onDrain)
        .onMessageEquals(Sweep.INSTANCE, this::onSweep)
        .onMessageEquals(LoadChanged.INSTANCE, this::onLoadChanged)
        .onMessageEquals(RefreshRemote.INSTANCE, this::onRefreshRemote)
        .onMessageEquals(DrainTimedOut.INSTANCE, this::onDrainTimedOut)
        .onSignal(Terminated.class, this::onTerminated)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  private Behavior<PoolCommand> onQueryStats(QueryStats query) {
    LocalScheduler.Load load = scheduler.load();
    TaskStats.Stats s = TaskStats.get(getContext().getSystem()).stats();
    query.replyTo().tell(new PoolStats(node, load.workers(), load.running(), load.queued(), load.completed(),
        load.stuck(), s.computeP50Ms(), s.computeP99Ms(), s.tasks(), s.failures(), s.batchesRunning(),
        s.batchItems(), tenants()));
    return this;
  }

  private java.util.Map<String, PoolProtocol.TenantLoad> tenants() {
    java.util.Map<String, PoolProtocol.TenantLoad> tenants = new java.util.TreeMap<>();
    scheduler.byTenant().forEach((tenant, counts) -> tenants.put(tenant, new PoolProtocol.TenantLoad(counts[0], counts[1])));
    return tenants;
  }

  private Behavior<PoolCommand> onSubmit(Submit submit) {
    ActorRef<RouterCommand> router = submit.replyTo();
    if (submitsSeen.computeIfPresent(router, (r, seen) -> seen + 1) == null) {
      // a large task travels on another channel and may come before its router's WatchLoad
      submitsBeforeWatch.merge(router, 1L, Long::sum);
    }
    roomSent.computeIfPresent(router, (r, room) -> Math.max(0, room - 1)); // it took one
    TaskRequest request = submit.request();
    Optional<ComputeTask<?, ?>> task = catalog.find(request.kind());
    ActorRef<PoolCommand> self = getContext().getSelf();
    if (task.isEmpty()) {
      router.tell(new PoolReplied(self, new TaskOutcome.Failed(request.taskId(), Failure.CRASHED,
          "node " + node + " has no kind '" + request.kind() + "'", node)));
      return this;
    }
    TaskRun run = new TaskRun(request.taskId(), task.get(), request.input(), null, request.remainingMs(), System.nanoTime(),
        request.tenant(), outcome -> reply(submit, outcome));
    if (scheduler.offerRemote(run)) {
      remoteTasks.put(new RemoteKey(router, request.taskId()), run);
    } else {
      router.tell(new PoolReplied(self, new TaskOutcome.Failed(request.taskId(), Failure.REJECTED,
          drainReplyTo != null ? "the node is leaving" : "the pool has no room", node)));
    }
    return this;
  }

  /** Runs on the worker's thread: a tell, to the router's large inbox when the result is large. */
  private void reply(Submit submit, TaskOutcome outcome) {
    ActorRef<PoolCommand> self = getContext().getSelf();
    if (outcome instanceof TaskOutcome.Completed c && c.result().length > PoolProtocol.LARGE_PAYLOAD_BYTES) {
      long maxMessageBytes = settings.maxMessageBytes();
      if (c.result().length > maxMessageBytes - 64 * 1024) {
        outcome = new TaskOutcome.Failed(c.taskId(), Failure.CRASHED, "the result of " + c.result().length
            + " bytes is too large to send to the node that received the task (at most " + maxMessageBytes
            + " bytes cross nodes)", node);
      } else {
        submit.replyToLarge().tell(new PoolReplied(self, outcome));
        return;
      }
    }
    submit.replyTo().tell(new PoolReplied(self, outcome));
  }

  private Behavior<PoolCommand> onCancel(Cancel cancel) {
    TaskRun run = remoteTasks.remove(new RemoteKey(cancel.router(), cancel.taskId()));
    if (run != null) {
      scheduler.cancel(run, new TaskOutcome.Failed(run.id(), Failure.TIMED_OUT,
          "the task was cancelled while it waited for a worker", node));
    }
    return this;
  }

  private Behavior<PoolCommand> onSweep() {
    long now = System.nanoTime();
    scheduler.sweep(now, node);
    List<WorkerSlot> retired = scheduler.retireStuck(now, settings.stuckGrace().toNanos());
    if (!retired.isEmpty()) {
      replaceStuck(retired);
    }
    remoteTasks.values().removeIf(TaskRun::answered);
    replyIfDrained();
    return this;
  }

  private Behavior<PoolCommand> onWatchLoad(WatchLoad message) {
    stats.received("WatchLoad");
    ActorRef<RouterCommand> router = message.subscriber();
    if (submitsSeen.putIfAbsent(router, submitsBeforeWatch.getOrDefault(router, 0L)) == null) {
      getContext().watch(router);
    }
    submitsBeforeWatch.remove(router);
    tell(router, poolLoad(scheduler.load(), router), "PoolLoad:watch");
    return this;
  }

  private Behavior<PoolCommand> onUnwatchLoad(UnwatchLoad message) {
    stats.received("UnwatchLoad");
    ActorRef<RouterCommand> router = message.subscriber();
    if (submitsSeen.remove(router) != null) {
      getContext().unwatch(router);
    }
    roomSent.remove(router);
    submitsBeforeWatch.remove(router);
    scheduler.roomWatched(!roomSent.isEmpty());
    return this;
  }

  /** @param kind for the stats: {@code "PoolLoad:"} and why it is sent */
  private void tell(ActorRef<? super PoolLoad> router, PoolLoad load, String kind) {
    stats.sent(kind);
    router.tell(load);
  }

  private Behavior<PoolCommand> onInterest(Interest interest) {
    stats.received("Interest");
    ActorRef<RouterCommand> router = interest.router();
    if (!submitsSeen.containsKey(router)) {
      return this; // not watching (any more): it has stopped
    }
    if (interest.wantsRoom()) {
      LocalScheduler.Load load = scheduler.load();
      tell(router, poolLoad(load, router), "PoolLoad:interest");
      roomSent.put(router, load.room());
    } else {
      roomSent.remove(router);
    }
    scheduler.roomWatched(!roomSent.isEmpty());
    return this;
  }

  /**
   * A router with tasks for this pool hears what matters to it: room it may fill, or that the
   * room it was told of is gone. Routers without such tasks hear nothing per task.
   */
  private Behavior<PoolCommand> onLoadChanged() {
    scheduler.poolNudgeTaken();
    LocalScheduler.Load load = scheduler.load();
    for (Map.Entry<ActorRef<RouterCommand>, Integer> sent : roomSent.entrySet()) {
      if (sent.getValue() != load.room()) {
        tell(sent.getKey(), poolLoad(load, sent.getKey()), "PoolLoad:change");
        sent.setValue(load.room());
      }
    }
    replyIfDrained();
    return this;
  }

  private Behavior<PoolCommand> onRefreshRemote() {
    LocalScheduler.Load load = scheduler.load();
    for (ActorRef<RouterCommand> router : submitsSeen.keySet()) {
      tell(router, poolLoad(load, router), "PoolLoad:periodic");
      roomSent.computeIfPresent(router, (r, room) -> load.room());
    }
    return this;
  }

  /**
   * Workers whose task ignored its deadline: each gets a fresh worker in its place, and is
   * stopped once its task returns (a thread cannot be taken from code that never yields it).
   * Past {@code maxStuck} such threads the node restarts, to get its cores back.
   */
  private void replaceStuck(List<WorkerSlot> retired) {
    for (WorkerSlot slot : retired) {
      ActorRef<Worker.Command> ref = null;
      for (Map.Entry<ActorRef<Worker.Command>, WorkerSlot> e : slots.entrySet()) {
        if (e.getValue() == slot) {
          ref = e.getKey();
        }
      }
      if (ref == null) {
        continue;
      }
      slots.remove(ref);
      stuck.put(ref, slot);
      getContext().stop(ref); // takes effect when its task returns
      TaskRun run = slot.stuckOn;
      getContext().getLog().warn("Worker {} is stuck: task {} of kind {} ignored its cancellation at its deadline"
          + " and still runs {} ms later; a new worker takes its place ({} stuck on this node)", slot.name(),
          run.id(), run.kind(), settings.stuckGrace().toMillis(), stuck.size());
      spawnWorker();
    }
    if (stuck.size() > settings.maxStuck()) {
      health.unfit(stuck.size() + " worker threads are stuck in task code that ignores cancellation (at most "
          + settings.maxStuck() + " are tolerated)");
    }
  }

  private PoolLoad poolLoad(LocalScheduler.Load load, ActorRef<RouterCommand> router) {
    return new PoolLoad(getContext().getSelf(), largeInbox, node, load.workers(), load.running(), load.queued(),
        load.completed(), load.accepting(), load.room(), load.stuck(),
        router == null ? -1 : submitsSeen.getOrDefault(router, 0L));
  }

  private Behavior<PoolCommand> onTerminated(Terminated terminated) {
    WorkerSlot stuckSlot = stuck.remove(terminated.getRef());
    if (stuckSlot != null) {
      scheduler.stuckEnded();
      getContext().getLog().info("Stuck worker {} returned from its task at last and stopped", stuckSlot.name());
      return this;
    }
    WorkerSlot slot = slots.remove(terminated.getRef());
    if (slot != null) {
      TaskRun held = scheduler.retire(slot);
      getContext().getLog().warn("Worker {} stopped{}; starting another", slot.name(),
          held == null ? "" : " while it ran task " + held.id() + " of kind " + held.kind());
      if (held != null) {
        held.answer(new TaskOutcome.Failed(held.id(), Failure.CRASHED, "the worker running the task stopped", node));
      }
      spawnWorker();
      return this;
    }
    ActorRef<RouterCommand> router = terminated.getRef().unsafeUpcast();
    submitsSeen.remove(router);
    roomSent.remove(router);
    scheduler.roomWatched(!roomSent.isEmpty());
    return this;
  }

  private Behavior<PoolCommand> onDrain(Drain message) {
    scheduler.drain();
    drainReplyTo = message.replyTo();
    getContext().scheduleOnce(message.timeout(), getContext().getSelf(), DrainTimedOut.INSTANCE);
    onRefreshRemote(); // every router must hear at once that this pool takes no more
    return this;
  }

  private Behavior<PoolCommand> onDrainTimedOut() {
    if (drainReplyTo != null) {
      drainCancelled = scheduler.abandonAll(node);
      if (drainCancelled > 0) {
        getContext().getLog().warn("Drain timed out: cancelled {} task(s) still running or queued", drainCancelled);
      }
      drainReplyTo.tell(new Drained(drainCancelled));
      drainReplyTo = null;
    }
    return this;
  }

  private void replyIfDrained() {
    if (drainReplyTo != null && scheduler.drained()) {
      drainReplyTo.tell(new Drained(drainCancelled));
      drainReplyTo = null;
    }
  }

  /** A stopping node leaves no task computing on a thread of its own. */
  private Behavior<PoolCommand> onPostStop(PostStop signal) {
    scheduler.abandonAll(node);
    return this;
  }
}
