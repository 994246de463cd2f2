package dev.anvil.compute.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.compute.kinds.Primes;
import dev.anvil.compute.local.LocalScheduler.Admission;
import dev.anvil.compute.task.TaskRun;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A full node takes waiting tasks in weighted fair turns across tenants, not first come first served. */
class FairShareTest {

  private final List<TaskRun> started = new ArrayList<>();
  private long ids;

  private LocalScheduler scheduler(int waitCapacity, Map<String, Double> weights) {
    LocalScheduler s = new LocalScheduler(new LocalScheduler.Limits(waitCapacity, 2, Duration.ofSeconds(100),
        Duration.ofSeconds(10), 1000), tenant -> weights.getOrDefault(tenant, 1.0));
    s.addWorker(new WorkerSlot("w0", started::add));
    return s;
  }

  private TaskRun task(String tenant) {
    return new TaskRun(++ids, new Primes(), new byte[0], null, 60_000, System.nanoTime(), tenant, o -> {});
  }

  /** Runs the single worker through everything that waits; the tenants in the order they ran. */
  private static List<String> drain(LocalScheduler s, TaskRun first) {
    List<String> order = new ArrayList<>();
    WorkerSlot worker = s.busySlots().get(0);
    TaskRun done = first;
    for (TaskRun next = s.next(worker, done); next != null; next = s.next(worker, done)) {
      order.add(next.tenant());
      done = next;
    }
    return order;
  }

  @Test
  void aFloodingTenantDoesNotMakeAnotherWaitBehindItsWholeQueue() {
    LocalScheduler s = scheduler(16, Map.of());
    TaskRun running = task("flood");
    s.submit(running);
    for (int i = 0; i < 12; i++) {
      s.submit(task("flood"));
    }
    s.submit(task("quiet"));
    s.submit(task("quiet"));
    List<String> order = drain(s, running);
    // first come first served would run both quiet tasks last (13th and 14th)
    assertThat(order.subList(0, 4)).containsExactlyInAnyOrder("flood", "quiet", "flood", "quiet");
    assertThat(order).hasSize(14);
  }

  @Test
  void weightsShareTheWorkerInProportion() {
    LocalScheduler s = scheduler(64, Map.of("gold", 3.0));
    TaskRun running = task("bronze");
    s.submit(running);
    for (int i = 0; i < 30; i++) {
      s.submit(task("bronze"));
      s.submit(task("gold"));
    }
    List<String> first20 = drain(s, running).subList(0, 20);
    assertThat(first20.stream().filter("gold"::equals).count()).isEqualTo(15); // 3 : 1 while both wait
  }

  @Test
  void oneTenantsFullQueueDoesNotRefuseAnother() {
    LocalScheduler s = new LocalScheduler(new LocalScheduler.Limits(2, 2, Duration.ofSeconds(100), Duration.ZERO, 8),
        tenant -> 1.0);
    s.addWorker(new WorkerSlot("w0", started::add));
    s.submit(task("flood"));
    s.submit(task("flood"));
    s.submit(task("flood"));
    assertThat(s.submit(task("flood"))).isEqualTo(Admission.REJECTED);
    assertThat(s.submit(task("quiet"))).isEqualTo(Admission.QUEUED);
  }

  @Test
  void anIdleTenantSavesNoCreditForLater() {
    LocalScheduler s = scheduler(64, Map.of());
    TaskRun running = task("a");
    s.submit(running);
    for (int i = 0; i < 10; i++) {
      s.submit(task("a"));
    }
    WorkerSlot worker = s.busySlots().get(0);
    TaskRun done = running;
    for (int i = 0; i < 8; i++) { // 'a' alone runs 8 of its tasks
      done = s.next(worker, done);
    }
    for (int i = 0; i < 4; i++) {
      s.submit(task("b"));
    }
    // 'b' now alternates with 'a'; it does not run its 4 at once for the turns it missed
    List<String> order = drain(s, done);
    assertThat(order.subList(0, 4)).containsExactlyInAnyOrder("a", "b", "a", "b");
  }

  @Test
  void theClusterViewCountsRunningAndWaitingByTenant() {
    LocalScheduler s = scheduler(16, Map.of());
    s.submit(task("a"));
    s.submit(task("a"));
    s.submit(task("b"));
    Map<String, int[]> byTenant = s.byTenant();
    assertThat(byTenant.get("a")).containsExactly(1, 1);
    assertThat(byTenant.get("b")).containsExactly(0, 1);
  }
}
