package dev.anvil.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.HttpTestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The testkit on Anvil's own hardest cases: a node crashed under load, a cut between two nodes, a job's node lost. */
class AnvilClusterTest {

  @RegisterExtension
  final AnvilClusterExtension anvil = AnvilClusterExtension.configured(b -> b.nodes(3).workersPerNode(1));

  @Test
  void tasksSentToOneNodeRunAcrossTheCluster() {
    AnvilCluster cluster = anvil.cluster();
    List<CompletableFuture<TaskAnswer>> answers = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      answers.add(cluster.node(0).submitAsync("spin", "{\"ms\":200}"));
    }
    List<TaskAnswer> done = answers.stream().map(CompletableFuture::join).toList();
    assertThat(done).allSatisfy(a -> assertThat(a.succeeded()).as(a.body()).isTrue());
    assertThat(done.stream().map(TaskAnswer::node).distinct()).hasSize(3);
  }

  @Test
  void everyTaskSucceedsWhenANodeCrashesUnderThem() {
    AnvilCluster cluster = anvil.cluster();
    // 12 tasks of 1.5 s on 3 one-worker nodes: node 2 runs some of them when it dies
    List<CompletableFuture<TaskAnswer>> answers = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      answers.add(cluster.node(0).submitAsync("spin", "{\"ms\":1500}"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> running(cluster.node(2)) > 0);
    cluster.crash(2);
    List<TaskAnswer> done = answers.stream().map(CompletableFuture::join).toList();
    assertThat(done).allSatisfy(a -> assertThat(a.succeeded()).as(a.body()).isTrue());
    cluster.awaitRemoved(2);
    assertThat(cluster.liveNodes()).hasSize(2);
    assertThat(cluster.node(1).submit("primes", "{\"limit\":1000}").result().path("count").asInt()).isEqualTo(168);
  }

  @Test
  void aCutMakesTwoNodesUnreachableToEachOtherAndAHealJoinsThemAgain() {
    AnvilCluster cluster = anvil.cluster();
    cluster.cut(0, 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> !reachable(cluster.node(0), cluster.node(1)));
    // node 2 still reaches both, and tasks still run
    assertThat(reachable(cluster.node(2), cluster.node(0))).isTrue();
    assertThat(cluster.node(0).submit("primes", "{\"limit\":1000}").succeeded()).isTrue();
    cluster.heal(0, 1); // well within the split brain resolver's stable-after: nobody is downed
    await().atMost(Duration.ofSeconds(10)).until(() -> reachable(cluster.node(0), cluster.node(1)));
    cluster.awaitUp();
  }

  @Test
  void aJobWhoseNodeCrashesIsFinishedByAnother() {
    AnvilCluster cluster = anvil.cluster();
    JobHandle job = cluster.node(1).submitJob("spin", "{\"ms\":2000}");
    await().atMost(Duration.ofSeconds(10)).until(() -> job.view(cluster.node(0)).path("status").asText()
        .equals("running"));
    cluster.crash(1);
    JsonNode view = job.awaitFinal(cluster.node(0), Duration.ofSeconds(60));
    assertThat(view.path("status").asText()).isEqualTo("succeeded");
    assertThat(view.path("attempts").asInt()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aGracefulStopLeavesTheClusterAtOnce() {
    AnvilCluster cluster = anvil.cluster();
    cluster.stop(1);
    cluster.awaitRemoved(1);
    assertThat(cluster.liveNodes()).extracting(AnvilNode::index).containsExactly(0, 2);
  }

  private static int running(AnvilNode node) {
    JsonNode view = HttpTestClient.json(new HttpTestClient(node.httpPort()).get("/v1/cluster"));
    for (JsonNode m : view.path("members")) {
      if (m.path("node").asText().equals(node.id())) {
        return m.path("load").path("running").asInt();
      }
    }
    return 0;
  }

  private static boolean reachable(AnvilNode from, AnvilNode to) {
    JsonNode view = HttpTestClient.json(new HttpTestClient(from.httpPort()).get("/v1/cluster"));
    for (JsonNode m : view.path("members")) {
      if (m.path("node").asText().equals(to.id())) {
        return m.path("reachable").asBoolean();
      }
    }
    return false;
  }
}
