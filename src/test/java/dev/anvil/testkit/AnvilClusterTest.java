package dev.anvil.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.Tiers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The testkit on Anvil's own hardest cases: a node crashed under load, a cut between two nodes, a job's node lost. */
@Tag(Tiers.SLOW)
class AnvilClusterTest {

  @RegisterExtension
  final AnvilClusterExtension anvil = AnvilClusterExtension.configured(b -> b.nodes(3).workersPerNode(1)
      // production's value, not the testkit's 3 s: the cut below is healed a few seconds after it is seen
      .config("pekko.cluster.split-brain-resolver.stable-after", "7s"));

  @Test
  void tasksRunAcrossTheClusterACutIsHealedAndAGracefulStopLeavesAtOnce() {
    AnvilCluster cluster = anvil.cluster();
    List<CompletableFuture<TaskAnswer>> answers = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      answers.add(cluster.node(0).submitAsync("spin", "{\"ms\":200}"));
    }
    List<TaskAnswer> done = answers.stream().map(CompletableFuture::join).toList();
    assertThat(done).allSatisfy(a -> assertThat(a.succeeded()).as(a.body()).isTrue());
    assertThat(done.stream().map(TaskAnswer::node).distinct()).hasSize(3);

    cluster.cut(0, 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> !reachable(cluster.node(0), cluster.node(1)));
    // tasks still run (reachability is gossiped: every node now counts 0 and 1 unreachable)
    assertThat(cluster.node(0).submit("primes", "{\"limit\":1000}").succeeded()).isTrue();
    cluster.heal(0, 1); // within the split brain resolver's stable-after (7 s here): nobody is downed
    await().atMost(Duration.ofSeconds(10)).until(() -> reachable(cluster.node(0), cluster.node(1)));
    cluster.awaitUp();

    cluster.stop(1);
    cluster.awaitRemoved(1);
    assertThat(cluster.liveNodes()).extracting(AnvilNode::index).containsExactly(0, 2);
  }

  @Test
  void tasksAndAJobOfANodeThatCrashesUnderThemAllSucceed() {
    AnvilCluster cluster = anvil.cluster();
    JobHandle job = cluster.node(2).submitJob("spin", "{\"ms\":3000}");
    // the node that runs the job (where its entity lives) is the one to crash
    await().atMost(Duration.ofSeconds(10)).until(() -> job.view(cluster.node(0)).path("status").asText()
        .equals("running"));
    String runsOn = job.view(cluster.node(0)).path("node").asText();
    int victim = java.util.stream.IntStream.range(0, 3).filter(i -> cluster.node(i).id().equals(runsOn))
        .findFirst().orElseThrow();
    int entry = (victim + 1) % 3;
    // 12 tasks of 1.5 s on 3 one-worker nodes: the victim runs some of them when it dies
    List<CompletableFuture<TaskAnswer>> answers = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      answers.add(cluster.node(entry).submitAsync("spin", "{\"ms\":1500}"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> ClusterView.read(cluster.node(victim).httpPort())
        .running(cluster.node(victim).id()) > 0);
    cluster.crash(victim);
    List<TaskAnswer> done = answers.stream().map(CompletableFuture::join).toList();
    assertThat(done).allSatisfy(a -> assertThat(a.succeeded()).as(a.body()).isTrue());
    JsonNode view = job.awaitFinal(cluster.node(entry), Duration.ofSeconds(60));
    assertThat(view.path("status").asText()).isEqualTo("succeeded");
    assertThat(view.path("attempts").asInt()).isGreaterThanOrEqualTo(2);
    cluster.awaitRemoved(victim);
    int other = 3 - victim - entry;
    assertThat(cluster.node(other).submit("primes", "{\"limit\":1000}").result().path("count").asInt())
        .isEqualTo(168);
  }

  private static boolean reachable(AnvilNode from, AnvilNode to) {
    return ClusterView.read(from.httpPort()).reachable(to.id());
  }
}
