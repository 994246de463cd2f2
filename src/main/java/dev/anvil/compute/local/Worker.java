package dev.anvil.compute.local;

import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.compute.spi.TaskCancelledException;
import dev.anvil.compute.task.TaskExecution;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskOutcome.Failure;
import dev.anvil.compute.task.TaskRun;
import dev.anvil.compute.task.TaskStats;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Runs tasks, one at a time, on a thread of its own ({@code anvil.compute.pinned-dispatcher});
 * one per compute thread, spawned and watched by {@link WorkerPool}. Running a task blocks this
 * actor's thread, which is what that dispatcher is for. The worker answers each task itself and
 * takes the next from the {@link LocalScheduler}, so on a busy node the next task starts the
 * moment one ends, with no other thread in between.
 */
public final class Worker extends AbstractBehavior<Worker.Command> {

  /** Only this node's scheduler and the worker itself talk to a worker. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  public record Run(TaskRun run) implements Command {}

  private final WorkerSlot slot;
  private final LocalScheduler scheduler;
  private final TaskCatalog catalog;
  private final String node;
  private final NodeHealth health;
  private final TaskStats stats;
  /** Of the task last run: how long it waited here and computed; -1 when it never began (cancelled before). */
  private long queueNanos;
  private long computeNanos;

  /** @param niceness added to the nice value of this worker's thread; 0 leaves it alone */
  static Behavior<Command> create(WorkerSlot slot, LocalScheduler scheduler, TaskCatalog catalog, String node,
      int niceness, NodeHealth health) {
    return Behaviors.setup(ctx -> {
      ThreadNice.lowerCurrentThread(niceness); // setup runs on the worker's own thread
      return new Worker(ctx, slot, scheduler, catalog, node, health);
    });
  }

  private Worker(ActorContext<Command> context, WorkerSlot slot, LocalScheduler scheduler, TaskCatalog catalog,
      String node, NodeHealth health) {
    super(context);
    // named after this class: the default is the setup wrapper's, under org.apache.pekko (WARN), and lost INFO lines
    context.setLoggerName(Worker.class);
    this.health = health;
    this.slot = slot;
    this.scheduler = scheduler;
    this.catalog = catalog;
    this.node = node;
    this.stats = TaskStats.get(context.getSystem());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder().onMessage(Run.class, this::onRun).build();
  }

  private Behavior<Command> onRun(Run message) {
    TaskRun run = message.run();
    computeNanos = -1;
    run.answer(execute(run));
    if (computeNanos >= 0) { // after the answer: its client does not wait for this
      stats.ran(run.kind(), queueNanos, computeNanos);
    }
    TaskRun next = scheduler.next(slot, run);
    if (next != null) {
      getContext().getSelf().tell(new Run(next));
    }
    return this;
  }

  private TaskOutcome execute(TaskRun run) {
    TaskExecution execution = run.execution();
    long start = System.nanoTime();
    long queueMs = Math.max(0, start - run.receivedNanos()) / 1_000_000;
    if (execution.isCancelled()) {
      return cancelled(run, start);
    }
    execution.begin();
    queueNanos = Math.max(0, start - run.receivedNanos());
    try {
      byte[] result = catalog.run(run.task(), run.parsedInput(), run.input(), execution);
      return new TaskOutcome.Completed(run.id(), run.kind(), result, node, queueMs,
          (System.nanoTime() - start) / 1_000_000);
    } catch (TaskCancelledException e) {
      return cancelled(run, start);
    } catch (InterruptedException e) {
      return execution.isCancelled() ? cancelled(run, start) : crashed(run, "interrupted");
    } catch (InvalidInputException e) {
      return crashed(run, "invalid input: " + e.getMessage());
    } catch (Throwable e) {
      // Whatever task code throws fails that task alone, errors included: a kind whose jar misses
      // a class, a static initializer that fails, one allocation too large for the heap. Left to
      // Pekko, such an error would stop the whole JVM (jvm-exit-on-fatal-error).
      if (execution.isCancelled() && !(e instanceof Error)) {
        return cancelled(run, start);
      }
      getContext().getLog().warn("Task {} of kind {} failed", run.id(), run.kind(), e);
      if (e instanceof VirtualMachineError vmError) {
        NodeHealth.afterVmError(vmError).ifPresent(health::unfit);
      }
      return crashed(run, describe(e));
    } finally {
      execution.end();
      computeNanos = System.nanoTime() - start;
    }
  }

  private TaskOutcome cancelled(TaskRun run, long startNanos) {
    if (run.execution().abandoned()) {
      return new TaskOutcome.Failed(run.id(), Failure.ABANDONED, "the node " + node + " stopped", node);
    }
    if (!run.execution().deadlinePassed()) {
      return new TaskOutcome.Failed(run.id(), Failure.CANCELLED, "the task was cancelled after "
          + (System.nanoTime() - startNanos) / 1_000_000 + " ms of computing", node);
    }
    return new TaskOutcome.Failed(run.id(), Failure.TIMED_OUT, "the deadline of " + run.timeoutMs()
        + " ms passed after " + (System.nanoTime() - startNanos) / 1_000_000
        + " ms of computing; the task was cancelled", node);
  }

  /** What the client reads: what went wrong, in the task's words where it has some. */
  public static String describe(Throwable e) {
    String name = e.getClass().getSimpleName();
    String message = e.getMessage() == null ? "" : ": " + e.getMessage();
    if (e instanceof OutOfMemoryError) {
      return "the task ran out of memory (" + name + message + ")";
    }
    if (e instanceof ExceptionInInitializerError init && init.getCause() != null) {
      return "a class of the kind failed to initialize (" + name + " caused by "
          + init.getCause().getClass().getSimpleName()
          + (init.getCause().getMessage() == null ? "" : ": " + init.getCause().getMessage()) + ")";
    }
    if (e instanceof LinkageError) {
      return "the kind's code could not be loaded (" + name + message + ")";
    }
    return name + message;
  }

  private TaskOutcome crashed(TaskRun run, String detail) {
    return new TaskOutcome.Failed(run.id(), Failure.CRASHED, detail, node);
  }
}
