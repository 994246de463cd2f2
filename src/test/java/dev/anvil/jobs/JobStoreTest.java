package dev.anvil.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.TestNodes;
import dev.anvil.compute.LocalScheduler;
import dev.anvil.compute.TaskCatalog;
import dev.anvil.compute.WorkerPool;
import dev.anvil.compute.NodeHealth;
import dev.anvil.jobs.JobRecord.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One node's job store, driven by probes: submission, idempotency, watching, cancelling, versions. */
class JobStoreTest {

  private static ActorTestKit testKit;
  private static TaskCatalog catalog;
  private static ActorRef<JobStore.Command> store;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create(TestNodes.config(Map.of()));
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> cluster.selfMember().status() == MemberStatus.up());
    ObjectMapper mapper = JacksonObjectMapperProvider.get(testKit.system()).getOrCreate("anvil-http", Optional.empty());
    catalog = TaskCatalog.load(mapper, JobStoreTest.class.getClassLoader());
    LocalScheduler scheduler = new LocalScheduler(new LocalScheduler.Limits(16, 2, Duration.ofMillis(5),
        Duration.ZERO, 0));
    testKit.spawn(WorkerPool.create("test:1", 1, scheduler, catalog,
        new WorkerPool.Settings(0, 24 << 20, Duration.ofSeconds(10), 2), new NodeHealth()));
    store = testKit.spawn(JobStore.create("test:1", scheduler, catalog, new JobStore.Settings(Duration.ofHours(1),
        100, 1 << 20, 64 << 20, 2)));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static JobStore.SubmitResult submit(String kind, String json, String key) {
    TestProbe<JobStore.SubmitResult> probe = testKit.createTestProbe();
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    store.tell(new JobStore.Submit(catalog.find(kind).orElseThrow(), body, 30_000, key, kind + json,
        probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  @Test
  void aJobIsAcceptedRunsAndItsWatcherSeesEveryChangeToTheEnd() {
    JobRecord accepted = ((JobStore.Accepted) submit("spin", "{\"ms\":600}", null)).record();
    assertThat(accepted.status()).isEqualTo(Status.QUEUED);
    TestProbe<JobRecord> watcher = testKit.createTestProbe();
    store.tell(new JobStore.Watch(accepted.id(), watcher.getRef()));
    JobRecord last = watcher.receiveMessage();
    while (!last.isFinal()) {
      JobRecord next = watcher.receiveMessage(Duration.ofSeconds(10));
      assertThat(next.version()).isGreaterThan(last.version());
      last = next;
    }
    assertThat(last.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(new String(last.result(), StandardCharsets.UTF_8)).contains("\"ms\":600");
    watcher.expectNoMessage(Duration.ofMillis(300)); // nothing after the final status
  }

  @Test
  void theSameIdempotencyKeyGivesTheSameJobAndAnotherBodyIsRefused() {
    JobRecord first = ((JobStore.Accepted) submit("primes", "{\"limit\":5}", "k-1")).record();
    JobStore.Accepted again = (JobStore.Accepted) submit("primes", "{\"limit\":5}", "k-1");
    assertThat(again.existing()).isTrue();
    assertThat(again.record().id()).isEqualTo(first.id());
    assertThat(submit("primes", "{\"limit\":6}", "k-1")).isInstanceOf(JobStore.KeyReused.class);
  }

  @Test
  void cancellingARunningJobStopsItAndAFinishedOneIsReportedAsIs() {
    JobRecord job = ((JobStore.Accepted) submit("spin", "{\"ms\":30000}", null)).record();
    TestProbe<JobRecord> waiter = testKit.createTestProbe();
    TestProbe<Optional<JobRecord>> reply = testKit.createTestProbe();
    store.tell(new JobStore.Cancel(job.id(), reply.getRef()));
    assertThat(reply.receiveMessage().orElseThrow().isFinal()).isFalse();
    store.tell(new JobStore.AwaitFinal(job.id(), waiter.getRef()));
    assertThat(waiter.receiveMessage(Duration.ofSeconds(5)).status()).isEqualTo(Status.CANCELLED);
    store.tell(new JobStore.Cancel(job.id(), reply.getRef()));
    assertThat(reply.receiveMessage().orElseThrow().status()).isEqualTo(Status.CANCELLED);
    store.tell(new JobStore.Cancel("no-such-job", reply.getRef()));
    assertThat(reply.receiveMessage()).isEmpty();
  }

  @Test
  void ofTwoVersionsOfAJobEveryNodeKeepsTheSameOne() {
    JobRecord base = new JobRecord("j", "primes", new byte[0], 1000, null, "h", Status.QUEUED, 0, 1, null, "a#1", 1,
        0, 0, 0, 0, null, null, 3);
    JobRecord finalOne = base.finished(Status.SUCCEEDED, "n", 2, 0, 0, new byte[0], null);
    assertThat(finalOne.newerThan(base)).isTrue();
    assertThat(base.newerThan(finalOne)).isFalse();
    JobRecord byB = base.adoptedBy("b#2");
    JobRecord byC = base.adoptedBy("c#3");
    assertThat(byC.newerThan(byB)).isTrue(); // two adopters at once: the same winner everywhere
    assertThat(byB.newerThan(byC)).isFalse();
    assertThat(byB.attempts()).isEqualTo(2);
  }

  /**
   * Membership runs ahead of the receptionist's listing of job stores: a job submitted in that
   * gap, before its store has heard of the others, is accepted once they are listed (not refused
   * as unrecorded), and the late peer keeps a copy.
   */
  @Test
  void aJobSubmittedBeforeThePeersStoreIsListedIsAcceptedOnceItIs() {
    ActorTestKit first = ActorTestKit.create(TestNodes.config(Map.of()));
    ActorTestKit second = ActorTestKit.create(TestNodes.config(Map.of()));
    try {
      Cluster a = Cluster.get(first.system());
      a.manager().tell(Join.create(a.selfMember().address()));
      Cluster.get(second.system()).manager().tell(Join.create(a.selfMember().address()));
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> a.state().members().size() == 2
          && a.state().members().forall(m -> m.status() == MemberStatus.up()));
      ActorRef<JobStore.Command> firstStore = first.spawn(JobStore.create("test:1", idleScheduler(), catalog,
          new JobStore.Settings(Duration.ofHours(1), 100, 1 << 20, 64 << 20, 2)));
      TestProbe<JobStore.SubmitResult> submitted = first.createTestProbe();
      firstStore.tell(new JobStore.Submit(catalog.find("primes").orElseThrow(),
          "{\"limit\":10}".getBytes(StandardCharsets.UTF_8), 30_000, null, "late-peer", submitted.getRef()));
      submitted.expectNoMessage(Duration.ofMillis(300)); // two members Up, one copy: it waits for the second
      ActorRef<JobStore.Command> secondStore = second.spawn(JobStore.create("test:2", idleScheduler(), catalog,
          new JobStore.Settings(Duration.ofHours(1), 100, 1 << 20, 64 << 20, 2)));
      JobStore.SubmitResult result = submitted.receiveMessage(Duration.ofSeconds(15));
      assertThat(result).isInstanceOf(JobStore.Accepted.class);
      TestProbe<Optional<JobRecord>> copy = second.createTestProbe();
      secondStore.tell(new JobStore.Get(((JobStore.Accepted) result).record().id(), copy.getRef()));
      assertThat(copy.receiveMessage()).isPresent();
    } finally {
      second.shutdownTestKit();
      first.shutdownTestKit();
    }
  }

  /** A scheduler without workers: jobs given to it wait, which is all a test of replication needs. */
  private static LocalScheduler idleScheduler() {
    return new LocalScheduler(new LocalScheduler.Limits(16, 2, Duration.ofMillis(5), Duration.ZERO, 0));
  }
}
