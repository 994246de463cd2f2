package dev.anvil.compute.local;

import dev.anvil.compute.task.TaskRun;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/**
 * Waiting tasks, one lane per tenant, taken in weighted fair turns (stride scheduling): each
 * lane has a pass, the lane with the lowest pass gives the next task and its pass grows by
 * {@code 1 / weight}. A tenant with twice the weight is taken twice as often while both wait; a
 * lane that was empty starts at the current pass, so an idle tenant saves no credit for later.
 * Within a lane, first come first served. With one tenant it is a plain FIFO.
 *
 * <p>Not thread-safe: {@link LocalScheduler} holds its lock around every call. Lanes are kept
 * once made; tenants come from the tokens file, so there are few.
 */
final class FairQueue implements Iterable<TaskRun> {

  private static final class Lane {
    final ArrayDeque<TaskRun> tasks = new ArrayDeque<>();
    final double stride;
    double pass;

    Lane(double weight) {
      this.stride = 1.0 / weight;
    }
  }

  private final ToDoubleFunction<String> weights;
  private final Map<String, Lane> lanes = new LinkedHashMap<>();
  /** The last lane's pass when it was taken: where a lane that becomes busy starts. */
  private double clock;
  private int size;

  /** @param weights a tenant's weight (positive) */
  FairQueue(ToDoubleFunction<String> weights) {
    this.weights = weights;
  }

  /** A tenant's lane, made on first use. */
  private Lane lane(String tenant) {
    Lane lane = lanes.get(tenant);
    if (lane == null) {
      lane = new Lane(weights.applyAsDouble(tenant));
      lane.pass = clock;
      lanes.put(tenant, lane);
    }
    return lane;
  }

  void add(TaskRun run) {
    busyLane(run).tasks.add(run);
    size++;
  }

  /** Back to the front of its lane (it was taken, and could not run where it went). */
  void addFirst(TaskRun run) {
    busyLane(run).tasks.addFirst(run);
    size++;
  }

  /** The lane {@code run} joins; one that was empty starts at the current pass (no saved credit). */
  private Lane busyLane(TaskRun run) {
    Lane lane = lane(run.tenant());
    if (lane.tasks.isEmpty() && lane.pass < clock) {
      lane.pass = clock;
    }
    return lane;
  }

  /** The next task in fair order, or null when none waits. */
  TaskRun poll() {
    Lane next = next();
    if (next == null) {
      return null;
    }
    clock = next.pass;
    next.pass += next.stride;
    size--;
    return next.tasks.poll();
  }

  /** The task {@link #poll} would give, left in place. */
  TaskRun peek() {
    Lane next = next();
    return next == null ? null : next.tasks.peek();
  }

  private Lane next() {
    if (size == 0) {
      return null;
    }
    Lane best = null;
    for (Lane lane : lanes.values()) {
      if (!lane.tasks.isEmpty() && (best == null || lane.pass < best.pass)) {
        best = lane;
      }
    }
    return best;
  }

  boolean remove(TaskRun run) {
    Lane lane = lanes.get(run.tenant());
    if (lane != null && lane.tasks.remove(run)) {
      size--;
      return true;
    }
    return false;
  }

  /** Removes every task that matches, and returns them. */
  List<TaskRun> removeIf(Predicate<TaskRun> test) {
    List<TaskRun> removed = null;
    for (Lane lane : lanes.values()) {
      for (Iterator<TaskRun> it = lane.tasks.iterator(); it.hasNext(); ) {
        TaskRun run = it.next();
        if (test.test(run)) {
          it.remove();
          size--;
          (removed == null ? removed = new ArrayList<>() : removed).add(run);
        }
      }
    }
    return removed == null ? List.of() : removed;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** How many of {@code tenant}'s tasks wait. */
  int size(String tenant) {
    Lane lane = lanes.get(tenant);
    return lane == null ? 0 : lane.tasks.size();
  }

  /** Waiting tasks by tenant, for the cluster view. */
  void countInto(Map<String, int[]> counts, int slot) {
    lanes.forEach((tenant, lane) -> {
      if (!lane.tasks.isEmpty()) {
        counts.computeIfAbsent(tenant, t -> new int[2])[slot] += lane.tasks.size();
      }
    });
  }

  void clear() {
    lanes.values().forEach(l -> l.tasks.clear());
    size = 0;
  }

  /** Every task, lane by lane (not in fair order). */
  @Override
  public Iterator<TaskRun> iterator() {
    List<TaskRun> all = new ArrayList<>(size);
    lanes.values().forEach(l -> all.addAll(l.tasks));
    return all.iterator();
  }
}
