package dev.anvil.compute.local;

import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskOutcome.Failure;
import dev.anvil.compute.task.TaskRun;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's side of the work: its workers, which of them are idle and what the others run,
 * the tasks this node received that wait for a worker ({@code waiting}), and those other
 * nodes' routers sent here ({@code intake}).
 *
 * <p>It is what makes a task cheap. The HTTP layer hands a task straight to an idle worker
 * here, and a worker that finishes takes the next task itself, so a task that runs on the node
 * that received it costs two thread hand-offs (to its worker and back) and no actor round
 * trip. The actors work around it, off that path: the router moves waiting tasks to other
 * nodes' pools when they have room, the pool takes tasks from other nodes, publishes the load,
 * sweeps deadlines and drains. One per node, made by the node guardian.
 *
 * <p>Thread-safe: each method holds the lock for a few field updates; workers are told of a
 * new task after it is released.
 *
 * <p>Longer than most classes on purpose: the queue, the idle workers, the admission waiters and
 * the spill state are guarded by this one lock, and each decision reads several of them at once;
 * split over classes, the lock would be too. Its faces are narrow: {@link TaskIntake} for HTTP and
 * the jobs, {@link SpillQueue} for the router; the pool and the workers use package methods.
 */
public final class LocalScheduler implements TaskIntake, SpillQueue {

  public enum Admission {
    /** An idle worker of this node runs it now. */
    STARTED,
    /** It waits for a worker here or on another node. */
    QUEUED,
    /** Every worker is busy and the queue is full: 429. */
    REJECTED,
    /** No node can take tasks (this one is leaving and no other has a worker): 503. */
    UNAVAILABLE
  }

  /**
   * How much a node holds.
   *
   * @param waitCapacity tasks received here that may wait for a worker
   * @param perWorker tasks other nodes may give each worker: the one it runs and those it holds next
   * @param spillAfter a waiting task goes to another node only once it has waited here this long:
   *     a task that starts here within microseconds is not worth a network round trip, and when
   *     every node is as busy as this one, moving tasks between them only adds that cost
   * @param admissionWait how long a task that finds the queue full waits for room before its 429
   * @param maxAdmitting how many may wait so at once (each holds a connection; above that, 429 at once)
   */
  public record Limits(int waitCapacity, int perWorker, Duration spillAfter, Duration admissionWait,
      int maxAdmitting) {}

  /** What the pool publishes: see {@link PoolProtocol.PoolLoad}. */
  public record Load(int workers, int running, int queued, long completed, boolean accepting, int room, int stuck) {}

  private final int waitCapacity;
  private final int perWorker;
  private final long spillNanos;
  private final long admissionWaitNanos;
  private final int maxAdmitting;
  private final AtomicLong ids = new AtomicLong();

  private final List<WorkerSlot> slots = new ArrayList<>();
  private final ArrayDeque<WorkerSlot> idle = new ArrayDeque<>();
  private final ArrayDeque<TaskRun> intake = new ArrayDeque<>();
  /** Tasks this node received that wait for a worker: in fair turns across tenants (see FairQueue). */
  private final FairQueue waiting;
  /**
   * Items of batches sent here (from any node) by the batch dispatcher, which chose this node and
   * bounds how many it sends: never spilled, and taken in turn with the tasks above (see nextRun).
   */
  private final ArrayDeque<TaskRun> batch = new ArrayDeque<>();
  /** Whether the last worker that had both kinds of work to choose from took a batch item. */
  private boolean batchTookLast;
  /** Tasks that found {@code waiting} full: they enter it as it makes room, or get 429 at their admission deadline. */
  private final ArrayDeque<Admitting> admitting = new ArrayDeque<>();

  /** A task waiting for room in {@code waiting}, and when it gives up (its 429). */
  private record Admitting(TaskRun run, long byNanos) {}
  private int running;
  private long completed;
  /** Worker threads replaced because their task ignored its deadline, and still running it. */
  private int stuck;
  private volatile boolean accepting = true;
  private int advertised = -1;

  private volatile int remoteRoom;
  private volatile boolean remoteCanWork;
  private volatile boolean roomWatched;
  private volatile boolean routerInterested;
  private volatile Runnable routerNudge = () -> {};
  private volatile Runnable poolNudge = () -> {};
  private final AtomicBoolean routerNudged = new AtomicBoolean();
  private final AtomicBoolean poolNudged = new AtomicBoolean();

  public LocalScheduler(Limits limits) {
    this(limits, tenant -> 1.0);
  }

  /**
   * @param weights each tenant's weight in the fair share of this node's workers while tasks
   *     wait; {@code waitCapacity} then holds for each tenant's tasks on its own, so one tenant's
   *     full queue never makes another's task wait for room
   */
  public LocalScheduler(Limits limits, java.util.function.ToDoubleFunction<String> weights) {
    this.waiting = new FairQueue(weights);
    this.waitCapacity = limits.waitCapacity();
    this.perWorker = limits.perWorker();
    this.spillNanos = limits.spillAfter().toNanos();
    this.admissionWaitNanos = limits.admissionWait().toNanos();
    this.maxAdmitting = limits.maxAdmitting();
  }

  /** A new task id, unique on this node while it runs. */
  @Override
  public long nextId() {
    return ids.incrementAndGet();
  }

  /** The router hears when tasks wait that it may send to other nodes. */
  @Override
  public void connectRouter(Runnable nudge) {
    this.routerNudge = nudge;
  }

  /** The pool hears when its load changed in a way it must tell other nodes, and while it drains. */
  void connectPool(Runnable nudge) {
    this.poolNudge = nudge;
  }

  /** Whether any other node's router listens to this pool's room; if none, changes need no publishing. */
  void roomWatched(boolean watched) {
    this.roomWatched = watched;
  }

  /** Whether the router listens to other nodes' room (it asked them); if not, it must be told of a backlog. */
  @Override
  public void routerInterested(boolean interested) {
    this.routerInterested = interested;
  }

  /**
   * What the router knows of the other nodes: how many tasks their pools have room for now,
   * and whether any of them can work at all.
   */
  @Override
  public void remoteCapacity(int room, boolean canWork) {
    this.remoteRoom = room;
    this.remoteCanWork = canWork;
    if (!accepting) {
      synchronized (this) {
        startIdle(); // a leaving node's workers take waiting tasks again once no other node can
      }
    }
  }

  /** The router calls this before it looks for waiting tasks, so later arrivals nudge it again. */
  @Override
  public void routerNudgeTaken() {
    routerNudged.set(false);
  }

  void poolNudgeTaken() {
    poolNudged.set(false);
  }

  /** A task received by this node's HTTP layer: started on an idle worker, queued, or refused. */
  @Override
  public Admission submit(TaskRun run) {
    WorkerSlot slot = null;
    Admission admission;
    boolean nudge = false;
    synchronized (this) {
      if (!accepting && !remoteCanWork) {
        return Admission.UNAVAILABLE;
      }
      if (accepting && !idle.isEmpty()) {
        slot = idle.poll();
        assign(slot, run);
        admission = Admission.STARTED;
      } else if (waiting.size(run.tenant()) < waitCapacity || remoteRoom > 0) {
        waiting.add(run);
        admission = Admission.QUEUED;
        nudge = routerShouldLook();
      } else if (admitting.size() < maxAdmitting && admissionWaitNanos > 0) {
        admitting.add(new Admitting(run, Math.min(System.nanoTime() + admissionWaitNanos, run.deadlineNanos())));
        admission = Admission.QUEUED;
        nudge = routerShouldLook();
      } else {
        return Admission.REJECTED;
      }
      changed();
    }
    if (slot != null) {
      slot.start(run);
    } else if (nudge) {
      nudgeRouter();
    }
    return admission;
  }

  /**
   * An item of a batch, sent to this node by a batch dispatcher: started on an idle worker or
   * queued here (never sent on to another node); false when this node takes no work (it drains).
   * The dispatcher bounds how many items each node holds, so this queue has no bound of its own.
   */
  @Override
  public boolean submitBatchItem(TaskRun run) {
    WorkerSlot slot = null;
    synchronized (this) {
      if (!accepting) {
        return false;
      }
      if (!idle.isEmpty()) {
        slot = idle.poll();
        assign(slot, run);
      } else {
        batch.add(run);
      }
      changed();
    }
    if (slot != null) {
      slot.start(run);
    }
    return true;
  }

  /** A task another node's router sent here; false when there is no room for it. */
  boolean offerRemote(TaskRun run) {
    WorkerSlot slot = null;
    synchronized (this) {
      if (!accepting) {
        return false;
      }
      if (!idle.isEmpty()) {
        slot = idle.poll();
        assign(slot, run);
      } else if (running + intake.size() < slots.size() * perWorker) {
        intake.add(run);
      } else {
        return false;
      }
      changed();
    }
    if (slot != null) {
      slot.start(run);
    }
    return true;
  }

  /**
   * A worker finished {@code finished} (answered already): returns its next task, or null when
   * there is none and the worker is idle.
   */
  TaskRun next(WorkerSlot slot, TaskRun finished) {
    synchronized (this) {
      if (slot.current == finished) {
        slot.current = null;
        running--;
        completed++;
      }
      if (slot.retired) {
        return null;
      }
      TaskRun next = nextRun();
      if (next != null) {
        assign(slot, next);
      } else {
        idle.add(slot);
      }
      changed();
      return next;
    }
  }

  /** A new worker is ready: it takes a waiting task or joins the idle ones. */
  void addWorker(WorkerSlot slot) {
    TaskRun run;
    synchronized (this) {
      slots.add(slot);
      run = nextRun();
      if (run != null) {
        assign(slot, run);
      } else {
        idle.add(slot);
      }
      changed();
    }
    if (run != null) {
      slot.start(run);
    }
  }

  /** A worker is gone (it stopped, or it is stuck and replaced): returns the task it held, if any. */
  TaskRun retire(WorkerSlot slot) {
    synchronized (this) {
      slot.retired = true;
      slots.remove(slot);
      idle.remove(slot);
      TaskRun held = slot.current;
      if (held != null) {
        slot.current = null;
        running--;
      }
      changed();
      return held;
    }
  }

  /**
   * Workers whose task is past its deadline by {@code graceNanos} (it was cancelled and answered
   * when the deadline passed, and still runs: its code ignores cancellation). They are retired,
   * so the pool can start workers in their place; each counts as stuck until {@link #stuckEnded}.
   */
  List<WorkerSlot> retireStuck(long nowNanos, long graceNanos) {
    List<WorkerSlot> retired = List.of();
    synchronized (this) {
      for (WorkerSlot slot : slots) {
        if (slot.current != null && nowNanos - slot.current.deadlineNanos() - graceNanos >= 0) {
          (retired.isEmpty() ? retired = new ArrayList<>() : retired).add(slot);
        }
      }
      for (WorkerSlot slot : retired) {
        slot.stuckOn = slot.current;
        slot.retired = true;
        slots.remove(slot);
        slot.current = null;
        running--;
        stuck++;
      }
      if (!retired.isEmpty()) {
        changed();
      }
    }
    return retired;
  }

  /** A stuck worker's task returned at last, and its thread is gone. */
  synchronized void stuckEnded() {
    stuck--;
  }

  /** For the router: the oldest waiting task, to send to another node, if one is worth sending. */
  @Override
  public TaskRun pollForRemote() {
    synchronized (this) {
      if (!spillable()) {
        return null;
      }
      TaskRun run = waiting.poll();
      if (run != null) {
        changed();
      }
      return run;
    }
  }

  /** Whether tasks wait here that another node should run (see spillAfterNanos). */
  @Override
  public synchronized boolean spillPending() {
    return spillable();
  }

  /** Tasks that another node could not run go back to the front, oldest first, and to idle workers. */
  @Override
  public void requeue(List<TaskRun> runs) {
    synchronized (this) {
      for (int i = runs.size() - 1; i >= 0; i--) {
        waiting.addFirst(runs.get(i));
      }
      startIdle();
      changed();
    }
  }

  /**
   * Cancels a task wherever it is here: one that waits leaves at once and is answered with
   * {@code ifWaiting}; one that runs is stopped where it runs, and its worker answers.
   */
  public void cancel(TaskRun run, TaskOutcome ifWaiting) {
    boolean removed;
    synchronized (this) {
      removed = waiting.remove(run) || intake.remove(run) || batch.remove(run)
          || admitting.removeIf(a -> a.run() == run);
      if (removed) {
        changed();
      }
    }
    if (removed) {
      run.answer(ifWaiting);
    } else {
      run.execution().cancel();
    }
  }

  /**
   * Answers {@code run} with {@code outcome} now, unless it was answered already, and stops it
   * wherever it is: out of the queue, interrupted where it runs, or (when the router sent it to
   * another node) cancelled there by the router's sweep, which sees it answered.
   */
  @Override
  public void abort(TaskRun run, TaskOutcome outcome) {
    if (run.answer(outcome)) {
      cancel(run, outcome);
    }
  }

  /**
   * Answers every task past its deadline: those that wait leave the queue; those that run are
   * cancelled where they run and answered now, whether or not their code notices.
   */
  void sweep(long nowNanos, String node) {
    List<TaskRun> waited = null;
    List<TaskRun> ran = null;
    List<TaskRun> refused = null;
    boolean nudge;
    synchronized (this) {
      for (Iterator<Admitting> it = admitting.iterator(); it.hasNext(); ) {
        Admitting a = it.next();
        if (nowNanos - a.byNanos() >= 0) {
          it.remove();
          (refused == null ? refused = new ArrayList<>() : refused).add(a.run());
        }
      }
      List<TaskRun> late = waiting.removeIf(run -> nowNanos - run.deadlineNanos() >= 0);
      if (!late.isEmpty()) {
        waited = new ArrayList<>(late);
      }
      for (ArrayDeque<TaskRun> queue : List.of(intake, batch)) {
        for (Iterator<TaskRun> it = queue.iterator(); it.hasNext(); ) {
          TaskRun run = it.next();
          if (nowNanos - run.deadlineNanos() >= 0) {
            it.remove();
            (waited == null ? waited = new ArrayList<>() : waited).add(run);
          }
        }
      }
      for (WorkerSlot slot : slots) {
        if (slot.current != null && nowNanos - slot.current.deadlineNanos() >= 0 && !slot.current.answered()) {
          (ran == null ? ran = new ArrayList<>() : ran).add(slot.current);
        }
      }
      if (waited != null) {
        changed();
      }
      nudge = routerShouldLook(); // a waiting task becomes worth sending as it ages
    }
    if (nudge) {
      nudgeRouter();
    }
    if (refused != null) {
      for (TaskRun run : refused) {
        run.answer(new TaskOutcome.Failed(run.id(), Failure.REJECTED, "every worker of the cluster is busy and this"
            + " node's queue stayed full for " + Math.min(run.timeoutMs(), admissionWaitNanos / 1_000_000) + " ms",
            node));
      }
    }
    if (waited != null) {
      for (TaskRun run : waited) {
        run.answer(new TaskOutcome.Failed(run.id(), Failure.TIMED_OUT, "the deadline of " + run.timeoutMs()
            + " ms passed while the task waited for a free worker", node));
      }
    }
    if (ran != null) {
      for (TaskRun run : ran) {
        run.execution().cancel();
        run.answer(new TaskOutcome.Failed(run.id(), Failure.TIMED_OUT, "the deadline of " + run.timeoutMs()
            + " ms passed; the task was cancelled", node));
      }
    }
  }

  /** Takes no more tasks from other nodes, nor new ones for its own workers while another node can run them. */
  void drain() {
    synchronized (this) {
      accepting = false;
      changed();
    }
  }

  /** Nothing of this node's own runs or waits for it any more (waiting tasks may still go to other nodes). */
  synchronized boolean drained() {
    return running == 0 && intake.isEmpty() && batch.isEmpty() && (waiting.isEmpty() || !takesWaiting());
  }

  /** The node stops: what runs is abandoned (its router may run it elsewhere), what waits is answered. */
  int abandonAll(String node) {
    List<TaskRun> queued;
    List<TaskRun> runningTasks = new ArrayList<>();
    synchronized (this) {
      accepting = false;
      queued = new ArrayList<>(intake);
      waiting.forEach(queued::add);
      queued.addAll(batch);
      admitting.forEach(a -> queued.add(a.run()));
      intake.clear();
      waiting.clear();
      batch.clear();
      admitting.clear();
      for (WorkerSlot slot : slots) {
        if (slot.current != null) {
          runningTasks.add(slot.current);
        }
      }
      changed();
    }
    for (TaskRun run : runningTasks) {
      run.execution().abandon();
    }
    for (TaskRun run : queued) {
      run.answer(new TaskOutcome.Failed(run.id(), Failure.ABANDONED, "the node " + node + " stopped", node));
    }
    return runningTasks.size() + queued.size();
  }

  @Override
  public synchronized Load load() {
    return new Load(slots.size(), running, intake.size() + waiting.size() + admitting.size() + batch.size(), completed,
        accepting,
        room(), stuck);
  }

  /** Running ({@code [0]}) and waiting ({@code [1]}) tasks on this node, by tenant. */
  public synchronized java.util.Map<String, int[]> byTenant() {
    java.util.Map<String, int[]> counts = new java.util.TreeMap<>();
    for (WorkerSlot slot : slots) {
      if (slot.current != null) {
        counts.computeIfAbsent(slot.current.tenant(), t -> new int[2])[0]++;
      }
    }
    waiting.countInto(counts, 1);
    for (ArrayDeque<TaskRun> queue : List.of(intake, batch)) {
      queue.forEach(run -> counts.computeIfAbsent(run.tenant(), t -> new int[2])[1]++);
    }
    admitting.forEach(a -> counts.computeIfAbsent(a.run().tenant(), t -> new int[2])[1]++);
    return counts;
  }

  /** Running tasks, for the sweep of stuck workers and for tests. */
  synchronized List<WorkerSlot> busySlots() {
    List<WorkerSlot> busy = new ArrayList<>();
    for (WorkerSlot slot : slots) {
      if (slot.current != null) {
        busy.add(slot);
      }
    }
    return busy;
  }

  // --- under the lock ---

  /**
   * Whether the oldest waiting task is worth another node's worker: it has waited here at least
   * {@code spillNanos}. A leaving node sends away all it can.
   */
  private boolean spillable() {
    TaskRun oldest = waiting.peek();
    return oldest != null && (!accepting || System.nanoTime() - oldest.receivedNanos() >= spillNanos);
  }

  /** The router needs to look at the queue: there is room elsewhere to fill, or it must ask for some. */
  private boolean routerShouldLook() {
    return spillable() && (remoteRoom > 0 || !routerInterested);
  }

  private boolean takesWaiting() {
    return accepting || !remoteCanWork;
  }

  /**
   * The next task for a worker that is free. Tasks (other nodes' first, then this node's own) and
   * batch items take turns while both wait, so a batch never holds a task up by more than one
   * item, and tasks never starve a batch; either alone takes every worker.
   */
  private TaskRun nextRun() {
    TaskRun run = batchTookLast || batch.isEmpty() ? nextTask() : null;
    if (run != null) {
      batchTookLast = false;
      return run;
    }
    run = batch.poll();
    if (run != null) {
      batchTookLast = true;
      return run;
    }
    batchTookLast = false;
    return nextTask();
  }

  private TaskRun nextTask() {
    TaskRun run = intake.poll();
    return run != null || !takesWaiting() ? run : waiting.poll();
  }

  private void assign(WorkerSlot slot, TaskRun run) {
    slot.current = run;
    slot.assignedNanos = System.nanoTime();
    running++;
  }

  /** Hands waiting tasks to idle workers; called where tasks came back or a worker may take them again. */
  private void startIdle() {
    while (!idle.isEmpty()) {
      TaskRun run = nextRun();
      if (run == null) {
        return;
      }
      WorkerSlot slot = idle.poll();
      assign(slot, run);
      slot.start(run); // a tell: it never blocks, so it may run under the lock here, off the hot path
    }
  }

  /**
   * Room other nodes may fill: none while tasks wait here (this node's own come first), else
   * what its workers and their next-task slots leave.
   */
  private int room() {
    return accepting && waiting.isEmpty() ? Math.max(0, slots.size() * perWorker - running - intake.size()) : 0;
  }

  /** After every change: waiting requests take the room that opened; the pool hears when it must tell others. */
  private void changed() {
    if (!admitting.isEmpty()) {
      for (Iterator<Admitting> it = admitting.iterator(); it.hasNext(); ) {
        TaskRun run = it.next().run();
        if (waiting.size(run.tenant()) < waitCapacity) {
          it.remove();
          waiting.add(run);
        }
      }
    }
    int room = room();
    if (!accepting || (room != advertised && roomWatched)) {
      nudgePool();
    }
    advertised = room;
  }

  private void nudgeRouter() {
    if (routerNudged.compareAndSet(false, true)) {
      routerNudge.run();
    }
  }

  private void nudgePool() {
    if (poolNudged.compareAndSet(false, true)) {
      poolNudge.run();
    }
  }
}
