package dev.anvil.http;

import static dev.anvil.HttpTestClient.json;
import static dev.anvil.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.compute.local.WorkerPool;
import dev.anvil.compute.protocol.PoolProtocol;
import dev.anvil.node.RunningNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A node whose workers are all busy: it keeps answering, sheds load, and frees workers at deadlines. */
class BusyNodeTest {

  private RunningNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private HttpTestClient start(int workers, int queuePerWorker) {
    return start(workers, queuePerWorker, "1s");
  }

  private HttpTestClient start(int workers, int queuePerWorker, String admissionWait) {
    node = TestNodes.start(Map.of("anvil.compute.workers", workers, "anvil.compute.queue-per-worker", queuePerWorker,
        "anvil.compute.prefetch-per-worker", 1, "anvil.compute.admission-wait", admissionWait));
    return new HttpTestClient(node.httpPort());
  }

  private static JsonNode load(HttpTestClient http) {
    return json(http.get("/v1/cluster")).at("/members/0/load");
  }

  @Test
  void healthAndKindsAnswerWhileEveryWorkerIsBusyAndTheQueueFullGets429() {
    HttpTestClient http = start(2, 1);
    List<CompletableFuture<HttpResponse<String>>> long_ = new ArrayList<>();
    for (int i = 0; i < 4; i++) { // 2 run, 2 wait (one per worker): full
      long_.add(http.postTaskAsync("spin", "{\"ms\":20000}"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> load(http).at("/running").asInt() == 2
        && load(http).at("/queued").asInt() == 2);

    HttpResponse<String> health = http.get("/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(json(health).at("/status").asText()).isEqualTo("UP");
    assertThat(http.get("/v1/kinds").statusCode()).isEqualTo(200);
    assertThat(http.get("/ready").statusCode()).isEqualTo(200);

    long asked = System.nanoTime();
    HttpResponse<String> rejected = http.postTask("spin", "{\"ms\":1}");
    assertProblem(rejected, 429, null);
    // it waited for room (admission-wait, 1 s) before it was refused
    assertThat((System.nanoTime() - asked) / 1_000_000).isGreaterThanOrEqualTo(900);
    assertThat(rejected.headers().firstValue("Retry-After")).hasValue("1");
    long_.forEach(f -> f.cancel(true));
  }

  @Test
  void aTaskThatFindsTheQueueFullWaitsForRoomInsteadOfBeingRefused() {
    HttpTestClient http = start(1, 1, "30s");
    List<CompletableFuture<HttpResponse<String>>> tasks = new ArrayList<>();
    for (int i = 0; i < 4; i++) { // one runs, one waits in the queue, two wait for room in it
      tasks.add(http.postTaskAsync("spin", "{\"ms\":200}"));
    }
    assertThat(tasks).allSatisfy(t -> assertThat(t.join().statusCode()).as(t.join().body()).isEqualTo(200));
  }

  @Test
  void withNoAdmissionWaitAFullQueueRefusesAtOnce() {
    HttpTestClient http = start(1, 1, "0s");
    List<CompletableFuture<HttpResponse<String>>> long_ = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      long_.add(http.postTaskAsync("spin", "{\"ms\":20000}"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> load(http).at("/queued").asInt() == 1);
    assertProblem(http.postTask("spin", "{\"ms\":1}"), 429, null);
    long_.forEach(f -> f.cancel(true));
  }

  @Test
  void aTaskPastItsDeadlineGets504AndItsWorkerIsFreeAtOnce() {
    HttpTestClient http = start(1, 4);
    HttpResponse<String> late = http.post("/v1/tasks/spin?timeoutMs=200", "{\"ms\":5000}", "application/json");
    assertProblem(late, 504, null);
    // With the only worker still spinning, this would wait for the 5 s spin and fail its 2 s deadline.
    HttpResponse<String> next = http.post("/v1/tasks/spin?timeoutMs=2000", "{\"ms\":1}", "application/json");
    assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    // The worker answers before it marks itself idle, so the count may lag the response by a moment.
    await().atMost(Duration.ofSeconds(5)).until(() -> load(http).at("/running").asInt() == 0);
  }

  @Test
  void aNodeWhosePoolTakesNoTasksAnswers503AndIsNotReady() throws Exception {
    HttpTestClient http = start(1, 4);
    ActorRef<PoolProtocol.PoolCommand> pool = node.pool();
    AskPattern.<PoolProtocol.PoolCommand, WorkerPool.Drained>ask(pool, r -> new WorkerPool.Drain(Duration.ZERO, r),
        Duration.ofSeconds(5), node.system().scheduler()).toCompletableFuture().get();
    await().atMost(Duration.ofSeconds(5)).until(() -> http.get("/ready").statusCode() == 503);
    assertProblem(http.get("/ready"), 503, null);
    assertProblem(http.postTask("primes", "{\"limit\":10}"), 503, null);
    assertThat(http.get("/health").statusCode()).isEqualTo(200);
  }
}
