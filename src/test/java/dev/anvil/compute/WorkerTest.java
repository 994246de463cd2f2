package dev.anvil.compute;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.config.ComputeSettings;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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

  private ActorRef<Worker.Command> worker() {
    return testKit.spawn(Worker.create(catalog, 0), DispatcherSelector.fromConfig(ComputeSettings.DISPATCHER));
  }

  private static Worker.Run run(String kind, String json, TaskExecution execution, TestProbe<Worker.Finished> probe) {
    return new Worker.Run("t", kind, json.getBytes(StandardCharsets.UTF_8), execution, probe.getRef());
  }

  private static TaskExecution within(long ms) {
    return new TaskExecution(System.nanoTime() + ms * 1_000_000);
  }

  @Test
  void runsTaskCodeOnTheComputeDispatcher() {
    TestProbe<Worker.Finished> probe = testKit.createTestProbe();
    worker().tell(run("primes", "{\"limit\":1000}", within(10_000), probe));
    Worker.Finished finished = probe.receiveMessage();
    assertThat(finished.outcome()).isInstanceOf(Worker.Succeeded.class);
    assertThat(new String(((Worker.Succeeded) finished.outcome()).result(), StandardCharsets.UTF_8))
        .contains("\"count\":168");
  }

  @Test
  void reportsACancelledTask() {
    TestProbe<Worker.Finished> probe = testKit.createTestProbe();
    TaskExecution execution = within(10_000);
    execution.cancel();
    worker().tell(run("spin", "{\"ms\":10000}", execution, probe));
    assertThat(probe.receiveMessage().outcome()).isInstanceOf(Worker.Cancelled.class);
  }

  @Test
  void survivesATaskThatThrows() {
    TestProbe<Worker.Finished> probe = testKit.createTestProbe();
    ActorRef<Worker.Command> worker = worker();
    worker.tell(run("test-fail", "{}", within(10_000), probe));
    assertThat(probe.receiveMessage().outcome()).isEqualTo(new Worker.Threw("IllegalStateException: boom"));
    worker.tell(run("primes", "{\"limit\":10}", within(10_000), probe));
    assertThat(probe.receiveMessage().outcome()).isInstanceOf(Worker.Succeeded.class);
  }
}
