package dev.anvil.compute.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.compute.LocalTestKits;
import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.protocol.PoolProtocol;
import dev.anvil.compute.protocol.PoolProtocol.Cancel;
import dev.anvil.compute.protocol.PoolProtocol.Interest;
import dev.anvil.compute.protocol.PoolProtocol.PoolLoad;
import dev.anvil.compute.protocol.PoolProtocol.PoolReplied;
import dev.anvil.compute.protocol.PoolProtocol.Submit;
import dev.anvil.compute.protocol.PoolProtocol.TaskRequest;
import dev.anvil.compute.protocol.PoolProtocol.WatchLoad;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskOutcome.Failure;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The pool as other nodes' routers see it: tasks in, outcomes and load out; a probe plays the router. */
class WorkerPoolTest {

  private static ActorTestKit testKit;
  private static TaskCatalog catalog;
  private static final AtomicLong ids = new AtomicLong();
  private ActorRef<PoolProtocol.PoolCommand> pool;
  private LocalScheduler scheduler;
  private NodeHealth health;

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

  /** A pool whose workers take one task each from other nodes beyond the one they run. */
  private ActorRef<PoolProtocol.PoolCommand> pool(int workers) {
    return pool(workers, Duration.ofSeconds(10), 2);
  }

  /** @param stuckGrace how long past its deadline a task may hold its worker before it is replaced */
  private ActorRef<PoolProtocol.PoolCommand> pool(int workers, Duration stuckGrace, int maxStuck) {
    scheduler = new LocalScheduler(new LocalScheduler.Limits(16, 2, Duration.ofMillis(5), Duration.ZERO, 0));
    health = new NodeHealth();
    pool = testKit.spawn(WorkerPool.create("test:1", workers, scheduler, catalog,
        new WorkerPool.Settings(0, 24 << 20, stuckGrace, maxStuck), health));
    return pool;
  }

  private static String threadOf(TaskOutcome outcome) {
    return new String(((TaskOutcome.Completed) outcome).result(), StandardCharsets.UTF_8);
  }

  private static Submit submit(String kind, String json, long remainingMs, TestProbe<PoolProtocol.RouterCommand> router) {
    return new Submit(new TaskRequest(ids.incrementAndGet(), kind, json.getBytes(StandardCharsets.UTF_8),
        remainingMs, "test:0", null), router.getRef(), router.getRef());
  }

  private static TaskOutcome outcome(TestProbe<PoolProtocol.RouterCommand> router) {
    return router.expectMessageClass(PoolReplied.class, Duration.ofSeconds(10)).outcome();
  }

  private static Failure failure(TestProbe<PoolProtocol.RouterCommand> router) {
    return ((TaskOutcome.Failed) outcome(router)).failure();
  }

  @Test
  void runsATaskFromAnotherNodeAndRepliesWithItsResultAndItsId() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    Submit task = submit("primes", "{\"limit\":100}", 10_000, router);
    pool(1).tell(task);
    TaskOutcome.Completed done = (TaskOutcome.Completed) outcome(router);
    assertThat(new String(done.result(), StandardCharsets.UTF_8)).isEqualTo("{\"limit\":100,\"count\":25}");
    assertThat(done.taskId()).isEqualTo(task.request().taskId());
    assertThat(done.node()).isEqualTo("test:1");
  }

  @Test
  void rejectsTasksBeyondItsWorkersAndTheirNextTaskSlots() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(1);
    p.tell(submit("spin", "{\"ms\":30000}", 30_000, router)); // runs
    p.tell(submit("spin", "{\"ms\":30000}", 30_000, router)); // next
    p.tell(submit("spin", "{\"ms\":1}", 30_000, router)); // no room
    assertThat(failure(router)).isEqualTo(Failure.REJECTED);
  }

  @Test
  void cancelsATaskAtItsDeadlineAndFreesTheWorker() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(1);
    p.tell(submit("spin", "{\"ms\":60000}", 200, router));
    assertThat(failure(router)).isEqualTo(Failure.TIMED_OUT);
    p.tell(submit("primes", "{\"limit\":10}", 10_000, router));
    assertThat(outcome(router)).isInstanceOf(TaskOutcome.Completed.class);
  }

  @Test
  void interruptsATaskThatBlocksInsteadOfCheckingCancellation() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(1);
    p.tell(submit("test-sleep", "{\"ms\":60000}", 200, router));
    assertThat(failure(router)).isEqualTo(Failure.TIMED_OUT);
    p.tell(submit("primes", "{\"limit\":10}", 10_000, router));
    assertThat(outcome(router)).isInstanceOf(TaskOutcome.Completed.class);
  }

  @Test
  void aTaskThatThrowsFailsAloneAndTheWorkerCarriesOn() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(1);
    p.tell(submit("test-fail", "{}", 10_000, router));
    TaskOutcome.Failed failed = (TaskOutcome.Failed) outcome(router);
    assertThat(failed.failure()).isEqualTo(Failure.CRASHED);
    assertThat(failed.detail()).contains("boom");
    p.tell(submit("primes", "{\"limit\":10}", 10_000, router));
    assertThat(outcome(router)).isInstanceOf(TaskOutcome.Completed.class);
  }

  @Test
  void aWorkerThatStopsIsReplaced() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(1);
    p.tell(submit("test-thread", "{}", 10_000, router));
    String before = threadOf(outcome(router));
    testKit.system().classicSystem().actorSelection(p.path().child("worker-0"))
        .tell(org.apache.pekko.actor.PoisonPill.getInstance(), org.apache.pekko.actor.ActorRef.noSender());
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
      p.tell(submit("test-thread", "{}", 10_000, router));
      TaskOutcome next = outcome(router);
      return next instanceof TaskOutcome.Completed && !threadOf(next).equals(before);
    });
    assertThat(scheduler.load().workers()).isEqualTo(1);
  }

  @Test
  void anErrorFromTaskCodeFailsThatTaskAloneOnTheSameWorker() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(1);
    p.tell(submit("test-thread", "{}", 10_000, router));
    String thread = threadOf(outcome(router));
    p.tell(submit("test-die", "{}", 10_000, router));
    TaskOutcome.Failed failed = (TaskOutcome.Failed) outcome(router);
    assertThat(failed.failure()).isEqualTo(Failure.CRASHED);
    assertThat(failed.detail()).isEqualTo("Error: a task's own error");
    p.tell(submit("test-thread", "{}", 10_000, router));
    assertThat(threadOf(outcome(router))).isEqualTo(thread);
    assertThat(health.unfitReason()).isEmpty();
  }

  @Test
  void aKindWhoseClassCannotBeInitializedFailsEachTimeWithoutHarmingTheNode() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(1);
    p.tell(submit("test-broken-init", "{}", 10_000, router));
    TaskOutcome.Failed first = (TaskOutcome.Failed) outcome(router);
    assertThat(first.failure()).isEqualTo(Failure.CRASHED);
    assertThat(first.detail()).startsWith("a class of the kind failed to initialize (ExceptionInInitializerError"
        + " caused by NumberFormatException");
    p.tell(submit("test-broken-init", "{}", 10_000, router));
    TaskOutcome.Failed second = (TaskOutcome.Failed) outcome(router);
    assertThat(second.detail()).startsWith("the kind's code could not be loaded (NoClassDefFoundError");
    p.tell(submit("primes", "{\"limit\":10}", 10_000, router));
    assertThat(outcome(router)).isInstanceOf(TaskOutcome.Completed.class);
    assertThat(health.unfitReason()).isEmpty();
  }

  @Test
  void oneAllocationTooLargeForTheHeapFailsThatTaskAloneAndTheNodeStaysFit() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(1);
    p.tell(submit("test-oom", "{}", 10_000, router));
    TaskOutcome.Failed failed = (TaskOutcome.Failed) outcome(router);
    assertThat(failed.failure()).isEqualTo(Failure.CRASHED);
    assertThat(failed.detail()).startsWith("the task ran out of memory (OutOfMemoryError");
    p.tell(submit("primes", "{\"limit\":10}", 10_000, router));
    assertThat(outcome(router)).isInstanceOf(TaskOutcome.Completed.class);
    assertThat(health.unfitReason()).isEmpty();
  }

  @Test
  void aTaskThatIgnoresCancellationHasItsWorkerReplacedAndReported() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(1, Duration.ofMillis(200), 2);
    p.tell(submit("test-stubborn", "{\"ms\":2500}", 100, router));
    assertThat(failure(router)).isEqualTo(Failure.TIMED_OUT);
    // the only worker is stuck for 2.5 s more; a fresh one runs this within the grace
    p.tell(submit("primes", "{\"limit\":10}", 1_500, router));
    assertThat(outcome(router)).isInstanceOf(TaskOutcome.Completed.class);
    assertThat(scheduler.load().stuck()).isEqualTo(1);
    assertThat(scheduler.load().workers()).isEqualTo(1);
    assertThat(health.unfitReason()).isEmpty();
    // once its task returns, the stuck thread stops and is no longer counted
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.load().stuck() == 0);
    assertThat(scheduler.load().workers()).isEqualTo(1);
  }

  @Test
  void pastTheToleratedNumberOfStuckThreadsTheNodeIsUnfit() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(1, Duration.ofMillis(100), 0);
    p.tell(submit("test-stubborn", "{\"ms\":1500}", 100, router));
    assertThat(failure(router)).isEqualTo(Failure.TIMED_OUT);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> health.unfitReason().isPresent());
    assertThat(health.unfitReason().get()).contains("1 worker threads are stuck");
  }

  @Test
  void aCancelledTaskThatWaitsLeavesAtOnce() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(1);
    p.tell(submit("spin", "{\"ms\":30000}", 30_000, router));
    Submit waiting = submit("spin", "{\"ms\":1}", 30_000, router);
    p.tell(waiting);
    p.tell(new Cancel(waiting.request().taskId(), router.getRef()));
    TaskOutcome.Failed failed = (TaskOutcome.Failed) outcome(router);
    assertThat(failed.taskId()).isEqualTo(waiting.request().taskId());
    assertThat(failed.failure()).isEqualTo(Failure.TIMED_OUT);
  }

  @Test
  void anInterestedRouterHearsOfEveryChangeOfRoom() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(2);
    p.tell(new WatchLoad(router.getRef()));
    PoolLoad initial = router.expectMessageClass(PoolLoad.class);
    assertThat(initial.workers()).isEqualTo(2);
    assertThat(initial.room()).isEqualTo(4);
    assertThat(initial.accepting()).isTrue();
    p.tell(new Interest(router.getRef(), true));
    router.expectMessageClass(PoolLoad.class);
    p.tell(submit("spin", "{\"ms\":30000}", 30_000, router));
    p.tell(submit("spin", "{\"ms\":30000}", 30_000, router));
    TestProbe<PoolProtocol.RouterCommand> other = testKit.createTestProbe();
    p.tell(new WatchLoad(other.getRef()));
    other.expectMessageClass(PoolLoad.class);
    p.tell(submit("spin", "{\"ms\":30000}", 30_000, other)); // room taken by another router: told
    PoolLoad changed = router.expectMessageClass(PoolLoad.class);
    assertThat(changed.room()).isEqualTo(1);
    assertThat(changed.running()).isEqualTo(2);
    assertThat(changed.submitsSeen()).isEqualTo(2);
  }

  @Test
  void aRouterWithNoTasksForThePoolHearsNothingPerTask() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(2);
    p.tell(new WatchLoad(router.getRef()));
    router.expectMessageClass(PoolLoad.class);
    TestProbe<PoolProtocol.RouterCommand> other = testKit.createTestProbe();
    p.tell(submit("primes", "{\"limit\":10}", 10_000, other));
    p.tell(submit("primes", "{\"limit\":10}", 10_000, other));
    other.expectMessageClass(PoolReplied.class);
    other.expectMessageClass(PoolReplied.class);
    router.expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void drainingStopsTakingTasksAndRepliesWhenTheLastOneEnds() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    TestProbe<WorkerPool.Drained> drained = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(1);
    p.tell(submit("spin", "{\"ms\":300}", 10_000, router));
    p.tell(new WorkerPool.Drain(Duration.ofSeconds(30), drained.getRef()));
    p.tell(submit("primes", "{\"limit\":10}", 10_000, router));
    assertThat(failure(router)).isEqualTo(Failure.REJECTED);
    drained.expectNoMessage(Duration.ofMillis(50));
    assertThat(outcome(router)).isInstanceOf(TaskOutcome.Completed.class); // the running task finished
    assertThat(drained.expectMessageClass(WorkerPool.Drained.class).cancelled()).isZero();
  }

  @Test
  void aDrainThatTimesOutCancelsWhatStillRuns() {
    TestProbe<PoolProtocol.RouterCommand> router = testKit.createTestProbe();
    TestProbe<WorkerPool.Drained> drained = testKit.createTestProbe();
    ActorRef<PoolProtocol.PoolCommand> p = pool(1);
    p.tell(submit("spin", "{\"ms\":60000}", 60_000, router));
    p.tell(submit("spin", "{\"ms\":60000}", 60_000, router));
    p.tell(new WorkerPool.Drain(Duration.ofMillis(100), drained.getRef()));
    assertThat(drained.expectMessageClass(WorkerPool.Drained.class, Duration.ofSeconds(10)).cancelled()).isEqualTo(2);
    // abandoned, not timed out: the router may run them on another node within their deadline
    assertThat(failure(router)).isEqualTo(Failure.ABANDONED);
    assertThat(failure(router)).isEqualTo(Failure.ABANDONED);
  }
}
