package dev.anvil.jobs;

import dev.anvil.jobs.JobRecord.Status;
import dev.anvil.serialization.CborSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.Recovery;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One job, event-sourced under Cluster Sharding: its record is rebuilt from its events wherever
 * its shard lives. It does not compute: it hands the job to {@link JobRunner} on its own node,
 * which runs it on the node's dispatch path (spilling to other nodes' free workers like any task)
 * and reports back through sharding, so a rebalance moves the record, not the work.
 *
 * <p>An unfinished job is handed to the runner again whenever its entity starts (after any
 * restart, or on another node after its node was lost), with {@code attempts} + 1 if a run had
 * begun. A finished job's entity passivates at once unless someone watches it.
 */
public final class JobEntity extends EventSourcedBehavior<JobEntity.Command, JobEvent, JobEntity.State> {

  public static final EntityTypeKey<Command> KEY = EntityTypeKey.create(Command.class, "anvil-job");

  public interface Command extends CborSerializable {}

  /**
   * @param input null when it is larger than {@code inline-bytes}: then stored in {@link JobPayloads} first
   * @param submitter the tenant that submits it, and owns it
   * @param deadlineMs when its asker gives up (epoch ms; 0: never): see {@link #late(long)}
   */
  public record Submit(String kind, byte[] input, long timeoutMs, String idempotencyKey, String inputHash,
      String submitter, long deadlineMs, ActorRef<SubmitReply> replyTo) implements Command {}

  public sealed interface SubmitReply extends CborSerializable permits Accepted, KeyReused {}

  /** @param existing the idempotency key named a job submitted before */
  public record Accepted(JobRecord record, boolean existing) implements SubmitReply {}

  /** The idempotency key was used with another kind or body (422). */
  public record KeyReused(String detail) implements SubmitReply {}

  /** @param record null when there is no such job */
  public record Found(JobRecord record) implements CborSerializable {}

  public record Get(ActorRef<Found> replyTo) implements Command {}

  /**
   * Cancels a queued or running job, or deletes a finished one; answers with the job as it was
   * (null: there was none, or it is not {@code tenant}'s).
   *
   * @param tenant the tenant asking, which must own the job; null for an admin, who may cancel any
   * @param deadlineMs when its asker gives up (epoch ms; 0: never): see {@link #late(long)}
   */
  public record Cancel(String tenant, long deadlineMs, ActorRef<Found> replyTo) implements Command {}

  /** Sends the record now and at every change, progress included, until it is final. */
  public record Watch(ActorRef<JobRecord> subscriber) implements Command {}

  /** Answers once the job is final (at once if it is). */
  public record AwaitFinal(ActorRef<JobRecord> replyTo) implements Command {}

  /** Hand an unfinished job to the runner, if this incarnation has not (sent by the resume scan). */
  public enum Wake implements Command { INSTANCE }

  /** Its rows were deleted (retention): stop, so the next message finds nothing. */
  public enum Forget implements Command { INSTANCE }

  // --- from the runner

  record RunStarted(int attempt, String node) implements Command {}

  /** The run of {@code attempt} has lasted {@code record-started-after}: store its start now. */
  record StoreStarted(int attempt) implements Command {}

  record RunProgress(int attempt, double fraction) implements Command {}

  /** Acknowledged with {@link JobRunner.Recorded} once stored; the runner sends it again until then. */
  record RunEnded(int attempt, JobEvent.Finished finished, ActorRef<JobRunner.Command> runner) implements Command {}

  record WatcherGone(ActorRef<JobRecord> subscriber) implements Command {}

  /** @param job null until accepted */
  public record State(JobRecord job) implements CborSerializable {}

  private final String id;
  private final ActorContext<Command> context;
  private final EntityContext<Command> entity;
  private final ActorRef<JobRunner.Command> runner;
  private final Set<ActorRef<JobRecord>> watchers = new HashSet<>();
  private final List<ActorRef<JobRecord>> waiting = new ArrayList<>();
  private final Duration recordStartedAfter;
  private boolean dispatched;
  private double progress;
  /** A run that has begun and is not stored yet: it is stored with its end, or once it has lasted. */
  private JobEvent.Started unstoredStart;

  /**
   * @param recordStartedAfter a run is stored as started once it has lasted this long; one that
   *     ends sooner is stored as started and finished in one write
   */
  public static Behavior<Command> create(EntityContext<Command> entity, ActorRef<JobRunner.Command> runner,
      Duration recordStartedAfter) {
    return Behaviors.setup(ctx -> new JobEntity(ctx, entity, runner, recordStartedAfter));
  }

  private JobEntity(ActorContext<Command> context, EntityContext<Command> entity, ActorRef<JobRunner.Command> runner,
      Duration recordStartedAfter) {
    super(PersistenceId.of(KEY.name(), entity.getEntityId()),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(3), 0.2));
    this.id = entity.getEntityId();
    this.context = context;
    this.entity = entity;
    this.runner = runner;
    this.recordStartedAfter = recordStartedAfter;
  }

  /** No snapshots are taken: recovery replays the (at most a handful of) events and skips the snapshot query. */
  @Override
  public Recovery recovery() {
    return Recovery.withSnapshotSelectionCriteria(SnapshotSelectionCriteria.none());
  }

  @Override
  public State emptyState() {
    return new State(null);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (state.job() != null && !state.job().isFinal()) {
            dispatch(state.job()); // a restart, a lost node, a rebalance: the job runs again
          }
        })
        .build();
  }

  @Override
  public CommandHandler<Command, JobEvent, State> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Submit.class, this::onSubmit)
        .onCommand(Get.class, (state, get) -> {
          if (state.job() == null) {
            get.replyTo().tell(new Found(null));
            return Effect().stop(); // nothing here: no entity stays for a wrong id
          }
          get.replyTo().tell(new Found(live(state.job())));
          return Effect().none();
        })
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(Watch.class, this::onWatch)
        .onCommand(AwaitFinal.class, (state, await) -> {
          if (state.job() != null && state.job().isFinal()) {
            await.replyTo().tell(state.job().withoutInput());
          } else if (state.job() != null) {
            waiting.add(await.replyTo());
          }
          return Effect().none();
        })
        .onCommand(WatcherGone.class, (state, gone) -> {
          watchers.remove(gone.subscriber());
          return passivateIfDone(state);
        })
        .onCommand(Wake.class, (state, wake) -> {
          if (state.job() != null && !state.job().isFinal() && !dispatched) {
            dispatch(state.job());
          }
          return state.job() == null ? Effect().stop() : Effect().none();
        })
        .onCommand(Forget.class, (state, forget) -> Effect().stop())
        .onCommand(RunStarted.class, this::onStarted)
        .onCommand(StoreStarted.class, this::storeStarted)
        .onCommand(RunProgress.class, (state, p) -> {
          if (state.job() != null && !state.job().isFinal() && p.fraction() > progress) {
            progress = p.fraction();
            JobRecord now = live(state.job());
            watchers.forEach(w -> w.tell(now));
          }
          return Effect().none();
        })
        .onCommand(RunEnded.class, this::onEnded)
        .build();
  }

  /**
   * A submission or a cancel that reaches the entity after its asker gave up (the client had a
   * 503: the entity was recovering while the database was down, and its commands waited) is
   * dropped, not acted on: a 503 then means it was not done, and a client that retries does not
   * find its job deleted by a request it was told failed, nor a second job accepted by one it
   * was told was not. (A write already under way at the deadline still ends; a retry with an
   * Idempotency-Key finds that job.) Found by the chaos runner.
   */
  static boolean late(long deadlineMs) {
    return deadlineMs > 0 && System.currentTimeMillis() > deadlineMs;
  }

  private Effect<JobEvent, State> onSubmit(State state, Submit submit) {
    if (late(submit.deadlineMs())) {
      context.getLog().info("Job {}: a submission came after its asker gave up; dropped", id);
      return state.job() == null ? Effect().stop() : Effect().none();
    }
    JobRecord existing = state.job();
    if (existing != null) {
      if (existing.inputHash().equals(submit.inputHash()) && existing.kind().equals(submit.kind())) {
        submit.replyTo().tell(new Accepted(live(existing), true));
      } else {
        submit.replyTo().tell(new KeyReused("the Idempotency-Key was used for job " + existing.id()
            + " with another kind or body"));
      }
      return Effect().none();
    }
    return Effect().persist(new JobEvent.Accepted(id, submit.kind(), submit.input(), submit.timeoutMs(),
            submit.idempotencyKey(), submit.inputHash(), submit.submitter(), System.currentTimeMillis()))
        .thenRun(accepted -> {
          submit.replyTo().tell(new Accepted(accepted.job().withoutInput(), false));
          dispatch(accepted.job());
        });
  }

  private Effect<JobEvent, State> onCancel(State state, Cancel cancel) {
    JobRecord job = state.job();
    if (late(cancel.deadlineMs())) {
      context.getLog().info("Job {}: a cancel came after its asker gave up; dropped", id);
      return job == null ? Effect().stop() : Effect().none();
    }
    if (job == null) {
      cancel.replyTo().tell(new Found(null));
      return Effect().stop();
    }
    if (cancel.tenant() != null && !cancel.tenant().equals(job.tenant())) {
      cancel.replyTo().tell(new Found(null)); // another tenant's: as if there were none
      return Effect().none();
    }
    if (job.isFinal()) { // deleted: watchers have had its end already, and there is nothing to run
      return Effect().persist(new JobEvent.Deleted(System.currentTimeMillis()))
          .thenRun(deleted -> cancel.replyTo().tell(new Found(live(job))))
          .thenStop();
    }
    unstoredStart = null;
    return Effect().persist(new JobEvent.Cancelled(System.currentTimeMillis()))
        .thenRun(cancelled -> {
          runner.tell(new JobRunner.Abort(id));
          cancel.replyTo().tell(new Found(live(job)));
          ended(cancelled.job());
        });
  }

  private Effect<JobEvent, State> onWatch(State state, Watch watch) {
    JobRecord job = state.job();
    if (job == null) {
      return Effect().stop();
    }
    watch.subscriber().tell(live(job));
    if (!job.isFinal() && watchers.add(watch.subscriber())) {
      context.watchWith(watch.subscriber(), new WatcherGone(watch.subscriber()));
    }
    return Effect().none();
  }

  /**
   * A run began. The journal gets it with the run's end, in the same write, or after
   * {@code record-started-after} for a run that lasts: a near-empty job then costs two writes
   * instead of three. Readers and watchers see the job running once its start is stored, so a
   * run they saw is always counted in {@code attempts} when a lost node makes the job run again.
   */
  private Effect<JobEvent, State> onStarted(State state, RunStarted started) {
    JobRecord job = state.job();
    if (job == null || job.isFinal() || (job.status() == Status.RUNNING && job.attempts() >= started.attempt())
        || (unstoredStart != null && unstoredStart.attempt() >= started.attempt())) {
      return Effect().none(); // told again by the runner, or a late word from an earlier run
    }
    unstoredStart = new JobEvent.Started(started.node(), started.attempt(), System.currentTimeMillis());
    progress = 0;
    context.scheduleOnce(recordStartedAfter, context.getSelf(), new StoreStarted(started.attempt()));
    return Effect().none();
  }

  private Effect<JobEvent, State> storeStarted(State state, StoreStarted store) {
    JobRecord job = state.job();
    if (job == null || job.isFinal() || unstoredStart == null || unstoredStart.attempt() != store.attempt()) {
      return Effect().none(); // stored with its end already, or a later run began
    }
    JobEvent.Started start = unstoredStart;
    return Effect().persist(start).thenRun(now -> {
      if (unstoredStart == start) {
        unstoredStart = null;
      }
      JobRecord running = live(now.job());
      watchers.forEach(w -> w.tell(running));
    });
  }

  private Effect<JobEvent, State> onEnded(State state, RunEnded ended) {
    JobRecord job = state.job();
    if (job == null || job.isFinal()) {
      ended.runner().tell(new JobRunner.Recorded(id)); // the first run to end decides; tasks are pure
      return job == null ? Effect().stop() : Effect().none();
    }
    List<JobEvent> events = unstoredStart == null ? List.of(ended.finished()) : List.of(unstoredStart, ended.finished());
    unstoredStart = null;
    return Effect().persist(events)
        .thenRun(now -> {
          ended.runner().tell(new JobRunner.Recorded(id));
          ended(now.job());
        });
  }

  /** Tells who waits for the end, then passivates unless someone still watches. */
  private void ended(JobRecord ended) {
    JobRecord job = ended.withoutInput();
    watchers.forEach(w -> w.tell(job));
    watchers.forEach(context::unwatch);
    watchers.clear();
    waiting.forEach(w -> w.tell(job));
    waiting.clear();
    entity.getShard().tell(new ClusterSharding.Passivate<>(context.getSelf()));
  }

  private Effect<JobEvent, State> passivateIfDone(State state) {
    if (state.job() != null && state.job().isFinal() && watchers.isEmpty()) {
      entity.getShard().tell(new ClusterSharding.Passivate<>(context.getSelf()));
    }
    return Effect().none();
  }

  private void dispatch(JobRecord job) {
    dispatched = true;
    // a run had begun in an earlier life of this entity (a restart, a lost node): this is the next attempt
    int attempt = job.status() == Status.RUNNING ? job.attempts() + 1 : job.attempts();
    runner.tell(new JobRunner.Run(id, job.kind(), job.input(), job.inputHash(), job.timeoutMs(), attempt,
        job.tenant()));
  }

  /** The record with the progress that watchers see (progress is not stored). */
  private JobRecord live(JobRecord job) {
    return (job.isFinal() || progress <= job.progress() ? job : job.withProgress(progress)).withoutInput();
  }

  @Override
  public EventHandler<State, JobEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(JobEvent.Accepted.class, (state, e) -> new State(new JobRecord(e.id(), e.kind(), e.input(),
            e.timeoutMs(), e.idempotencyKey(), e.inputHash(), Status.QUEUED, 0, 1, null, e.submittedAt(), 0, 0, 0, 0,
            null, null, e.submitter())))
        .onEvent(JobEvent.Started.class, (state, e) -> new State(state.job().started(e.node(), e.attempt(), e.at())))
        .onEvent(JobEvent.Finished.class, (state, e) -> new State(state.job().finished(e.status(), e.node(), e.at(),
            e.queueMs(), e.computeMs(), e.result(), e.error())))
        .onEvent(JobEvent.Cancelled.class, (state, e) -> new State(state.job().finished(Status.CANCELLED, null,
            e.at(), 0, 0, null, null)))
        .onEvent(JobEvent.Deleted.class, (state, e) -> emptyState())
        .build();
  }
}
