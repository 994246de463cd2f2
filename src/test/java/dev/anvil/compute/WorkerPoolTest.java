package dev.anvil.compute;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.compute.TaskOutcome.Failure;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

  private static ActorTestKit testKit;
  private static TaskCatalog catalog;
  private ActorRef<WorkerPool.Command> pool;

  @BeforeAll
  static void setUp() {
    testKit = LocalTestKits.create();
    catalog = LocalTestKits.catalog(testKit);
  }

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  @AfterEach
  void stopPool() {
    if (pool != null) {
      // cancel whatever still runs, so no worker thread stays busy for the next test
      TestProbe<WorkerPool.Drained> drained = testKit.createTestProbe();
      pool.tell(new WorkerPool.Drain(Duration.ZERO, drained.getRef()));
      drained.expectMessageClass(WorkerPool.Drained.class);
      testKit.stop(pool);
    }
  }

  private ActorRef<WorkerPool.Command> pool(int workers, int capacity) {
    pool = testKit.spawn(WorkerPool.create("test:1", workers, 0, capacity, catalog, 0));
    return pool;
  }

  private static WorkerPool.Submit submit(String kind, String json, long remainingMs,
      TestProbe<TaskRouter.Command> probe) {
    return new WorkerPool.Submit(new TaskRequest(UUID.randomUUID().toString(), kind,
        json.getBytes(StandardCharsets.UTF_8), remainingMs, "test:0"), probe.getRef());
  }

  private static TaskOutcome outcome(TestProbe<TaskRouter.Command> probe) {
    return probe.expectMessageClass(TaskRouter.PoolReplied.class, Duration.ofSeconds(10)).outcome();
  }

  @Test
  void runsATaskAndRepliesWithItsResult() {
    TestProbe<TaskRouter.Command> probe = testKit.createTestProbe();
    pool(1, 4).tell(submit("primes", "{\"limit\":100}", 10_000, probe));
    TaskOutcome.Completed done = (TaskOutcome.Completed) outcome(probe);
    assertThat(new String(done.result(), StandardCharsets.UTF_8)).isEqualTo("{\"limit\":100,\"count\":25}");
    assertThat(done.node()).isEqualTo("test:1");
  }

  @Test
  void rejectsTasksBeyondItsQueue() {
    TestProbe<TaskRouter.Command> probe = testKit.createTestProbe();
    ActorRef<WorkerPool.Command> p = pool(1, 1);
    p.tell(submit("spin", "{\"ms\":30000}", 30_000, probe)); // runs
    p.tell(submit("spin", "{\"ms\":30000}", 30_000, probe)); // waits
    p.tell(submit("spin", "{\"ms\":1}", 30_000, probe)); // no room
    TaskOutcome.Failed rejected = (TaskOutcome.Failed) outcome(probe);
    assertThat(rejected.failure()).isEqualTo(Failure.REJECTED);
  }

  @Test
  void cancelsATaskAtItsDeadlineAndFreesTheWorker() {
    TestProbe<TaskRouter.Command> probe = testKit.createTestProbe();
    ActorRef<WorkerPool.Command> p = pool(1, 4);
    p.tell(submit("spin", "{\"ms\":60000}", 200, probe));
    assertThat(((TaskOutcome.Failed) outcome(probe)).failure()).isEqualTo(Failure.TIMED_OUT);
    p.tell(submit("primes", "{\"limit\":10}", 10_000, probe));
    assertThat(outcome(probe)).isInstanceOf(TaskOutcome.Completed.class);
  }

  @Test
  void interruptsATaskThatBlocksInsteadOfCheckingCancellation() {
    TestProbe<TaskRouter.Command> probe = testKit.createTestProbe();
    ActorRef<WorkerPool.Command> p = pool(1, 4);
    p.tell(submit("test-sleep", "{\"ms\":60000}", 200, probe));
    assertThat(((TaskOutcome.Failed) outcome(probe)).failure()).isEqualTo(Failure.TIMED_OUT);
    p.tell(submit("primes", "{\"limit\":10}", 10_000, probe));
    assertThat(outcome(probe)).isInstanceOf(TaskOutcome.Completed.class);
  }

  @Test
  void aTaskThatThrowsFailsAloneAndTheWorkerCarriesOn() {
    TestProbe<TaskRouter.Command> probe = testKit.createTestProbe();
    ActorRef<WorkerPool.Command> p = pool(1, 4);
    p.tell(submit("test-fail", "{}", 10_000, probe));
    TaskOutcome.Failed failed = (TaskOutcome.Failed) outcome(probe);
    assertThat(failed.failure()).isEqualTo(Failure.CRASHED);
    assertThat(failed.detail()).contains("boom");
    p.tell(submit("primes", "{\"limit\":10}", 10_000, probe));
    assertThat(outcome(probe)).isInstanceOf(TaskOutcome.Completed.class);
  }

  @Test
  void cancelledQueuedTaskLeavesTheQueue() {
    TestProbe<TaskRouter.Command> probe = testKit.createTestProbe();
    ActorRef<WorkerPool.Command> p = pool(1, 4);
    p.tell(submit("spin", "{\"ms\":30000}", 30_000, probe));
    WorkerPool.Submit waiting = submit("spin", "{\"ms\":1}", 30_000, probe);
    p.tell(waiting);
    p.tell(new WorkerPool.Cancel(waiting.request().taskId()));
    TaskOutcome.Failed failed = (TaskOutcome.Failed) outcome(probe);
    assertThat(failed.taskId()).isEqualTo(waiting.request().taskId());
    assertThat(failed.failure()).isEqualTo(Failure.TIMED_OUT);
  }

  @Test
  void tellsWatchersItsLoadAfterEveryChange() {
    TestProbe<TaskRouter.Command> watcher = testKit.createTestProbe();
    ActorRef<WorkerPool.Command> p = pool(2, 4);
    p.tell(new WorkerPool.WatchLoad(watcher.getRef()));
    PoolLoad initial = watcher.expectMessageClass(PoolLoad.class);
    assertThat(initial.workers()).isEqualTo(2);
    assertThat(initial.running()).isZero();
    assertThat(initial.accepting()).isTrue();
    p.tell(submit("spin", "{\"ms\":30000}", 30_000, watcher));
    PoolLoad busy = watcher.expectMessageClass(PoolLoad.class);
    assertThat(busy.running()).isEqualTo(1);
    assertThat(busy.submitsSeen()).isEqualTo(1);
    assertThat(busy.queued()).isZero();
  }

  @Test
  void drainingStopsTakingTasksAndRepliesWhenTheLastOneEnds() {
    TestProbe<TaskRouter.Command> probe = testKit.createTestProbe();
    TestProbe<WorkerPool.Drained> drained = testKit.createTestProbe();
    ActorRef<WorkerPool.Command> p = pool(1, 4);
    p.tell(submit("spin", "{\"ms\":300}", 10_000, probe));
    p.tell(new WorkerPool.Drain(Duration.ofSeconds(30), drained.getRef()));
    p.tell(submit("primes", "{\"limit\":10}", 10_000, probe));
    assertThat(((TaskOutcome.Failed) outcome(probe)).failure()).isEqualTo(Failure.REJECTED);
    drained.expectNoMessage(Duration.ofMillis(50));
    assertThat(outcome(probe)).isInstanceOf(TaskOutcome.Completed.class); // the running task finished
    assertThat(drained.expectMessageClass(WorkerPool.Drained.class).cancelled()).isZero();
  }

  @Test
  void aDrainThatTimesOutCancelsWhatStillRuns() {
    TestProbe<TaskRouter.Command> probe = testKit.createTestProbe();
    TestProbe<WorkerPool.Drained> drained = testKit.createTestProbe();
    ActorRef<WorkerPool.Command> p = pool(1, 4);
    p.tell(submit("spin", "{\"ms\":60000}", 60_000, probe));
    p.tell(submit("spin", "{\"ms\":60000}", 60_000, probe));
    p.tell(new WorkerPool.Drain(Duration.ofMillis(100), drained.getRef()));
    assertThat(drained.expectMessageClass(WorkerPool.Drained.class, Duration.ofSeconds(10)).cancelled()).isEqualTo(2);
    // abandoned, not timed out: the router may run them on another node within their deadline
    assertThat(((TaskOutcome.Failed) outcome(probe)).failure()).isEqualTo(Failure.ABANDONED);
    assertThat(((TaskOutcome.Failed) outcome(probe)).failure()).isEqualTo(Failure.ABANDONED);
  }
}
