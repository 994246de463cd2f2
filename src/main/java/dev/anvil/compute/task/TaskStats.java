package dev.anvil.compute.task;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * This node's task statistics, for the dashboard's view of the cluster ({@link #stats()}, which
 * the pool answers to {@code QueryStats}): compute p50 and p99 of the last minute, tasks answered by
 * outcome, the latest failures. Always kept, whether meters are on or not; every event is also
 * handed to the {@link TaskMeters} set with {@link #meters}. One per node (ActorSystem).
 *
 * <p>Two points of view, each where it is known: a task's outcome is counted by the node that
 * answered its client, its queue and compute times by the node that ran it. Summed over the
 * cluster, each task counts once.
 */
public final class TaskStats implements Extension {

  /** One failed task as the dashboard lists it. */
  public record RecentFailure(long time, String node, String kind, String outcome, int status, String detail,
      String tenant) {}

  /** What this node tells a dashboard: see {@link #stats()}. */
  /**
   * @param batchesRunning batches this node reads now
   * @param batchItems items of this node's batches answered since it started (a rate, to a dashboard)
   */
  public record Stats(Double computeP50Ms, Double computeP99Ms, Map<String, Long> tasks,
      List<RecentFailure> failures, int batchesRunning, long batchItems) {}

  private static final int RECENT_FAILURES = 20;
  private static final TaskMeters NO_METERS = new TaskMeters() {
    @Override
    public void answered(String kind, Outcome outcome) {}

    @Override
    public void ran(String kind, long queueNanos, long computeNanos) {}
  };

  private static final ExtensionId<TaskStats> ID = new ExtensionId<>() {
    @Override
    public TaskStats createExtension(ActorSystem<?> system) {
      return new TaskStats(NodeIds.of(system.address()));
    }
  };

  private final String node;
  /** The compute times of the last minute, for the p50 and p99 (not exported: the meters have histograms). */
  private final Timer recentCompute = Timer.builder("recent.compute")
      .publishPercentiles(0.5, 0.99)
      .percentilePrecision(2)
      .distributionStatisticExpiry(Duration.ofMinutes(1))
      .distributionStatisticBufferLength(3)
      .register(new SimpleMeterRegistry());
  private final EnumMap<Outcome, LongAdder> answered = new EnumMap<>(Outcome.class);
  private final ArrayDeque<RecentFailure> failures = new ArrayDeque<>();
  private volatile TaskMeters meters = NO_METERS;
  private final AtomicInteger batchesRunning = new AtomicInteger();
  private final LongAdder batchItems = new LongAdder();

  public static TaskStats get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private TaskStats(String node) {
    this.node = node;
    for (Outcome outcome : Outcome.values()) {
      answered.put(outcome, new LongAdder());
    }
  }

  /** Also report every task to {@code meters} from now on (set once, as the node starts). */
  public void meters(TaskMeters meters) {
    this.meters = meters;
  }

  /** A task received by this node was answered to its client. */
  public void answered(String kind, TaskOutcome outcome) {
    answered(kind, TaskRun.DEFAULT_TENANT, outcome);
  }

  /** As above, for a task of {@code tenant}: its failures are shown to that tenant only (and admins). */
  public void answered(String kind, String tenant, TaskOutcome outcome) {
    Outcome o = Outcome.of(outcome);
    answered.get(o).increment();
    meters.answered(kind, o);
    if (outcome instanceof TaskOutcome.Failed f && o != Outcome.REJECTED) {
      RecentFailure failure = new RecentFailure(System.currentTimeMillis(), node, kind, o.label(),
          Outcome.status(outcome), f.detail(), tenant);
      synchronized (failures) {
        if (failures.size() == RECENT_FAILURES) {
          failures.removeLast();
        }
        failures.addFirst(failure);
      }
    }
  }

  /** A task received by this node was refused before it ran: no room in the cluster (429), or no node (503). */
  public void refused(String kind) {
    answered.get(Outcome.REJECTED).increment();
    meters.answered(kind, Outcome.REJECTED);
  }

  /** A batch read by this node started ({@code true}) or ended. */
  public void batch(boolean started) {
    batchesRunning.addAndGet(started ? 1 : -1);
  }

  /** An item of a batch read by this node was answered. */
  public void batchItemAnswered() {
    batchItems.increment();
  }

  /** A task finished running on this node: how long it waited for a worker here, and computed. */
  public void ran(String kind, long queueNanos, long computeNanos) {
    recentCompute.record(computeNanos, TimeUnit.NANOSECONDS);
    meters.ran(kind, queueNanos, computeNanos);
  }

  /** Compute p50 and p99 of the last minute on this node, tasks answered by outcome, the latest failures. */
  public Stats stats() {
    Double p50 = null;
    Double p99 = null;
    if (recentCompute.count() > 0) {
      for (ValueAtPercentile v : recentCompute.takeSnapshot().percentileValues()) {
        double ms = v.value(TimeUnit.NANOSECONDS) / 1e6;
        if (v.percentile() == 0.5) {
          p50 = ms;
        } else {
          p99 = ms;
        }
      }
    }
    Map<String, Long> tasks = new LinkedHashMap<>();
    for (Outcome outcome : Outcome.values()) {
      tasks.put(outcome.label(), answered.get(outcome).sum());
    }
    List<RecentFailure> recent;
    synchronized (failures) {
      recent = new ArrayList<>(failures);
    }
    return new Stats(p50, p99, tasks, recent, batchesRunning.get(), batchItems.sum());
  }
}
