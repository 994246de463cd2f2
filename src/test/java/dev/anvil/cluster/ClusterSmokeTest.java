package dev.anvil.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.testkit.AnvilCluster;
import dev.anvil.testkit.AnvilClusterExtension;
import dev.anvil.testkit.AnvilNode;
import dev.anvil.testkit.ClusterView;
import dev.anvil.testkit.JobHandle;
import dev.anvil.testkit.TaskAnswer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The quick tier's one clustered test: on two one-worker nodes in this JVM, a task spills to the
 * free node, a large input and result cross on the large-message channel, a job submitted to one
 * node is read with its result from the other, and a node that leaves gracefully finishes its task
 * first. Each of these has its own, costlier tests in the full tier (ClusterRoutingTest,
 * JobClusterTest, AnvilClusterTest, AnvilClusterCutTest).
 */
class ClusterSmokeTest {

  @RegisterExtension
  final AnvilClusterExtension anvil = AnvilClusterExtension.configured(b -> b.nodes(2).workersPerNode(1));

  @Test
  void spillLargeMessagesJobsAndAGracefulLeave() {
    AnvilCluster cluster = anvil.cluster();
    AnvilNode a = cluster.node(0);
    AnvilNode b = cluster.node(1);

    // a's one worker busy: a large stats input spills to b, over the large-message channel both ways
    CompletableFuture<TaskAnswer> blocker = a.submitAsync("spin", "{\"ms\":3000}");
    await().atMost(Duration.ofSeconds(10)).until(() -> ClusterView.read(a.httpPort()).running(a.id()) == 1);
    StringBuilder values = new StringBuilder("{\"values\":[");
    for (int i = 0; i < 40_000; i++) {
      values.append(i == 0 ? "" : ",").append(100_000 + i);
    }
    TaskAnswer stats = a.submit("stats", values.append("]}").toString()); // ~280 KB: over an ordinary frame
    assertThat(stats.succeeded()).as(stats.body()).isTrue();
    assertThat(stats.node()).isEqualTo(b.id());
    assertThat(stats.result().path("count").asInt()).isEqualTo(40_000);
    TaskAnswer letters = a.submit("test-letters", "{\"size\":300000}");
    assertThat(letters.succeeded()).as(letters.body()).isTrue();
    assertThat(letters.node()).isEqualTo(b.id());
    assertThat(letters.result().asText()).hasSize(300_000);
    assertThat(blocker.join().succeeded()).isTrue();

    // a job accepted by a is read, with its result, from b
    JobHandle job = a.submitJob("primes", "{\"limit\":100000}");
    JsonNode done = job.awaitFinal(b, Duration.ofSeconds(30));
    assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("succeeded");
    assertThat(done.path("result").path("count").asInt()).isEqualTo(9592);

    // b leaves while it runs a task: the task still answers 200, and a serves on alone
    CompletableFuture<TaskAnswer> onB = b.submitAsync("spin", "{\"ms\":1500}");
    await().atMost(Duration.ofSeconds(10)).until(() -> ClusterView.read(a.httpPort()).running(b.id()) == 1);
    cluster.stop(1);
    TaskAnswer finished = onB.join();
    assertThat(finished.succeeded()).as(finished.body()).isTrue();
    assertThat(finished.node()).isEqualTo(b.id());
    cluster.awaitRemoved(1);
    assertThat(a.submit("primes", "{\"limit\":1000}").result().path("count").asInt()).isEqualTo(168);
  }

}
