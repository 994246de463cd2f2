package dev.anvil.compute.local;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Whether this node's JVM is fit to go on. A task's failure is the task's alone; but some
 * failures leave the JVM itself unfit (its heap full even after a collection, its metaspace or
 * native threads exhausted, an internal VM error, too many worker threads stuck in task code).
 * Then the node says so on {@code /health} and {@code /ready} at once and stops gracefully, so
 * its supervisor starts a fresh JVM: never a node that says UP while it dies.
 */
public final class NodeHealth {

  /** Old generation still this full after a collection: the heap is exhausted, not one allocation too large. */
  private static final double HEAP_EXHAUSTED = 0.90;

  private final AtomicReference<String> unfit = new AtomicReference<>();
  private volatile Consumer<String> onUnfit = reason -> {};

  /** Called once, on whichever thread first finds the node unfit. */
  public void onUnfit(Consumer<String> action) {
    this.onUnfit = action;
  }

  /** Marks the node unfit; the first reason wins and triggers the stop. */
  public void unfit(String reason) {
    if (unfit.compareAndSet(null, reason)) {
      onUnfit.accept(reason);
    }
  }

  public Optional<String> unfitReason() {
    return Optional.ofNullable(unfit.get());
  }

  /**
   * After a task's {@link VirtualMachineError}: whether the JVM is still fit, and if not why.
   * An {@link OutOfMemoryError} of the heap is usually one allocation too large for it, which
   * fails only that task; the heap is exhausted only when it stays nearly full after the
   * collection that preceded the error. Any other exhaustion (metaspace, native threads,
   * direct memory) and any internal error of the VM leave it unfit.
   */
  static Optional<String> afterVmError(VirtualMachineError error) {
    if (error instanceof StackOverflowError) {
      return Optional.empty(); // the stack unwound with the task
    }
    if (error instanceof OutOfMemoryError oom) {
      String what = String.valueOf(oom.getMessage());
      if (what.contains("Java heap space") || what.contains("array size")) {
        double full = oldGenFullness();
        return full < HEAP_EXHAUSTED ? Optional.empty() : Optional.of(String.format(
            "the heap is exhausted: %.0f%% of it still in use after a full collection", full * 100));
      }
      return Optional.of("the JVM ran out of memory outside the heap: " + what);
    }
    return Optional.of("the JVM reported an internal error: " + error);
  }

  /** Fraction of the old generation in use after the last collection of it (0 when unknown). */
  private static double oldGenFullness() {
    double worst = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() != MemoryType.HEAP || !pool.isCollectionUsageThresholdSupported()) {
        continue;
      }
      MemoryUsage after = pool.getCollectionUsage();
      if (after != null && after.getMax() > 0 && (pool.getName().contains("Old") || pool.getName().contains("Tenured"))) {
        worst = Math.max(worst, (double) after.getUsed() / after.getMax());
      }
    }
    return worst;
  }
}
