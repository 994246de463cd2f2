package dev.anvil.compute;

import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.compute.spi.TaskCancelledException;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Runs tasks, one at a time, on the compute dispatcher; one per compute thread, spawned by
 * {@link WorkerPool}. Running a task blocks this actor's thread, which is what the compute
 * dispatcher is for; its pool cancels a task through its {@link TaskExecution}. The pool may
 * put the next task in this worker's mailbox while one runs, so the worker starts it the
 * moment it is free, without waiting for the pool's thread to be scheduled.
 */
public final class Worker extends AbstractBehavior<Worker.Command> {

  /** Only the local pool talks to a worker. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  public record Run(String taskId, String kind, byte[] input, TaskExecution execution,
      ActorRef<Finished> replyTo) implements Command {}

  /** The result or failure of one run, when it started, and how long it computed. */
  public record Finished(ActorRef<Command> worker, String taskId, Outcome outcome, long startedNanos,
      long computeNanos) implements NoSerializationVerificationNeeded {}

  public sealed interface Outcome {}

  public record Succeeded(byte[] result) implements Outcome {}

  public record Cancelled() implements Outcome {}

  public record Threw(String message) implements Outcome {}

  private final TaskCatalog catalog;
  private final int niceness;

  /** @param niceness added to the nice value of the thread that runs tasks; 0 leaves it alone */
  public static Behavior<Command> create(TaskCatalog catalog, int niceness) {
    return Behaviors.setup(ctx -> new Worker(ctx, catalog, niceness));
  }

  private Worker(ActorContext<Command> context, TaskCatalog catalog, int niceness) {
    super(context);
    this.catalog = catalog;
    this.niceness = niceness;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder().onMessage(Run.class, this::onRun).build();
  }

  private Behavior<Command> onRun(Run run) {
    ThreadNice.lowerCurrentThread(niceness);
    long start = System.nanoTime();
    Outcome outcome = execute(run);
    run.replyTo().tell(new Finished(getContext().getSelf(), run.taskId(), outcome, start,
        System.nanoTime() - start));
    return this;
  }

  private Outcome execute(Run run) {
    TaskExecution execution = run.execution();
    if (execution.isCancelled()) {
      return new Cancelled();
    }
    execution.begin();
    try {
      return new Succeeded(catalog.execute(run.kind(), run.input(), execution));
    } catch (TaskCancelledException e) {
      return new Cancelled();
    } catch (InterruptedException e) {
      return execution.isCancelled() ? new Cancelled() : new Threw("interrupted");
    } catch (InvalidInputException e) {
      return new Threw("invalid input: " + e.getMessage());
    } catch (Exception | StackOverflowError | AssertionError e) {
      // A failing task fails alone: the worker reports it and takes the next one.
      if (execution.isCancelled()) {
        return new Cancelled();
      }
      getContext().getLog().warn("Task {} of kind {} failed", run.taskId(), run.kind(), e);
      return new Threw(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    } finally {
      execution.end();
    }
  }
}
