package dev.anvil.jobs;

import dev.anvil.compute.TaskRun;
import dev.anvil.compute.TaskStats;
import dev.anvil.metrics.AnvilMetrics;

import dev.anvil.compute.LocalScheduler;
import dev.anvil.compute.TaskCatalog;
import dev.anvil.compute.TaskOutcome;
import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.jobs.JobProtocol.CancelRequested;
import dev.anvil.jobs.JobProtocol.Replicate;
import dev.anvil.jobs.JobProtocol.Replicated;
import dev.anvil.jobs.JobProtocol.SyncChunk;
import dev.anvil.jobs.JobProtocol.SyncRequest;
import dev.anvil.jobs.JobProtocol.Updated;
import dev.anvil.jobs.JobRecord.Problem;
import dev.anvil.jobs.JobRecord.Status;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
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
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * This node's copy of every job of the cluster, and the runner of the jobs it owns. One per
 * node, spawned by the node guardian.
 *
 * <p>A job is accepted (202) only once a majority of the nodes keep its record (all of them
 * when there are fewer than three): the node that took the request replicates the record,
 * input included, to every other node's store and waits for enough acknowledgements. The
 * record's owner runs it through this node's {@link LocalScheduler} (so on the same dispatch
 * path as a task, spilling to other nodes' free workers) and tells every store each change:
 * running, progress, and the outcome with the result. Every node thus answers for every job,
 * also after the node that computed it is gone. When an owner leaves the cluster (dies, or is
 * downed), the job is adopted by one surviving node, chosen alike on every node from the job's
 * id, and runs again from its replicated input ({@code attempts} grows); tasks are pure, so a
 * second run gives the same result. Finished jobs are forgotten after the result TTL.
 *
 * <p>The records live in memory: a job survives the loss of any minority of the nodes, not a
 * restart of the whole cluster.
 */
public final class JobStore extends AbstractBehavior<JobStore.Command> {

  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "anvil-job-store");
  private static final Duration TICK = Duration.ofMillis(250);
  private static final Duration REPLICATION_TIMEOUT = Duration.ofSeconds(5);
  private static final long SYNC_CHUNK_BYTES = 192 * 1024;

  public interface Command {}

  /**
   * @param concurrency jobs this node hands its scheduler at once; the rest wait here, so jobs never
   *     take the room that synchronous tasks need, nor get 429 from a full task queue
   */
  public record Settings(Duration resultTtl, int maxJobs, long maxResultBytes, long maxBytes, int concurrency) {}

  // --- from this node's HTTP layer

  public record Submit(ComputeTask<?, ?> task, byte[] input, long timeoutMs, String idempotencyKey, String inputHash,
      ActorRef<SubmitResult> replyTo) implements Command, NoSerializationVerificationNeeded {}

  public sealed interface SubmitResult extends NoSerializationVerificationNeeded {}

  /** @param existing the idempotency key named a job submitted before */
  public record Accepted(JobRecord record, boolean existing) implements SubmitResult {}

  /** The idempotency key was used with another kind or body (422). */
  public record KeyReused(String detail) implements SubmitResult {}

  /** {@code max-jobs} reached (429). */
  public record Full(String detail) implements SubmitResult {}

  /** Not recorded on a majority in time (503). */
  public record NotRecorded(String detail) implements SubmitResult {}

  public record Get(String id, ActorRef<Optional<JobRecord>> replyTo) implements Command,
      NoSerializationVerificationNeeded {}

  public record ListJobs(Status status, String kind, int limit, ActorRef<List<JobRecord>> replyTo) implements Command,
      NoSerializationVerificationNeeded {}

  public record Cancel(String id, ActorRef<Optional<JobRecord>> replyTo) implements Command,
      NoSerializationVerificationNeeded {}

  /** Sends the job's record now and at every change, until it is final. */
  public record Watch(String id, ActorRef<JobRecord> subscriber) implements Command,
      NoSerializationVerificationNeeded {}

  /** Answers once the job is final (and at once if it is); nothing for an unknown job. */
  public record AwaitFinal(String id, ActorRef<JobRecord> replyTo) implements Command,
      NoSerializationVerificationNeeded {}

  // --- internal

  private record Finished(String id, String owner, int attempt, TaskOutcome outcome) implements Command,
      NoSerializationVerificationNeeded {}

  private record Peers(Receptionist.Listing listing) implements Command, NoSerializationVerificationNeeded {}

  private enum Tick implements Command, NoSerializationVerificationNeeded { INSTANCE }

  private enum Flush implements Command, NoSerializationVerificationNeeded { INSTANCE }

  private static final class Pending {
    final JobRecord record;
    final int needed;
    final Set<String> acks = new HashSet<>();
    final ActorRef<SubmitResult> replyTo;
    final long deadlineNanos = System.nanoTime() + REPLICATION_TIMEOUT.toNanos();

    Pending(JobRecord record, int needed, ActorRef<SubmitResult> replyTo) {
      this.record = record;
      this.needed = needed;
      this.replyTo = replyTo;
    }
  }

  private final String node;
  private final String self; // owner id: node and incarnation
  private final LocalScheduler scheduler;
  private final TaskCatalog catalog;
  private final Settings settings;
  private final Cluster cluster;
  private final Map<String, JobRecord> records = new HashMap<>();
  /** How many of {@code records} have each status, by ordinal: read by the metrics' gauges. */
  private final java.util.concurrent.atomic.AtomicIntegerArray byStatus =
      new java.util.concurrent.atomic.AtomicIntegerArray(Status.values().length);
  private final AnvilMetrics metrics;
  private final Map<String, String> byKey = new HashMap<>();
  private final Map<String, Pending> pending = new HashMap<>();
  private final Set<ActorRef<Command>> peers = new HashSet<>();
  private final ArrayDeque<String> queue = new ArrayDeque<>();
  private final Map<String, TaskRun> running = new HashMap<>();
  private final Map<String, Set<ActorRef<JobRecord>>> watchers = new HashMap<>();
  private final Map<String, List<ActorRef<JobRecord>>> finalWaiters = new HashMap<>();
  private final Map<ActorRef<Command>, Outbox> outboxes = new HashMap<>();
  /** Jobs running here whose peers have not heard that they run (short jobs never need telling). */
  private final Set<String> runningUntold = new HashSet<>();
  private boolean synced;
  /** Bytes of inputs and results kept: bounded by {@code maxBytes}. */
  private long keptBytes;

  public static Behavior<Command> create(String node, LocalScheduler scheduler, TaskCatalog catalog,
      Settings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new JobStore(ctx, timers, node, scheduler, catalog,
        settings)));
  }

  private JobStore(ActorContext<Command> context, TimerScheduler<Command> timers, String node,
      LocalScheduler scheduler, TaskCatalog catalog, Settings settings) {
    super(context);
    this.node = node;
    this.scheduler = scheduler;
    this.catalog = catalog;
    this.settings = settings;
    this.metrics = AnvilMetrics.get(context.getSystem());
    metrics.bindJobs(Status.class, status -> byStatus.get(status.ordinal()));
    this.cluster = Cluster.get(context.getSystem());
    this.self = ownerId(cluster.selfMember());
    context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
    context.getSystem().receptionist().tell(Receptionist.subscribe(KEY,
        context.messageAdapter(Receptionist.Listing.class, Peers::new)));
    timers.startTimerWithFixedDelay(Tick.INSTANCE, TICK);
  }

  private static String ownerId(Member member) {
    return member.address().host().get() + ":" + member.address().port().get() + "#" + member.uniqueAddress().longUid();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(Get.class, this::onGet)
        .onMessage(ListJobs.class, this::onList)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(Watch.class, this::onWatch)
        .onMessage(AwaitFinal.class, this::onAwaitFinal)
        .onMessage(Replicate.class, this::onReplicate)
        .onMessage(Replicated.class, this::onReplicated)
        .onMessage(Updated.class, u -> {
          merge(u.record());
          return this;
        })
        .onMessage(CancelRequested.class, c -> {
          cancelOwned(c.id());
          return this;
        })
        .onMessage(SyncRequest.class, this::onSyncRequest)
        .onMessage(SyncChunk.class, this::onSyncChunk)
        .onMessage(Finished.class, this::onFinished)
        .onMessage(Peers.class, this::onPeers)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessageEquals(Flush.INSTANCE, this::onFlush)
        .onMessage(JobProtocol.Batch.class, this::onBatch)
        .onSignal(Terminated.class, this::onTerminated)
        .build();
  }

  // --- submission and replication

  private Behavior<Command> onSubmit(Submit submit) {
    if (submit.idempotencyKey() != null) {
      String known = byKey.get(submit.idempotencyKey());
      JobRecord existing = known == null ? null : records.get(known);
      if (existing != null) {
        if (existing.inputHash().equals(submit.inputHash())) {
          submit.replyTo().tell(new Accepted(existing, true));
        } else {
          submit.replyTo().tell(new KeyReused("the Idempotency-Key was used for job " + existing.id()
              + " with another kind or body"));
        }
        return this;
      }
    }
    if (records.size() >= settings.maxJobs()) {
      submit.replyTo().tell(new Full("the cluster keeps " + settings.maxJobs() + " jobs (anvil.jobs.max-jobs);"
          + " finished ones are forgotten after " + settings.resultTtl().toSeconds() + " s"));
      return this;
    }
    if (keptBytes + submit.input().length + settings.maxResultBytes() > settings.maxBytes()) {
      submit.replyTo().tell(new Full("the jobs kept hold " + keptBytes + " bytes of inputs and results, near the"
          + " limit of " + settings.maxBytes() + " (anvil.jobs.max-bytes); finished ones are forgotten after "
          + settings.resultTtl().toSeconds() + " s"));
      return this;
    }
    JobRecord record = new JobRecord(newId(), submit.task().kind(), submit.input(), submit.timeoutMs(),
        submit.idempotencyKey(), submit.inputHash(), Status.QUEUED, 0, 1, null, self, System.currentTimeMillis(),
        0, 0, 0, 0, null, null, 1);
    put(record);
    int needed = acksNeeded();
    if (needed == 0) {
      accept(record, submit.replyTo());
      return this;
    }
    pending.put(record.id(), new Pending(record, needed, submit.replyTo()));
    for (ActorRef<Command> peer : peers) {
      outbox(peer).replicate.add(record);
    }
    return this;
  }

  /** Copies beyond this node's that make a majority of the Up members (all of them below three). */
  private int acksNeeded() {
    int up = 0;
    for (Member m : cluster.state().getMembers()) {
      if (m.status() == MemberStatus.up() || m.status() == MemberStatus.leaving()) {
        up++;
      }
    }
    up = Math.max(up, 1);
    int copies = up < 3 ? up : up / 2 + 1;
    return copies - 1;
  }

  private void accept(JobRecord record, ActorRef<SubmitResult> replyTo) {
    replyTo.tell(new Accepted(record, false));
    queue.add(record.id());
    startNext();
  }

  private Behavior<Command> onReplicate(Replicate replicate) {
    merge(replicate.record());
    replicate.replyTo().tell(new Replicated(replicate.record().id(), self));
    return this;
  }

  private Behavior<Command> onReplicated(Replicated ack) {
    Pending p = pending.get(ack.id());
    if (p != null) {
      p.acks.add(ack.by());
      if (p.acks.size() >= p.needed) {
        pending.remove(ack.id());
        accept(p.record, p.replyTo);
      }
    }
    return this;
  }

  // --- reading

  private Behavior<Command> onGet(Get get) {
    get.replyTo().tell(Optional.ofNullable(visible(records.get(get.id()))));
    return this;
  }

  /** A job still waiting for its majority is not there yet for readers. */
  private JobRecord visible(JobRecord record) {
    return record == null || pending.containsKey(record.id()) ? null : record;
  }

  private Behavior<Command> onList(ListJobs list) {
    List<JobRecord> found = new ArrayList<>();
    records.values().stream()
        .filter(r -> visible(r) != null)
        .filter(r -> list.status() == null || r.status() == list.status())
        .filter(r -> list.kind() == null || r.kind().equals(list.kind()))
        .sorted(Comparator.comparingLong(JobRecord::submittedAt).thenComparing(JobRecord::id).reversed())
        .limit(list.limit())
        .forEach(found::add);
    list.replyTo().tell(found);
    return this;
  }

  private Behavior<Command> onWatch(Watch watch) {
    JobRecord record = visible(records.get(watch.id()));
    if (record != null) {
      watch.subscriber().tell(record);
      if (!record.isFinal()) {
        watchers.computeIfAbsent(watch.id(), id -> new HashSet<>()).add(watch.subscriber());
        getContext().watch(watch.subscriber());
      }
    }
    return this;
  }

  private Behavior<Command> onAwaitFinal(AwaitFinal await) {
    JobRecord record = visible(records.get(await.id()));
    if (record != null && record.isFinal()) {
      await.replyTo().tell(record);
    } else if (record != null || pending.containsKey(await.id())) {
      finalWaiters.computeIfAbsent(await.id(), id -> new ArrayList<>()).add(await.replyTo());
    }
    return this;
  }

  private Behavior<Command> onTerminated(Terminated terminated) {
    watchers.values().forEach(set -> set.remove(terminated.getRef()));
    return this;
  }

  // --- cancelling

  private Behavior<Command> onCancel(Cancel cancel) {
    JobRecord record = visible(records.get(cancel.id()));
    if (record == null || record.isFinal()) {
      cancel.replyTo().tell(Optional.ofNullable(record));
      return this;
    }
    if (record.owner().equals(self)) {
      cancelOwned(record.id());
    } else {
      for (ActorRef<Command> peer : peers) {
        peer.tell(new CancelRequested(record.id())); // only its owner acts on it
      }
    }
    cancel.replyTo().tell(Optional.of(record));
    return this;
  }

  private void cancelOwned(String id) {
    JobRecord record = records.get(id);
    if (record == null || record.isFinal() || !record.owner().equals(self)) {
      return;
    }
    TaskRun job = running.get(id);
    if (job != null) {
      TaskOutcome.Failed cancelled = new TaskOutcome.Failed(job.id(), TaskOutcome.Failure.CANCELLED,
          "the job was cancelled", node);
      scheduler.abort(job, cancelled); // stopped where it runs, here or on another node
    } else {
      queue.remove(id);
      update(record.finished(Status.CANCELLED, node, System.currentTimeMillis(), 0, 0, null, null));
    }
  }

  // --- running

  private void startNext() {
    while (running.size() < settings.concurrency() && !queue.isEmpty()) {
      String id = queue.poll();
      JobRecord record = records.get(id);
      if (record == null || record.isFinal() || !record.owner().equals(self)) {
        continue;
      }
      Optional<ComputeTask<?, ?>> task = catalog.find(record.kind());
      if (task.isEmpty()) {
        update(record.finished(Status.FAILED, node, System.currentTimeMillis(), 0, 0, null, new Problem(
            "urn:anvil:problem:unknown-kind", "Not Found", 404, "node " + node + " has no kind '" + record.kind() + "'")));
        continue;
      }
      ActorRef<Command> me = getContext().getSelf();
      int attempt = record.attempts();
      TaskRun job = new TaskRun(scheduler.nextId(), task.get(), record.input(), null, record.timeoutMs(), System.nanoTime(),
          outcome -> me.tell(new Finished(id, self, attempt, outcome)));
      switch (scheduler.submit(job)) {
        case STARTED, QUEUED -> {
          running.put(id, job);
          put(record.running(node, System.currentTimeMillis())); // others hear it at the next tick, if it still runs
          runningUntold.add(id);
        }
        case REJECTED, UNAVAILABLE -> {
          queue.addFirst(id); // no room now: the tick tries again
          return;
        }
      }
    }
  }

  private Behavior<Command> onFinished(Finished finished) {
    running.remove(finished.id());
    runningUntold.remove(finished.id());
    JobRecord record = records.get(finished.id());
    if (record == null || record.isFinal() || !record.owner().equals(self) || record.attempts() != finished.attempt()) {
      startNext();
      return this;
    }
    long now = System.currentTimeMillis();
    if (!(finished.outcome() instanceof TaskOutcome.Failed f && f.failure() != TaskOutcome.Failure.CRASHED
        && f.failure() != TaskOutcome.Failure.TIMED_OUT && f.failure() != TaskOutcome.Failure.CANCELLED)) {
      TaskStats.get(getContext().getSystem()).answered(record.kind(), finished.outcome()); // the others are tried again
    }
    if (finished.outcome() instanceof TaskOutcome.Completed c) {
      if (c.result().length > settings.maxResultBytes()) {
        update(record.finished(Status.FAILED, c.node(), now, c.queueMs(), c.computeMs(), null, new Problem(
            "urn:anvil:problem:result-too-large", "Internal Server Error", 500, "the result of " + c.result().length
                + " bytes is larger than a job may keep (anvil.jobs.max-result-bytes = " + settings.maxResultBytes()
                + "); run it as a task (POST /v1/tasks/" + record.kind() + ")")));
      } else {
        update(record.finished(Status.SUCCEEDED, c.node(), now, c.queueMs(), c.computeMs(), c.result(), null));
      }
    } else {
      TaskOutcome.Failed f = (TaskOutcome.Failed) finished.outcome();
      switch (f.failure()) {
        case CANCELLED -> update(record.finished(Status.CANCELLED, f.node(), now, 0, 0, null, null));
        case TIMED_OUT -> update(record.finished(Status.FAILED, f.node(), now, 0, 0, null, new Problem(
            "urn:anvil:problem:deadline", "Gateway Timeout", 504, f.detail())));
        case CRASHED -> update(record.finished(Status.FAILED, f.node(), now, 0, 0, null, new Problem(
            "urn:anvil:problem:task-failed", "Internal Server Error", 500, "the task failed on node " + f.node() + ": "
                + f.detail())));
        case REJECTED, UNAVAILABLE, ABANDONED -> queue.addFirst(record.id()); // no room, or its node stopped: again
      }
    }
    startNext();
    return this;
  }

  // --- keeping every node's copy the same

  private void update(JobRecord record) {
    put(record);
    for (ActorRef<Command> peer : peers) {
      outbox(peer).updated.add(record);
    }
  }

  /** Messages for one peer, sent together when this burst of the mailbox is done. */
  private static final class Outbox {
    final List<JobRecord> replicate = new ArrayList<>();
    final List<JobRecord> updated = new ArrayList<>();
    final List<String> acks = new ArrayList<>();
  }

  private Outbox outbox(ActorRef<Command> peer) {
    if (outboxes.isEmpty()) {
      getContext().getSelf().tell(Flush.INSTANCE); // processed after what is in the mailbox now
    }
    return outboxes.computeIfAbsent(peer, p -> new Outbox());
  }

  private Behavior<Command> onFlush() {
    ActorRef<Command> me = getContext().getSelf();
    outboxes.forEach((peer, box) -> peer.tell(new JobProtocol.Batch(box.replicate, box.updated, box.acks, self, me)));
    outboxes.clear();
    return this;
  }

  private Behavior<Command> onBatch(JobProtocol.Batch batch) {
    for (JobRecord record : batch.replicate()) {
      merge(record);
    }
    if (!batch.replicate().isEmpty()) {
      Outbox box = outbox(batch.replyTo());
      batch.replicate().forEach(r -> box.acks.add(r.id()));
    }
    batch.updated().forEach(this::merge);
    for (String id : batch.acks()) {
      onReplicated(new Replicated(id, batch.from()));
    }
    return this;
  }

  /** Keeps the newer of two versions of a job; tells local watchers. */
  private void merge(JobRecord record) {
    JobRecord existing = records.get(record.id());
    if (existing == null || record.newerThan(existing)) {
      put(record);
    }
  }

  private void put(JobRecord record) {
    JobRecord previous = records.put(record.id(), record);
    if (previous != null) {
      byStatus.decrementAndGet(previous.status().ordinal());
    }
    byStatus.incrementAndGet(record.status().ordinal());
    keptBytes += bytes(record) - (previous == null ? 0 : bytes(previous));
    if (record.idempotencyKey() != null) {
      byKey.put(record.idempotencyKey(), record.id());
    }
    if (record.isFinal()) {
      List<ActorRef<JobRecord>> waiting = finalWaiters.remove(record.id());
      if (waiting != null) {
        waiting.forEach(w -> w.tell(record));
      }
    }
    Set<ActorRef<JobRecord>> subscribers = pending.containsKey(record.id()) ? null : watchers.get(record.id());
    if (subscribers != null) {
      subscribers.forEach(s -> s.tell(record));
      if (record.isFinal()) {
        watchers.remove(record.id());
      }
    }
  }

  private Behavior<Command> onPeers(Peers message) {
    Set<ActorRef<Command>> listed = new HashSet<>(message.listing().getServiceInstances(KEY));
    listed.remove(getContext().getSelf());
    if (!synced && !listed.isEmpty()) {
      synced = true;
      listed.iterator().next().tell(new SyncRequest(getContext().getSelf())); // a node that starts learns the jobs
    }
    for (ActorRef<Command> peer : listed) {
      if (!peers.contains(peer)) {
        // jobs this node owns were replicated only to the peers it knew then: a peer it learns of
        // now gets them here (the others' jobs it gets from its own sync request); those still
        // waiting for their majority go as new jobs, so its acknowledgement counts (the listing of
        // the job stores can lag behind membership: a job submitted just after nodes joined)
        send(peer, record -> record.owner().equals(self) && !pending.containsKey(record.id()));
        for (Pending p : pending.values()) {
          outbox(peer).replicate.add(p.record);
        }
      }
    }
    peers.clear();
    peers.addAll(listed);
    return this;
  }

  private Behavior<Command> onSyncRequest(SyncRequest request) {
    send(request.replyTo(), record -> true);
    return this;
  }

  /** The records that match, to {@code to}, in chunks that each fit an ordinary cluster message. */
  private void send(ActorRef<Command> to, java.util.function.Predicate<JobRecord> which) {
    List<JobRecord> chunk = new ArrayList<>();
    long bytes = 0;
    for (JobRecord record : records.values()) {
      if (!which.test(record)) {
        continue;
      }
      long size = 512 + (record.input() == null ? 0 : record.input().length)
          + (record.result() == null ? 0 : record.result().length);
      if (!chunk.isEmpty() && bytes + size > SYNC_CHUNK_BYTES) {
        to.tell(new SyncChunk(chunk));
        chunk = new ArrayList<>();
        bytes = 0;
      }
      chunk.add(record);
      bytes += size;
    }
    if (!chunk.isEmpty()) {
      to.tell(new SyncChunk(chunk));
    }
  }

  private Behavior<Command> onSyncChunk(SyncChunk chunk) {
    chunk.records().forEach(this::merge);
    return this;
  }

  /**
   * Replication that ran out of time; progress of running jobs; jobs of owners that left the
   * cluster, adopted; finished jobs past their TTL, forgotten; and another try for jobs that
   * found no room.
   */
  private Behavior<Command> onTick() {
    long nowNanos = System.nanoTime();
    for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (nowNanos - p.deadlineNanos >= 0) {
        it.remove();
        p.replyTo.tell(new NotRecorded("the job could not be recorded on a majority of the nodes within "
            + REPLICATION_TIMEOUT.toSeconds() + " s; submit it again (with the same Idempotency-Key)"));
        update(p.record.finished(Status.FAILED, node, System.currentTimeMillis(), 0, 0, null, new Problem(
            "urn:anvil:problem:not-recorded", "Service Unavailable", 503, "not recorded on a majority in time")));
      }
    }
    for (Map.Entry<String, TaskRun> e : running.entrySet()) {
      JobRecord record = records.get(e.getKey());
      double progress = e.getValue().progress();
      if (record != null && !record.isFinal() && progress - record.progress() >= 0.01) {
        update(record.progress(progress));
        runningUntold.remove(e.getKey());
      }
    }
    for (String id : runningUntold) {
      JobRecord record = records.get(id);
      if (record != null && !record.isFinal()) {
        update(record);
      }
    }
    runningUntold.clear();
    adoptOrphans();
    expire();
    startNext();
    return this;
  }

  private void adoptOrphans() {
    TreeMap<String, Member> live = new TreeMap<>();
    Set<String> members = new HashSet<>();
    for (Member m : cluster.state().getMembers()) {
      members.add(ownerId(m));
      if (m.status() == MemberStatus.up()) {
        live.put(ownerId(m), m);
      }
    }
    if (live.isEmpty() || !cluster.selfMember().status().equals(MemberStatus.up())) {
      return;
    }
    List<String> candidates = new ArrayList<>(live.keySet());
    for (JobRecord record : new ArrayList<>(records.values())) {
      if (record.isFinal() || members.contains(record.owner()) || pending.containsKey(record.id())) {
        continue;
      }
      String adopter = candidates.get(Math.floorMod(record.id().hashCode(), candidates.size()));
      if (adopter.equals(self)) {
        getContext().getLog().info("Job {} of kind {} lost its node ({}); running it again here (attempt {})",
            record.id(), record.kind(), record.owner(), record.attempts() + 1);
        update(record.adoptedBy(self));
        queue.add(record.id());
      }
    }
  }

  private void expire() {
    long cutoff = System.currentTimeMillis() - settings.resultTtl().toMillis();
    for (Iterator<JobRecord> it = records.values().iterator(); it.hasNext(); ) {
      JobRecord record = it.next();
      if (record.isFinal() && record.finishedAt() < cutoff) {
        it.remove();
        byStatus.decrementAndGet(record.status().ordinal());
        keptBytes -= bytes(record);
        if (record.idempotencyKey() != null) {
          byKey.remove(record.idempotencyKey(), record.id());
        }
      }
    }
  }

  private static long bytes(JobRecord record) {
    return (record.input() == null ? 0 : record.input().length) + (record.result() == null ? 0 : record.result().length);
  }

  private static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return String.format("%016x%08x", random.nextLong(), random.nextInt());
  }
}
