package dev.anvil.compute;

import dev.anvil.CborSerializable;
import dev.anvil.compute.TaskOutcome.Failure;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
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

  private record WorkerFinished(Worker.Finished finished) implements Command, NoSerializationVerificationNeeded {}

  private record DeadlinePassed(String taskId) implements Command, NoSerializationVerificationNeeded {}

  private record Task(TaskRequest request, ActorRef<TaskRouter.Command> replyTo, TaskExecution execution,
      long receivedNanos) {}

  private record Running(Task task, long startedNanos) {}

  private final String node;
  private final int workers;
  private final int capacity;
  private final TaskCatalog catalog;
  private final TimerScheduler<Command> timers;
  private final ActorRef<Worker.Finished> finishedAdapter;
  private final ArrayDeque<ActorRef<Worker.Command>> idle = new ArrayDeque<>();
  private final Map<ActorRef<Worker.Command>, Running> running = new HashMap<>();
  private final ArrayDeque<Task> queue = new ArrayDeque<>();
  private final Map<ActorRef<TaskRouter.Command>, Long> subscribers = new HashMap<>();
  private long completed;
  private boolean accepting = true;
  private ActorRef<Drained> drainReplyTo;
  private int drainCancelled;

  /**
   * @param capacity tasks this pool queues beyond those running
   */
  public static Behavior<Command> create(String node, int workers, int capacity, TaskCatalog catalog) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new WorkerPool(ctx, timers, node, workers, capacity, catalog)));
  }

  private WorkerPool(ActorContext<Command> context, TimerScheduler<Command> timers, String node, int workers,
      int capacity, TaskCatalog catalog) {
    super(context);
    this.timers = timers;
    this.node = node;
    this.workers = workers;
    this.capacity = capacity;
    this.catalog = catalog;
    this.finishedAdapter = context.messageAdapter(Worker.Finished.class, WorkerFinished::new);
    DispatcherSelector compute = DispatcherSelector.fromConfig(dev.anvil.config.ComputeSettings.DISPATCHER);
    for (int i = 0; i < workers; i++) {
      Behavior<Worker.Command> worker = Behaviors.supervise(Worker.create(catalog)).onFailure(SupervisorStrategy.restart());
      idle.add(context.spawn(worker, "worker-" + i, compute));
    }
    context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
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
        .onSignal(Terminated.class, this::onTerminated)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  private Behavior<Command> onSubmit(Submit submit) {
    subscribers.computeIfPresent(submit.replyTo(), (router, seen) -> seen + 1);
    TaskRequest request = submit.request();
    if (!accepting || (idle.isEmpty() && queue.size() >= capacity)) {
      submit.replyTo().tell(new TaskRouter.PoolReplied(getContext().getSelf(), new TaskOutcome.Failed(
          request.taskId(), Failure.REJECTED, accepting ? "the pool's queue is full" : "the node is leaving", node)));
      publish();
      return this;
    }
    long now = System.nanoTime();
    Task task = new Task(request, submit.replyTo(), new TaskExecution(now + request.remainingMs() * 1_000_000L), now);
    timers.startSingleTimer(request.taskId(), new DeadlinePassed(request.taskId()),
        Duration.ofMillis(Math.max(0, request.remainingMs())));
    if (idle.isEmpty()) {
      queue.add(task);
    } else {
      start(idle.poll(), task);
    }
    publish();
    return this;
  }

  private void start(ActorRef<Worker.Command> worker, Task task) {
    running.put(worker, new Running(task, System.nanoTime()));
    TaskRequest r = task.request();
    worker.tell(new Worker.Run(r.taskId(), r.kind(), r.input(), task.execution(), finishedAdapter));
  }

  private Behavior<Command> onWorkerFinished(WorkerFinished message) {
    Worker.Finished finished = message.finished();
    Running run = running.remove(finished.worker());
    completed++;
    if (run != null) {
      Task task = run.task();
      timers.cancel(task.request().taskId());
      task.replyTo().tell(new TaskRouter.PoolReplied(getContext().getSelf(), outcome(run, finished)));
    }
    startNext(finished.worker());
    publish();
    replyIfDrained();
    return this;
  }

  private TaskOutcome outcome(Running run, Worker.Finished finished) {
    TaskRequest request = run.task().request();
    Worker.Outcome outcome = finished.outcome();
    if (outcome instanceof Worker.Succeeded s) {
      return new TaskOutcome.Completed(request.taskId(), request.kind(), s.result(), node,
          (run.startedNanos() - run.task().receivedNanos()) / 1_000_000, finished.computeNanos() / 1_000_000);
    }
    if (outcome instanceof Worker.Threw t) {
      return new TaskOutcome.Failed(request.taskId(), Failure.CRASHED, t.message(), node);
    }
    if (run.task().execution().abandoned()) {
      return new TaskOutcome.Failed(request.taskId(), Failure.ABANDONED, "the node stopped", node);
    }
    return new TaskOutcome.Failed(request.taskId(), Failure.TIMED_OUT,
        "the deadline passed after " + finished.computeNanos() / 1_000_000 + " ms of computing; the task was cancelled",
        node);
  }

  private void startNext(ActorRef<Worker.Command> worker) {
    Task next = queue.poll();
    if (next == null) {
      idle.add(worker);
    } else {
      start(worker, next);
    }
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

  /** A running task is cancelled where it runs, and its worker reports back; a queued one goes now. */
  private void cancel(String taskId, String detailIfQueued) {
    for (Running run : running.values()) {
      if (run.task().request().taskId().equals(taskId)) {
        run.task().execution().cancel();
        return;
      }
    }
    for (Iterator<Task> it = queue.iterator(); it.hasNext(); ) {
      Task task = it.next();
      if (task.request().taskId().equals(taskId)) {
        it.remove();
        task.replyTo().tell(new TaskRouter.PoolReplied(getContext().getSelf(),
            new TaskOutcome.Failed(taskId, Failure.TIMED_OUT, detailIfQueued, node)));
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
    return this;
  }

  /** A stopping node leaves no task computing on a thread of its own. */
  private Behavior<Command> onPostStop(PostStop signal) {
    running.values().forEach(run -> run.task().execution().abandon());
    queue.forEach(task -> task.execution().abandon());
    return this;
  }

  private Behavior<Command> onDrain(Drain message) {
    accepting = false;
    drainReplyTo = message.replyTo();
    timers.startSingleTimer(DrainTimedOut.INSTANCE, DrainTimedOut.INSTANCE, message.timeout());
    publish();
    replyIfDrained();
    return this;
  }

  private Behavior<Command> onDrainTimedOut() {
    drainCancelled = running.size() + queue.size();
    if (drainCancelled > 0) {
      getContext().getLog().warn("Drain timed out: cancelling {} task(s) still running or queued", drainCancelled);
    }
    running.values().forEach(run -> run.task().execution().abandon());
    for (Task task : queue) {
      task.replyTo().tell(new TaskRouter.PoolReplied(getContext().getSelf(),
          new TaskOutcome.Failed(task.request().taskId(), Failure.ABANDONED, "the node stopped", node)));
    }
    queue.clear();
    replyIfDrained();
    return this;
  }

  private void replyIfDrained() {
    if (drainReplyTo != null && running.isEmpty() && queue.isEmpty()) {
      timers.cancel(DrainTimedOut.INSTANCE);
      drainReplyTo.tell(new Drained(drainCancelled));
      drainReplyTo = null;
    }
  }

  private void publish() {
    for (ActorRef<TaskRouter.Command> subscriber : subscribers.keySet()) {
      subscriber.tell(load(subscriber));
    }
  }

  private PoolLoad load(ActorRef<TaskRouter.Command> subscriber) {
    return new PoolLoad(getContext().getSelf(), node, workers, running.size(), queue.size(), completed, accepting,
        subscribers.getOrDefault(subscriber, 0L));
  }
}
