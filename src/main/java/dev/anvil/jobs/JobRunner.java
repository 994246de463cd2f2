package dev.anvil.jobs;

import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.local.LocalScheduler;
import dev.anvil.compute.local.TaskIntake;
import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.task.Outcome;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskRun;
import dev.anvil.compute.task.TaskStats;
import dev.anvil.jobs.JobRecord.Problem;
import dev.anvil.jobs.JobRecord.Status;
import dev.anvil.serialization.CborSerializable;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.pattern.Patterns;

/**
 * Runs the jobs whose entities live on this node, through this node's {@link LocalScheduler}: so
 * on the same dispatch path as a task, spilling to other nodes' free workers. It hands the
 * scheduler a bounded number at once (the rest wait here), so jobs never take the room that
 * synchronous tasks need. Each run's start, progress and end go back to the job's entity through
 * sharding; an end is sent again until the entity says it is stored (the database may be down).
 */
public final class JobRunner extends AbstractBehavior<JobRunner.Command> {

  private static final Duration TICK = Duration.ofMillis(250);
  /** Entities of jobs held here hear from the runner at least this often, so they are not passivated. */
  private static final long KEEP_ALIVE_NANOS = Duration.ofSeconds(30).toNanos();
  private static final long RESEND_NANOS = Duration.ofSeconds(2).toNanos();

  public interface Command {}

  /**
   * From a job's entity: run it (again, if this runner does not hold it).
   *
   * @param input null when it is kept in {@link JobPayloads} (larger than {@code inline-bytes}): read from there
   */
  public record Run(String id, String kind, byte[] input, String inputHash, long timeoutMs, int attempt, String tenant)
      implements Command, CborSerializable {

    Run withInput(byte[] stored) {
      return new Run(id, kind, stored, inputHash, timeoutMs, attempt, tenant);
    }

    Run next() {
      return new Run(id, kind, input, inputHash, timeoutMs, attempt + 1, tenant);
    }
  }

  public record Abort(String id) implements Command, CborSerializable {}

  /** From a job's entity: its end is stored. */
  public record Recorded(String id) implements Command, CborSerializable {}

  /**
   * @param maxResultBytes a larger result fails its job
   * @param inlineBytes a larger result is stored in {@link JobPayloads}, and its entity told without it
   * @param concurrency jobs handed to the scheduler at once
   */
  public record Settings(long maxResultBytes, long inlineBytes, int concurrency) {}

  /** A stored input, read for a run; or the error that kept it from being read (then again later). */
  private record InputRead(Run run, Optional<byte[]> input, Throwable error) implements Command,
      NoSerializationVerificationNeeded {}

  /** A large result, stored (or not: then again later) before the end goes to the entity. */
  private record ResultStored(Held held, JobEvent.Finished finished, byte[] result, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  private static final Duration PAYLOAD_RETRY = Duration.ofSeconds(1);

  private record Ran(String id, int attempt, TaskOutcome outcome) implements Command,
      NoSerializationVerificationNeeded {}

  private enum Tick implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /** From the node's coordinated shutdown, as it begins: the runner logs what it still holds. */
  enum Stopping implements Command, NoSerializationVerificationNeeded { INSTANCE }

  private static final class Held {
    final Run run;
    TaskRun task;
    double told;
    long lastTold = System.nanoTime();

    Held(Run run) {
      this.run = run;
    }
  }

  private static final class Unacked {
    final String id;
    final JobEntity.RunEnded ended;
    long sentAt = System.nanoTime();

    Unacked(String id, JobEntity.RunEnded ended) {
      this.id = id;
      this.ended = ended;
    }
  }

  private final String node;
  private final TaskIntake scheduler;
  private final TaskCatalog catalog;
  private final Settings settings;
  private final JobPayloads payloads;
  private final ClusterSharding sharding;
  private final Map<String, Held> held = new LinkedHashMap<>();
  private final ArrayDeque<String> queue = new ArrayDeque<>();
  private final Map<String, Unacked> unacked = new HashMap<>();
  private int running;
  /** By status: jobs waiting here and running from here now, and those that ended here since start. */
  private final AtomicIntegerArray byStatus;

  public static Behavior<Command> create(String node, TaskIntake scheduler, TaskCatalog catalog,
      Settings settings, JobPayloads payloads, AtomicIntegerArray byStatus) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new JobRunner(ctx, timers, node, scheduler, catalog,
        settings, payloads, byStatus)));
  }

  private JobRunner(ActorContext<Command> context, TimerScheduler<Command> timers, String node,
      TaskIntake scheduler, TaskCatalog catalog, Settings settings, JobPayloads payloads,
      AtomicIntegerArray byStatus) {
    super(context);
    // named after this class: the default is the setup wrapper's, under org.apache.pekko (WARN), and lost INFO lines
    context.setLoggerName(JobRunner.class);
    this.node = node;
    this.scheduler = scheduler;
    this.catalog = catalog;
    this.settings = settings;
    this.payloads = payloads;
    this.sharding = ClusterSharding.get(context.getSystem());
    this.byStatus = byStatus;
    timers.startTimerWithFixedDelay(Tick.INSTANCE, TICK);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Run.class, this::onRun)
        .onMessage(Abort.class, this::onAbort)
        .onMessage(Recorded.class, r -> {
          Unacked u = unacked.remove(r.id());
          if (u != null) {
            byStatus.incrementAndGet(u.ended.finished().status().ordinal());
          }
          return this;
        })
        .onMessage(Ran.class, this::onRan)
        .onMessage(InputRead.class, this::onInputRead)
        .onMessage(ResultStored.class, this::onResultStored)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessageEquals(Stopping.INSTANCE, () -> {
          if (!held.isEmpty()) { // a stop, SIGTERM or roll: say what becomes of them, since their clients wait
            getContext().getLog().info("Stopping with {} jobs held here ({} running, {} queued): those not finished"
                + " within the drain are kept in the journal and run again (attempts + 1) on a node that is up, or"
                + " when one starts", held.size(), running, held.size() - running);
          }
          return this;
        })
        .build();
  }

  private Behavior<Command> onRun(Run run) {
    Held known = held.get(run.id());
    if (known != null) {
      if (known.task != null) {
        entity(run.id()).tell(new JobEntity.RunStarted(known.run.attempt(), node)); // an entity that started again
      }
      return this;
    }
    held.put(run.id(), new Held(run));
    if (run.input() == null) { // kept beside the job: read it first (held meanwhile, so a second Run waits too)
      readInput(run, Duration.ZERO);
      return this;
    }
    queue.add(run.id());
    startNext();
    return this;
  }

  private void readInput(Run run, Duration after) {
    getContext().pipeToSelf(later(after, () -> payloads.get(run.id(), JobPayloads.input(run.inputHash()))),
        (input, error) -> new InputRead(run, input, error));
  }

  /** A database call made after {@code delay}: how a payload is read or written again while the database is down. */
  private <T> CompletionStage<T> later(Duration delay, Callable<CompletionStage<T>> call) {
    try {
      return delay.isZero() ? call.call() : Patterns.after(delay,
          Adapter.toClassic(getContext().getSystem()).scheduler(), getContext().getExecutionContext(), call);
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private Behavior<Command> onInputRead(InputRead read) {
    Held h = held.get(read.run().id());
    if (h == null || h.run != read.run()) {
      return this; // aborted meanwhile
    }
    if (read.error() != null) { // the database is down: again in a moment
      getContext().getLog().debug("Jobs: input of {} not read ({}); again", read.run().id(), read.error().getMessage());
      readInput(read.run(), PAYLOAD_RETRY);
      return this;
    }
    if (read.input().isEmpty()) {
      end(h, new JobEvent.Finished(Status.FAILED, node, System.currentTimeMillis(), 0, 0, null, problem(500,
          "input-lost", "the job's input is no longer in the database (anvil_payloads)")));
      return this;
    }
    held.put(h.run.id(), new Held(read.run().withInput(read.input().get())));
    queue.add(h.run.id());
    startNext();
    return this;
  }

  private Behavior<Command> onResultStored(ResultStored stored) {
    Held h = stored.held();
    if (stored.error() != null) { // the database is down: the result waits here, and is stored again
      getContext().getLog().debug("Jobs: result of {} not stored ({}); again", h.run.id(), stored.error().getMessage());
      storeResult(h, stored.finished(), stored.result(), PAYLOAD_RETRY);
      return this;
    }
    end(h, stored.finished());
    return this;
  }

  private void storeResult(Held h, JobEvent.Finished finished, byte[] result, Duration after) {
    getContext().pipeToSelf(later(after, () -> payloads.put(h.run.id(), JobPayloads.RESULT, result)),
        (done, error) -> new ResultStored(h, finished, result, error));
  }

  private Behavior<Command> onAbort(Abort abort) {
    Held h = held.get(abort.id());
    if (h == null) {
      return this;
    }
    byStatus.incrementAndGet(Status.CANCELLED.ordinal());
    if (h.task != null) {
      scheduler.abort(h.task, new TaskOutcome.Failed(h.task.id(), TaskOutcome.Failure.CANCELLED,
          "the job was cancelled", node)); // stopped where it runs, here or on another node
    } else {
      queue.remove(abort.id());
      held.remove(abort.id());
      gauges();
    }
    return this;
  }

  private void startNext() {
    while (running < settings.concurrency() && !queue.isEmpty()) {
      String id = queue.poll();
      Held h = held.get(id);
      if (h == null) {
        continue;
      }
      Run run = h.run;
      Optional<ComputeTask<?, ?>> task = catalog.find(run.kind());
      if (task.isEmpty()) {
        end(h, new JobEvent.Finished(Status.FAILED, node, System.currentTimeMillis(), 0, 0, null, problem(404,
            "unknown-kind", "node " + node + " has no kind '" + run.kind() + "'")));
        continue;
      }
      ActorRef<Command> me = getContext().getSelf();
      TaskRun taskRun = new TaskRun(scheduler.nextId(), task.get(), run.input(), null, run.timeoutMs(),
          System.nanoTime(), run.tenant(), outcome -> me.tell(new Ran(id, run.attempt(), outcome)));
      switch (scheduler.submit(taskRun)) {
        case STARTED, QUEUED -> {
          h.task = taskRun;
          running++;
          h.lastTold = System.nanoTime();
          entity(id).tell(new JobEntity.RunStarted(run.attempt(), node));
        }
        case REJECTED, UNAVAILABLE -> {
          queue.addFirst(id); // no room now: the tick tries again
          gauges();
          return;
        }
      }
    }
    gauges();
  }

  /** The problem a failed run leaves in its job: the same type and status a task's client gets (Outcome). */
  private static Problem problem(TaskOutcome.Failed failed, String detail) {
    return problem(Outcome.status(failed), Outcome.problemSlug(failed.failure()), detail);
  }

  /** A problem as the HTTP layer writes one: {@code urn:anvil:problem:<slug>}, titled by its status. */
  private static Problem problem(int status, String slug, String detail) {
    return new Problem("urn:anvil:problem:" + slug, StatusCodes.get(status).reason(), status, detail);
  }

  private Behavior<Command> onRan(Ran ran) {
    Held h = held.get(ran.id());
    if (h == null || h.task == null || h.run.attempt() != ran.attempt()) {
      return this;
    }
    running--;
    h.task = null;
    long now = System.currentTimeMillis();
    TaskOutcome outcome = ran.outcome();
    if (!(outcome instanceof TaskOutcome.Failed f && f.failure() != TaskOutcome.Failure.CRASHED
        && f.failure() != TaskOutcome.Failure.TIMED_OUT && f.failure() != TaskOutcome.Failure.CANCELLED)) {
      TaskStats.get(getContext().getSystem()).answered(h.run.kind(), h.run.tenant(), outcome); // the others are tried again
    }
    if (outcome instanceof TaskOutcome.Completed c) {
      if (c.result().length > settings.maxResultBytes()) {
        end(h, new JobEvent.Finished(Status.FAILED, c.node(), now, c.queueMs(), c.computeMs(), null, problem(500,
            "result-too-large", "the result of " + c.result().length
                + " bytes is larger than a job may keep (anvil.jobs.max-result-bytes = " + settings.maxResultBytes()
                + "); run it as a task (POST /v1/tasks/" + h.run.kind() + ")")));
      } else if (c.result().length > settings.inlineBytes()) { // kept beside the job; the entity gets none
        storeResult(h, new JobEvent.Finished(Status.SUCCEEDED, c.node(), now, c.queueMs(), c.computeMs(), null, null),
            c.result(), Duration.ZERO);
      } else {
        end(h, new JobEvent.Finished(Status.SUCCEEDED, c.node(), now, c.queueMs(), c.computeMs(), c.result(), null));
      }
    } else {
      TaskOutcome.Failed f = (TaskOutcome.Failed) outcome;
      switch (f.failure()) {
        case CANCELLED -> {
          held.remove(ran.id()); // its entity stored the cancel before it asked for this
        }
        case TIMED_OUT -> end(h, new JobEvent.Finished(Status.FAILED, f.node(), now, 0, 0, null,
            problem(f, f.detail())));
        case CRASHED -> end(h, new JobEvent.Finished(Status.FAILED, f.node(), now, 0, 0, null,
            problem(f, "the task failed on node " + f.node() + ": " + f.detail())));
        case REJECTED, UNAVAILABLE -> queue.addFirst(ran.id()); // no room: again
        case ABANDONED -> { // the node it ran on stopped: it runs again, one attempt more
          Run again = h.run.next();
          held.put(again.id(), new Held(again));
          queue.addFirst(again.id());
        }
      }
    }
    startNext();
    return this;
  }

  private void end(Held h, JobEvent.Finished finished) {
    held.remove(h.run.id());
    JobEntity.RunEnded ended = new JobEntity.RunEnded(h.run.attempt(), finished, getContext().getSelf());
    unacked.put(h.run.id(), new Unacked(h.run.id(), ended));
    entity(h.run.id()).tell(ended);
  }

  /** Progress to watchers; a word to idle entities; ends not yet stored, again; and jobs that found no room. */
  private Behavior<Command> onTick() {
    long now = System.nanoTime();
    for (Held h : held.values()) {
      double progress = h.task == null ? 0 : h.task.progress();
      if (progress - h.told >= 0.01) {
        h.told = progress;
        h.lastTold = now;
        entity(h.run.id()).tell(new JobEntity.RunProgress(h.run.attempt(), progress));
      } else if (now - h.lastTold > KEEP_ALIVE_NANOS) {
        h.lastTold = now;
        entity(h.run.id()).tell(new JobEntity.RunProgress(h.run.attempt(), h.told));
      }
    }
    for (Unacked u : unacked.values()) {
      if (now - u.sentAt > RESEND_NANOS) {
        u.sentAt = now;
        entity(u.id).tell(u.ended);
      }
    }
    startNext();
    return this;
  }

  private void gauges() {
    byStatus.set(Status.QUEUED.ordinal(), held.size() - running);
    byStatus.set(Status.RUNNING.ordinal(), running);
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<JobEntity.Command> entity(String id) {
    return sharding.entityRefFor(JobEntity.KEY, id);
  }
}
