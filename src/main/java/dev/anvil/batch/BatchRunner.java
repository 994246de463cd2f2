package dev.anvil.batch;

import dev.anvil.batch.BatchProtocol.CancelBatch;
import dev.anvil.batch.BatchProtocol.DispatcherCommand;
import dev.anvil.batch.BatchProtocol.GroupAnswered;
import dev.anvil.batch.BatchProtocol.Hello;
import dev.anvil.batch.BatchProtocol.Item;
import dev.anvil.batch.BatchProtocol.ItemOutcome;
import dev.anvil.batch.BatchProtocol.RunGroup;
import dev.anvil.batch.BatchProtocol.RunnerCommand;
import dev.anvil.batch.BatchProtocol.Workers;
import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.local.TaskIntake;
import dev.anvil.compute.protocol.PoolProtocol;
import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskOutcome.Failure;
import dev.anvil.compute.task.TaskRun;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.dispatch.ExecutionContexts;
import scala.concurrent.ExecutionContextExecutor;

/**
 * Runs the groups of batch items that dispatchers (this node's and the others') send here, on
 * this node's workers, in turn with its tasks ({@code TaskIntake#submitBatchItem}); answers
 * them in parts of at most {@value #PART_BYTES} bytes of results, so a group of large results
 * never makes one huge message. A dispatcher that stops (its node left) has its items cancelled
 * here. One per node, spawned by the node guardian.
 */
public final class BatchRunner extends AbstractBehavior<RunnerCommand> {

  public static final ServiceKey<RunnerCommand> KEY = ServiceKey.create(RunnerCommand.class, "anvil-batch-runner");

  /** Results gathered before a part is sent back. */
  static final int PART_BYTES = 64 * 1024;
  /**
   * Nor does an outcome wait longer than this for others to go back with: near-empty items go
   * back many to a message, and the outcome of an item that took long goes back at once.
   */
  static final long PART_NANOS = 2_000_000;
  /** A flush is a tell: it runs on the scheduler's thread, with no hop to a pool. */
  private static final ExecutionContextExecutor ON_SCHEDULER_THREAD = ExecutionContexts.fromExecutor(Runnable::run);

  private final TaskIntake scheduler;
  private final TaskCatalog catalog;
  private final String node;
  private final ActorRef<RunnerCommand> self;
  private final ActorRef<RunnerCommand> largeInbox;
  /** The groups that run here, by batch; their items end on worker threads. */
  private final Map<String, Set<Group>> running = new ConcurrentHashMap<>();
  private final Set<ActorRef<DispatcherCommand>> watched = new HashSet<>();
  private final Scheduler timers;

  public static Behavior<RunnerCommand> create(TaskIntake scheduler, TaskCatalog catalog, String node) {
    return Behaviors.setup(ctx -> new BatchRunner(ctx, scheduler, catalog, node));
  }

  private BatchRunner(ActorContext<RunnerCommand> context, TaskIntake scheduler, TaskCatalog catalog, String node) {
    super(context);
    context.setLoggerName(BatchRunner.class);
    this.scheduler = scheduler;
    this.catalog = catalog;
    this.node = node;
    this.self = context.getSelf();
    this.timers = context.getSystem().scheduler();
    this.largeInbox = context.spawn(PoolProtocol.largeInbox(self), "large");
    context.getSystem().receptionist().tell(Receptionist.register(KEY, self));
  }

  @Override
  public Receive<RunnerCommand> createReceive() {
    return newReceiveBuilder()
        .onMessage(RunGroup.class, this::onRun)
        .onMessage(CancelBatch.class, this::onCancel)
        .onMessage(Hello.class, this::onHello)
        .onSignal(Terminated.class, this::onTerminated)
        .build();
  }

  private Behavior<RunnerCommand> onHello(Hello hello) {
    hello.replyTo().tell(new Workers(self, largeInbox, node, scheduler.load().workers()));
    return this;
  }

  private Behavior<RunnerCommand> onRun(RunGroup run) {
    if (watched.add(run.replyTo())) {
      getContext().watch(run.replyTo());
    }
    Group group = new Group(run);
    running.computeIfAbsent(run.batch(), b -> ConcurrentHashMap.newKeySet()).add(group);
    ComputeTask<?, ?> task = catalog.find(run.kind()).orElse(null);
    if (task == null) { // another dispatcher may find a node that has it
      for (Item item : run.items()) {
        group.answered(item.index(), failed(Failure.UNAVAILABLE, "the kind '" + run.kind() + "' is not on node " + node));
      }
      return this;
    }
    long now = System.nanoTime();
    for (Item item : run.items()) {
      TaskRun taskRun = new TaskRun(scheduler.nextId(), task, item.input(), null, run.timeoutMs(), now, run.tenant(),
          outcome -> group.answered(item.index(), outcome));
      synchronized (group) {
        group.runs.add(taskRun);
      }
      if (!scheduler.submitBatchItem(taskRun)) {
        taskRun.answer(failed(Failure.UNAVAILABLE, "node " + node + " is leaving the cluster"));
      }
    }
    return this;
  }

  private Behavior<RunnerCommand> onCancel(CancelBatch cancel) {
    Set<Group> groups = running.remove(cancel.batch());
    if (groups != null) {
      groups.forEach(Group::cancel);
    }
    return this;
  }

  /** A dispatcher stopped (its node left the cluster): nobody reads its batches' items any more. */
  private Behavior<RunnerCommand> onTerminated(Terminated terminated) {
    watched.remove(terminated.getRef());
    for (Set<Group> groups : running.values()) {
      for (Group group : List.copyOf(groups)) {
        if (group.run.replyTo().equals(terminated.getRef())) {
          group.cancel();
        }
      }
    }
    return this;
  }

  private TaskOutcome.Failed failed(Failure failure, String detail) {
    return new TaskOutcome.Failed(0, failure, detail, node);
  }

  /** One group as it runs here: its items' outcomes are gathered into parts and sent back. */
  private final class Group {
    final RunGroup run;
    final List<TaskRun> runs = new ArrayList<>();
    private List<ItemOutcome> part = new ArrayList<>();
    private int partBytes;
    private long lastSentNanos = System.nanoTime();
    /** Whether a flush of what the part holds is scheduled (an outcome never waits long for others). */
    private boolean flushScheduled;
    private int left;

    Group(RunGroup run) {
      this.run = run;
      this.left = run.items().size();
    }

    void answered(long index, TaskOutcome outcome) {
      ItemOutcome answered = new ItemOutcome(index, outcome);
      int bytes = outcome instanceof TaskOutcome.Completed c ? c.result().length : 256;
      List<ItemOutcome> send = null;
      ActorRef<DispatcherCommand> to = run.replyTo();
      boolean last;
      synchronized (this) {
        left--;
        last = left == 0;
        if (bytes > PoolProtocol.LARGE_PAYLOAD_BYTES) {
          send = List.of(answered);
          to = run.replyToLarge();
        } else {
          part.add(answered);
          partBytes += bytes;
          long now = System.nanoTime();
          if (last || partBytes >= PART_BYTES || now - lastSentNanos >= PART_NANOS) {
            send = part;
            part = new ArrayList<>();
            partBytes = 0;
            lastSentNanos = now;
          } else if (!flushScheduled) {
            flushScheduled = true;
            timers.scheduleOnce(Duration.ofNanos(PART_NANOS), this::flushHeld, ON_SCHEDULER_THREAD);
          }
        }
      }
      if (send != null) {
        to.tell(new GroupAnswered(self, run.batch(), run.group(), send));
      }
      if (last && to != run.replyTo()) {
        flush();
      }
      if (last) {
        Set<Group> groups = running.get(run.batch());
        if (groups != null) {
          groups.remove(this);
          running.computeIfPresent(run.batch(), (b, g) -> g.isEmpty() ? null : g);
        }
      }
    }

    /** What the part held when its flush was scheduled goes now, unless it went already. */
    private void flushHeld() {
      List<ItemOutcome> send;
      synchronized (this) {
        flushScheduled = false;
        if (part.isEmpty()) {
          return;
        }
        send = part;
        part = new ArrayList<>();
        partBytes = 0;
        lastSentNanos = System.nanoTime();
      }
      run.replyTo().tell(new GroupAnswered(self, run.batch(), run.group(), send));
    }

    /** The last item was large and went alone: what the part still holds goes too. */
    private void flush() {
      List<ItemOutcome> send;
      synchronized (this) {
        send = part;
        part = new ArrayList<>();
      }
      if (!send.isEmpty()) {
        run.replyTo().tell(new GroupAnswered(self, run.batch(), run.group(), send));
      }
    }

    void cancel() {
      List<TaskRun> toStop;
      synchronized (this) {
        toStop = List.copyOf(runs);
      }
      for (TaskRun taskRun : toStop) {
        scheduler.abort(taskRun, failed(Failure.CANCELLED, "the batch's client went away"));
      }
    }
  }
}
