package dev.anvil.compute;

import dev.anvil.CborSerializable;
import dev.anvil.compute.TaskOutcome.Failure;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Iterator;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Owns this node's workers and its bounded queue of tasks waiting for them; one per node,
 * spawned by the node guardian. Takes tasks from any node's router, enforces their deadlines,
 * and tells the routers that watch it how loaded it is after every change.
 */
public final class WorkerPool extends AbstractBehavior<WorkerPool.Command> {

  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "anvil-worker-pool");

  public sealed interface Command extends CborSerializable {}

  /** Run a task; the outcome goes to {@code replyTo}. */
  public record Submit(TaskRequest request, ActorRef<TaskRouter.Command> replyTo) implements Command {}

  /** The router that sent this task gave up on it (deadline or client gone). */
  public record Cancel(String taskId) implements Command {}

  /** Send {@link PoolLoad} to {@code subscriber} now and after every change. */
  public record WatchLoad(ActorRef<TaskRouter.Command> subscriber) implements Command {}

  /**
   * Take no more tasks; reply once the running and queued ones are done. Those still there
   * after {@code timeout} are cancelled, so a stopping node never waits on a task's deadline.
   */
  public record Drain(Duration timeout, ActorRef<Drained> replyTo)
      implements Command, NoSerializationVerificationNeeded {}

  /** @param cancelled tasks that were cancelled because the drain timed out */
  public record Drained(int cancelled) implements NoSerializationVerificationNeeded {}

  private enum DrainTimedOut implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /** Sends the load once the messages already in the mailbox are handled: one update per burst. */
  private enum PublishLoad implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /** Sends every remote router the full load now and then, whatever it changed. */
  private enum RefreshRemote implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /**
   * From this node's router: whether tasks wait there. While they do, room that opens here is
   * filled from there, and remote routers need not hear of it.
   */
  public record LocalBacklog(boolean waiting) implements Command, NoSerializationVerificationNeeded {}

  private record WorkerFinished(Worker.Finished finished) implements Command, NoSerializationVerificationNeeded {}

  private record DeadlinePassed(String taskId) implements Command, NoSerializationVerificationNeeded {}

  private record Task(TaskRequest request, ActorRef<TaskRouter.Command> replyTo, TaskExecution execution,
      long receivedNanos) {}

  private final String node;
  private final int workers;
  private final int perWorker;
  private final int capacity;
  private final TimerScheduler<Command> timers;
  private final ActorRef<Worker.Finished> finishedAdapter;
  /** The tasks given to each worker, in its mailbox's order: the first runs, the others wait there. */
  private final Map<ActorRef<Worker.Command>, ArrayDeque<Task>> assigned = new LinkedHashMap<>();
  private final ArrayDeque<Task> queue = new ArrayDeque<>();
  private final Map<ActorRef<TaskRouter.Command>, Long> subscribers = new HashMap<>();
  private long completed;
  private boolean accepting = true;
  private ActorRef<Drained> drainReplyTo;
  private int drainCancelled;
  private boolean publishPending;
  private boolean localBacklog;
  /** Per remote router: the room it was last told of. */
  private final Map<ActorRef<TaskRouter.Command>, Integer> roomSent = new HashMap<>();
  private static final Duration REMOTE_REFRESH = Duration.ofSeconds(1);

  /**
   * @param prefetch tasks per worker given to its mailbox beyond the one it runs
   * @param capacity tasks this pool queues itself beyond those given to workers
   */
  public static Behavior<Command> create(String node, int workers, int prefetch, int capacity, TaskCatalog catalog,
      int niceness) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new WorkerPool(ctx, timers, node, workers, prefetch, capacity, catalog, niceness)));
  }

  private WorkerPool(ActorContext<Command> context, TimerScheduler<Command> timers, String node, int workers,
      int prefetch, int capacity, TaskCatalog catalog, int niceness) {
    super(context);
    this.timers = timers;
    this.node = node;
    this.workers = workers;
    this.perWorker = 1 + prefetch;
    this.capacity = capacity;
    this.finishedAdapter = context.messageAdapter(Worker.Finished.class, WorkerFinished::new);
    DispatcherSelector compute = DispatcherSelector.fromConfig(dev.anvil.config.ComputeSettings.DISPATCHER);
    for (int i = 0; i < workers; i++) {
      Behavior<Worker.Command> worker = Behaviors.supervise(Worker.create(catalog, niceness)).onFailure(SupervisorStrategy.restart());
      assigned.put(context.spawn(worker, "worker-" + i, compute), new ArrayDeque<>());
    }
    context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
    timers.startTimerWithFixedDelay(RefreshRemote.INSTANCE, REMOTE_REFRESH);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(WatchLoad.class, this::onWatchLoad)
        .onMessage(Drain.class, this::onDrain)
        .onMessage(WorkerFinished.class, this::onWorkerFinished)
        .onMessage(DeadlinePassed.class, this::onDeadlinePassed)
        .onMessageEquals(DrainTimedOut.INSTANCE, this::onDrainTimedOut)
        .onMessageEquals(PublishLoad.INSTANCE, this::onPublishLoad)
        .onMessageEquals(RefreshRemote.INSTANCE, this::onRefreshRemote)
        .onMessage(LocalBacklog.class, this::onLocalBacklog)
        .onSignal(Terminated.class, this::onTerminated)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  private Behavior<Command> onSubmit(Submit submit) {
    subscribers.computeIfPresent(submit.replyTo(), (router, seen) -> seen + 1);
    roomSent.computeIfPresent(submit.replyTo(), (router, room) -> Math.max(0, room - 1)); // it took one
    TaskRequest request = submit.request();
    ActorRef<Worker.Command> worker = leastBusyWithRoom();
    if (!accepting || (worker == null && queue.size() >= capacity)) {
      reply(submit.replyTo(), new TaskOutcome.Failed(request.taskId(), Failure.REJECTED,
          accepting ? "the pool's queue is full" : "the node is leaving", node));
      publish();
      return this;
    }
    long now = System.nanoTime();
    Task task = new Task(request, submit.replyTo(), new TaskExecution(now + request.remainingMs() * 1_000_000L), now);
    timers.startSingleTimer(request.taskId(), new DeadlinePassed(request.taskId()),
        Duration.ofMillis(Math.max(0, request.remainingMs())));
    if (worker == null) {
      queue.add(task);
    } else {
      assign(worker, task);
    }
    publish();
    return this;
  }

  /** An idle worker if there is one, else the one with the fewest tasks waiting, if it has room. */
  private ActorRef<Worker.Command> leastBusyWithRoom() {
    ActorRef<Worker.Command> best = null;
    int fewest = perWorker;
    for (Map.Entry<ActorRef<Worker.Command>, ArrayDeque<Task>> e : assigned.entrySet()) {
      if (e.getValue().size() < fewest) {
        best = e.getKey();
        fewest = e.getValue().size();
      }
    }
    return best;
  }

  private void assign(ActorRef<Worker.Command> worker, Task task) {
    assigned.get(worker).add(task);
    TaskRequest r = task.request();
    worker.tell(new Worker.Run(r.taskId(), r.kind(), r.input(), task.execution(), finishedAdapter));
  }

  private Behavior<Command> onWorkerFinished(WorkerFinished message) {
    Worker.Finished finished = message.finished();
    Task task = assigned.get(finished.worker()).poll(); // a worker runs its tasks in the order given
    completed++;
    if (task != null) {
      timers.cancel(task.request().taskId());
      reply(task.replyTo(), outcome(task, finished));
    }
    for (ActorRef<Worker.Command> next = leastBusyWithRoom(); next != null && !queue.isEmpty();
        next = leastBusyWithRoom()) {
      assign(next, queue.poll());
    }
    publish();
    replyIfDrained();
    return this;
  }

  private void reply(ActorRef<TaskRouter.Command> router, TaskOutcome outcome) {
    router.tell(new TaskRouter.PoolReplied(getContext().getSelf(), outcome));
  }

  private TaskOutcome outcome(Task task, Worker.Finished finished) {
    TaskRequest request = task.request();
    Worker.Outcome outcome = finished.outcome();
    if (outcome instanceof Worker.Succeeded s) {
      return new TaskOutcome.Completed(request.taskId(), request.kind(), s.result(), node,
          Math.max(0, finished.startedNanos() - task.receivedNanos()) / 1_000_000, finished.computeNanos() / 1_000_000);
    }
    if (outcome instanceof Worker.Threw t) {
      return new TaskOutcome.Failed(request.taskId(), Failure.CRASHED, t.message(), node);
    }
    if (task.execution().abandoned()) {
      return new TaskOutcome.Failed(request.taskId(), Failure.ABANDONED, "the node stopped", node);
    }
    return new TaskOutcome.Failed(request.taskId(), Failure.TIMED_OUT,
        "the deadline passed after " + finished.computeNanos() / 1_000_000 + " ms of computing; the task was cancelled",
        node);
  }

  private Behavior<Command> onDeadlinePassed(DeadlinePassed message) {
    cancel(message.taskId(), "the deadline passed while the task waited in the queue");
    return this;
  }

  private Behavior<Command> onCancel(Cancel message) {
    timers.cancel(message.taskId());
    cancel(message.taskId(), "the task was cancelled while it waited in the queue");
    return this;
  }

  /**
   * A task given to a worker is cancelled through its execution: stopped where it runs, or
   * skipped when the worker reaches it; the worker reports back either way. A task still in
   * this pool's own queue goes at once.
   */
  private void cancel(String taskId, String detailIfQueued) {
    for (ArrayDeque<Task> tasks : assigned.values()) {
      for (Task task : tasks) {
        if (task.request().taskId().equals(taskId)) {
          task.execution().cancel();
          return;
        }
      }
    }
    for (Iterator<Task> it = queue.iterator(); it.hasNext(); ) {
      Task task = it.next();
      if (task.request().taskId().equals(taskId)) {
        it.remove();
        reply(task.replyTo(), new TaskOutcome.Failed(taskId, Failure.TIMED_OUT, detailIfQueued, node));
        publish();
        replyIfDrained();
        return;
      }
    }
  }

  private Behavior<Command> onWatchLoad(WatchLoad message) {
    if (subscribers.putIfAbsent(message.subscriber(), 0L) == null) {
      getContext().watch(message.subscriber());
    }
    message.subscriber().tell(load(message.subscriber()));
    return this;
  }

  private Behavior<Command> onTerminated(Terminated terminated) {
    subscribers.remove(terminated.getRef());
    roomSent.remove(terminated.getRef());
    return this;
  }

  /** A stopping node leaves no task computing on a thread of its own. */
  private Behavior<Command> onPostStop(PostStop signal) {
    abandonAssigned();
    queue.forEach(task -> task.execution().abandon());
    return this;
  }

  /** Stops every task given to a worker; each worker then reports it abandoned. */
  private void abandonAssigned() {
    assigned.values().forEach(tasks -> tasks.forEach(task -> task.execution().abandon()));
  }

  private Behavior<Command> onDrain(Drain message) {
    accepting = false;
    roomSent.clear(); // every router must hear that this pool takes no more
    drainReplyTo = message.replyTo();
    timers.startSingleTimer(DrainTimedOut.INSTANCE, DrainTimedOut.INSTANCE, message.timeout());
    publish();
    replyIfDrained();
    return this;
  }

  private Behavior<Command> onDrainTimedOut() {
    drainCancelled = assignedCount() + queue.size();
    if (drainCancelled > 0) {
      getContext().getLog().warn("Drain timed out: cancelling {} task(s) still running or queued", drainCancelled);
    }
    abandonAssigned();
    for (Task task : queue) {
      reply(task.replyTo(), new TaskOutcome.Failed(task.request().taskId(), Failure.ABANDONED, "the node stopped", node));
    }
    queue.clear();
    replyIfDrained();
    return this;
  }

  private void replyIfDrained() {
    if (drainReplyTo != null && assignedCount() == 0 && queue.isEmpty()) {
      timers.cancel(DrainTimedOut.INSTANCE);
      drainReplyTo.tell(new Drained(drainCancelled));
      drainReplyTo = null;
    }
  }

  private void publish() {
    if (!publishPending) {
      publishPending = true;
      getContext().getSelf().tell(PublishLoad.INSTANCE);
    }
  }

  /**
   * This node's router hears of every change. A remote router hears only when it matters to
   * it: room it may fill (none while this node's own router has tasks waiting to fill it), or
   * that room it was told of is gone. In saturation that is almost never, which spares a
   * cross-node message per task and node.
   */
  private Behavior<Command> onPublishLoad() {
    publishPending = false;
    int advertised = localBacklog ? 0 : room();
    for (ActorRef<TaskRouter.Command> subscriber : subscribers.keySet()) {
      if (isLocal(subscriber)) {
        subscriber.tell(load(subscriber));
      } else if (roomSent.getOrDefault(subscriber, -1) != advertised) {
        subscriber.tell(load(subscriber));
        roomSent.put(subscriber, advertised);
      }
    }
    return this;
  }

  private Behavior<Command> onRefreshRemote() {
    for (ActorRef<TaskRouter.Command> subscriber : subscribers.keySet()) {
      if (!isLocal(subscriber)) {
        subscriber.tell(load(subscriber));
        roomSent.put(subscriber, room());
      }
    }
    return this;
  }

  private Behavior<Command> onLocalBacklog(LocalBacklog message) {
    localBacklog = message.waiting();
    publish();
    return this;
  }

  private int room() {
    return accepting ? Math.max(0, workers * perWorker - assignedCount() - queue.size()) : 0;
  }

  private static boolean isLocal(ActorRef<?> ref) {
    return ref.path().address().hasLocalScope();
  }

  private PoolLoad load(ActorRef<TaskRouter.Command> subscriber) {
    int running = (int) assigned.values().stream().filter(tasks -> !tasks.isEmpty()).count();
    return new PoolLoad(getContext().getSelf(), node, workers, running, assignedCount() - running + queue.size(),
        completed, accepting, subscribers.getOrDefault(subscriber, 0L));
  }

  private int assignedCount() {
    int n = 0;
    for (ArrayDeque<Task> tasks : assigned.values()) {
      n += tasks.size();
    }
    return n;
  }
}
