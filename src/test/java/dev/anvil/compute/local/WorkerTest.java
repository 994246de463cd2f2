package dev.anvil.compute.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.anvil.compute.LocalTestKits;
import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskRun;
import dev.anvil.config.ComputeSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Workers with a scheduler of their own and no pool: what one worker does with the jobs it is handed. */
class WorkerTest {

  private static ActorTestKit testKit;
  private static TaskCatalog catalog;

  @BeforeAll
  static void setUp() {
    testKit = LocalTestKits.create();
    catalog = LocalTestKits.catalog(testKit);
  }

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  /** A scheduler with {@code workers} workers on the pinned dispatcher, as the pool makes them. */
  private static LocalScheduler scheduler(int workers) {
    LocalScheduler scheduler = new LocalScheduler(new LocalScheduler.Limits(16, 2, Duration.ofMillis(5), Duration.ZERO, 0));
    for (int i = 0; i < workers; i++) {
      AtomicReference<ActorRef<Worker.Command>> ref = new AtomicReference<>();
      WorkerSlot slot = new WorkerSlot("w" + i, job -> ref.get().tell(new Worker.Run(job)));
      ref.set(testKit.spawn(Worker.create(slot, scheduler, catalog, "test:1", 0, new NodeHealth()),
          DispatcherSelector.fromConfig(ComputeSettings.DISPATCHER)));
      scheduler.addWorker(slot);
    }
    return scheduler;
  }

  private static TaskRun job(LocalScheduler scheduler, String kind, String json, long timeoutMs,
      TestProbe<TaskOutcome> probe) {
    return new TaskRun(scheduler.nextId(), catalog.find(kind).orElseThrow(), json.getBytes(StandardCharsets.UTF_8), null,
        timeoutMs, System.nanoTime(), probe.getRef()::tell);
  }

  private static String result(TaskOutcome outcome) {
    assertThat(outcome).isInstanceOf(TaskOutcome.Completed.class);
    return new String(((TaskOutcome.Completed) outcome).result(), StandardCharsets.UTF_8);
  }

  @Test
  void eachWorkerRunsTaskCodeOnAPinnedThreadOfItsOwn() {
    LocalScheduler scheduler = scheduler(2);
    TestProbe<TaskOutcome> probe = testKit.createTestProbe();
    scheduler.submit(job(scheduler, "spin", "{\"ms\":300}", 10_000, probe));
    scheduler.submit(job(scheduler, "test-thread", "{}", 10_000, probe));
    String idleWorkersThread = result(probe.receiveMessage());
    probe.receiveMessage(); // the spin
    // both idle now: one of them takes the next; block one, ask the other
    scheduler.submit(job(scheduler, "spin", "{\"ms\":300}", 10_000, probe));
    scheduler.submit(job(scheduler, "test-thread", "{}", 10_000, probe));
    String otherWorkersThread = result(probe.receiveMessage());
    probe.receiveMessage();
    assertThat(idleWorkersThread).isNotEqualTo(otherWorkersThread);
    assertThat(List.of(idleWorkersThread, otherWorkersThread))
        .allSatisfy(name -> assertThat(name).contains("anvil.compute.pinned-dispatcher"));
  }

  @Test
  void aWorkerThatFinishesTakesTheNextWaitingTaskItself() {
    LocalScheduler scheduler = scheduler(1);
    TestProbe<TaskOutcome> probe = testKit.createTestProbe();
    for (int limit : new int[] {10, 100, 1000}) {
      scheduler.submit(job(scheduler, "primes", "{\"limit\":" + limit + "}", 10_000, probe));
    }
    assertThat(result(probe.receiveMessage())).contains("\"count\":4");
    assertThat(result(probe.receiveMessage())).contains("\"count\":25");
    assertThat(result(probe.receiveMessage())).contains("\"count\":168");
    // the worker answers a job before it reports back to the scheduler
    await().atMost(Duration.ofSeconds(5)).until(() -> scheduler.load().completed() == 3);
    assertThat(scheduler.load().running()).isZero();
  }

  @Test
  void reportsATaskCancelledBeforeItStartedWithoutRunningIt() {
    LocalScheduler scheduler = scheduler(1);
    TestProbe<TaskOutcome> probe = testKit.createTestProbe();
    TaskRun job = job(scheduler, "spin", "{\"ms\":10000}", 10_000, probe);
    job.execution().cancel();
    scheduler.submit(job);
    TaskOutcome.Failed failed = (TaskOutcome.Failed) probe.receiveMessage();
    assertThat(failed.failure()).isEqualTo(TaskOutcome.Failure.CANCELLED);
    assertThat(failed.detail()).contains("after 0 ms of computing");
  }

  @Test
  void survivesATaskThatThrows() {
    LocalScheduler scheduler = scheduler(1);
    TestProbe<TaskOutcome> probe = testKit.createTestProbe();
    scheduler.submit(job(scheduler, "test-fail", "{}", 10_000, probe));
    TaskOutcome.Failed failed = (TaskOutcome.Failed) probe.receiveMessage();
    assertThat(failed.failure()).isEqualTo(TaskOutcome.Failure.CRASHED);
    assertThat(failed.detail()).isEqualTo("IllegalStateException: boom");
    scheduler.submit(job(scheduler, "primes", "{\"limit\":10}", 10_000, probe));
    assertThat(result(probe.receiveMessage())).contains("\"count\":4");
  }
}
