package dev.anvil.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.anvil.Tiers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The testkit's cut and heal between two nodes: tasks run while the two cannot reach each other,
 * and after the heal nobody was downed; then a graceful stop leaves at once. Production's 7 s
 * stable-after, not the testkit's 3 s, since the cut is healed a few seconds after it is seen.
 */
@Tag(Tiers.SLOW)
class AnvilClusterCutTest {

  @RegisterExtension
  final AnvilClusterExtension anvil = AnvilClusterExtension.configured(b -> b.nodes(3).workersPerNode(1)
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

  private static boolean reachable(AnvilNode from, AnvilNode to) {
    return ClusterView.read(from.httpPort()).reachable(to.id());
  }
}
