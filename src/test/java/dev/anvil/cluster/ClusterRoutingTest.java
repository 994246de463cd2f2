package dev.anvil.cluster;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.Tiers;
import dev.anvil.node.RunningNode;
import dev.anvil.testkit.ClusterView;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two clustered nodes in one JVM: tasks entering one node run on both, and survive the other's
 * loss. The tests that leave their nodes as they found them share one pair (A with one worker, B
 * with two); those that down or stop a node start their own.
 */
@Tag(Tiers.SLOW)
class ClusterRoutingTest {

  private static final List<RunningNode> SHARED = new ArrayList<>();
  private static RunningNode[] shared;
  private final List<RunningNode> nodes = new ArrayList<>();

  @BeforeAll
  static void startSharedPair() {
    shared = twoNodes(SHARED, 1, 2);
  }

  @AfterAll
  static void stopSharedPair() {
    SHARED.forEach(RunningNode::close);
  }

  @AfterEach
  void stop() {
    nodes.forEach(RunningNode::close);
  }

  private static RunningNode node(List<RunningNode> started, int workers, String seed) {
    RunningNode node = TestNodes.start(Map.of("anvil.compute.workers", workers,
        "anvil.cluster.seed-nodes", seed == null ? "" : seed));
    started.add(node);
    return node;
  }

  /** Starts A, then B joining A, and waits until each one's router knows the other's pool. */
  private static RunningNode[] twoNodes(List<RunningNode> started, int workersA, int workersB) {
    RunningNode a = node(started, workersA, null);
    RunningNode b = node(started, workersB, a.nodeId());
    for (RunningNode n : List.of(a, b)) {
      await().atMost(Duration.ofSeconds(20)).until(() -> ClusterView.read(n.httpPort()).ready() == 2);
    }
    return new RunningNode[] {a, b};
  }

  private RunningNode[] twoNodes(int workersA, int workersB) {
    return twoNodes(nodes, workersA, workersB);
  }

  private static List<HttpResponse<String>> sendConcurrently(HttpTestClient http, int count, String kind,
      String body) {
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      futures.add(http.postTaskAsync(kind, body));
    }
    return futures.stream().map(CompletableFuture::join).toList();
  }

  private static Map<String, Long> byNode(List<HttpResponse<String>> responses) {
    return responses.stream().collect(Collectors.groupingBy(r -> json(r).at("/node").asText(),
        Collectors.counting()));
  }

  @Test
  void tasksSentToOneNodeAreComputedOnBothInProportionToTheirWorkers() {
    RunningNode[] ab = shared;
    HttpTestClient http = new HttpTestClient(ab[0].httpPort());
    List<HttpResponse<String>> responses = sendConcurrently(http, 18, "spin", "{\"ms\":300}");
    assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).as(r.body()).isEqualTo(200));
    assertThat(responses).allSatisfy(r -> assertThat(json(r).at("/receivedBy").asText()).isEqualTo(ab[0].nodeId()));
    Map<String, Long> counts = byNode(responses);
    assertThat(counts.keySet()).containsExactlyInAnyOrder(ab[0].nodeId(), ab[1].nodeId());
    // one worker on A, two on B: about 6 and 12
    assertThat(counts.get(ab[0].nodeId())).as(counts.toString()).isBetween(4L, 8L);
  }

  @Test
  void aTaskRunsOnTheNodeThatReceivedItWhileThatNodeHasAFreeWorker() {
    RunningNode[] ab = shared;
    HttpTestClient http = new HttpTestClient(ab[0].httpPort());
    for (int i = 0; i < 20; i++) {
      // A worker answers before it returns to the idle ones (its client need not wait for that); on a
      // loaded machine the next request could otherwise come first, wait past spill-after and go to B
      await().atMost(Duration.ofSeconds(5)).until(() -> ClusterView.read(http.port()).running(ab[0].nodeId()) == 0);
      HttpResponse<String> r = http.postTask("primes", "{\"limit\":1000}");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(json(r).at("/node").asText()).isEqualTo(ab[0].nodeId());
      assertThat(json(r).at("/receivedBy").asText()).isEqualTo(ab[0].nodeId());
    }
  }

  @Test
  void largeInputsAndResultsCrossNodesOnTheLargeMessageChannel() {
    RunningNode[] ab = shared;
    HttpTestClient http = new HttpTestClient(ab[0].httpPort());
    CompletableFuture<HttpResponse<String>> blocker = http.postTaskAsync("spin", "{\"ms\":3000}");
    await().atMost(Duration.ofSeconds(10)).until(() -> ClusterView.read(http.port()).running(ab[0].nodeId()) == 1);

    StringBuilder values = new StringBuilder("{\"values\":[");
    for (int i = 0; i < 40_000; i++) {
      values.append(i == 0 ? "" : ",").append(100_000 + i);
    }
    String bigInput = values.append("]}").toString(); // about 280 KB: over an ordinary frame
    HttpResponse<String> stats = http.postTask("stats", bigInput);
    assertThat(stats.statusCode()).as(stats.body()).isEqualTo(200);
    assertThat(json(stats).at("/node").asText()).isEqualTo(ab[1].nodeId());
    assertThat(json(stats).at("/result/count").asInt()).isEqualTo(40_000);

    HttpResponse<String> letters = http.postTask("test-letters", "{\"size\":300000}");
    assertThat(letters.statusCode()).as(letters.body()).isEqualTo(200);
    assertThat(json(letters).at("/node").asText()).isEqualTo(ab[1].nodeId());
    assertThat(json(letters).at("/result").asText()).hasSize(300_000);
    assertThat(blocker.join().statusCode()).isEqualTo(200);
  }

  @Test
  void clusterViewListsEveryMemberWithItsLoad() {
    RunningNode[] ab = shared;
    JsonNode cluster = json(new HttpTestClient(ab[1].httpPort()).get("/v1/cluster"));
    assertThat(cluster.at("/self").asText()).isEqualTo(ab[1].nodeId());
    Map<String, Integer> workers = new java.util.HashMap<>();
    cluster.at("/members").forEach(m -> workers.put(m.at("/node").asText(), m.at("/load/workers").asInt()));
    assertThat(workers).isEqualTo(Map.of(ab[0].nodeId(), 1, ab[1].nodeId(), 2));
    assertThat(json(new HttpTestClient(ab[0].httpPort()).get("/health")).at("/members").asInt()).isEqualTo(2);
  }

  @Test
  void historyHoldsEveryNodesLastSecondsFromAnyNode() {
    RunningNode[] ab = shared;
    HttpTestClient http = new HttpTestClient(ab[0].httpPort());
    for (int i = 0; i < 4; i++) {
      assertThat(new HttpTestClient(ab[1].httpPort()).postTask("primes", "{\"limit\":1000}").statusCode())
          .isEqualTo(200);
    }
    // B's workers ran the tasks entering at B (it has a free worker); A, asked, reports B's seconds
    await().atMost(Duration.ofSeconds(10)).until(() -> busySeconds(json(http.get("/v1/cluster/history")),
        ab[1].nodeId()) > 0);
    JsonNode history = json(http.get("/v1/cluster/history"));
    assertThat(history.at("/self").asText()).isEqualTo(ab[0].nodeId());
    assertThat(history.at("/intervalMs").asInt()).isEqualTo(1000);
    List<String> nodes = new ArrayList<>();
    history.at("/nodes").forEach(n -> nodes.add(n.at("/node").asText()));
    assertThat(nodes).containsExactlyInAnyOrder(ab[0].nodeId(), ab[1].nodeId());
    for (JsonNode n : history.at("/nodes")) {
      long last = 0;
      for (JsonNode sample : n.at("/samples")) {
        assertThat(sample.at("/time").asLong()).as("samples oldest first").isGreaterThan(last);
        assertThat(sample.at("/rate").asDouble()).isGreaterThanOrEqualTo(0);
        last = sample.at("/time").asLong();
      }
      assertThat(last).as("the newest sample is from the last seconds")
          .isGreaterThan(System.currentTimeMillis() - 10_000);
    }
  }

  private static long busySeconds(JsonNode history, String node) {
    long busy = 0;
    for (JsonNode n : history.at("/nodes")) {
      if (n.at("/node").asText().equals(node)) {
        for (JsonNode sample : n.at("/samples")) {
          busy += sample.at("/rate").asDouble() > 0 ? 1 : 0;
        }
      }
    }
    return busy;
  }

  @Test
  void tasksOfANodeThatIsDownedRunAgainElsewhere() {
    RunningNode[] ab = twoNodes(1, 2);
    HttpTestClient http = new HttpTestClient(ab[0].httpPort());
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (int i = 0; i < 3; i++) { // one runs on A, two on B
      futures.add(http.postTaskAsync("spin", "{\"ms\":4000}"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> ClusterView.read(http.port()).running(ab[1].nodeId()) == 2);
    Cluster.get(ab[0].system()).manager().tell(new Down(Cluster.get(ab[1].system()).selfMember().address()));

    List<HttpResponse<String>> responses = futures.stream().map(CompletableFuture::join).toList();
    assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).as(r.body()).isEqualTo(200));
    assertThat(byNode(responses)).isEqualTo(Map.of(ab[0].nodeId(), 3L));
  }

  @Test
  void aNodeThatLeavesGracefullyFinishesItsTasksFirst() {
    RunningNode[] ab = twoNodes(1, 1);
    HttpTestClient http = new HttpTestClient(ab[0].httpPort());
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      futures.add(http.postTaskAsync("spin", "{\"ms\":1500}"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> ClusterView.read(http.port()).running(ab[1].nodeId()) == 1);
    CompletableFuture<Void> leaving = CompletableFuture.runAsync(ab[1]::close);
    nodes.remove(ab[1]);

    List<HttpResponse<String>> responses = futures.stream().map(CompletableFuture::join).toList();
    leaving.join();
    assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).as(r.body()).isEqualTo(200));
    assertThat(byNode(responses)).isEqualTo(Map.of(ab[0].nodeId(), 1L, ab[1].nodeId(), 1L));
    assertThat(http.postTask("spin", "{\"ms\":1}").statusCode()).isEqualTo(200);
  }


}
