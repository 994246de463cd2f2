package dev.anvil.batch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.testkit.AnvilCluster;
import dev.anvil.testkit.AnvilClusterExtension;
import dev.anvil.testkit.AnvilNode;
import dev.anvil.testkit.BatchAnswer;
import dev.anvil.testkit.ClusterView;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A node lost in the middle of a batch: the items it held run again on the others, each answered once. */
@Tag("slow")
class BatchNodeLossTest {

  @RegisterExtension
  final AnvilClusterExtension anvil = AnvilClusterExtension.configured(b -> b.nodes(2).workersPerNode(1));

  @Test
  void aNodeKilledMidBatchHasItsItemsRunElsewhereAndEveryIndexIsAnsweredOnce() {
    AnvilCluster cluster = anvil.cluster();
    AnvilNode a = cluster.node(0);
    AnvilNode b = cluster.node(1);
    int n = 60;
    List<String> lines = IntStream.range(0, n).mapToObj(i -> "{\"ms\":" + (150 + i) + "}").toList();
    CompletableFuture<BatchAnswer> batch = CompletableFuture.supplyAsync(() -> a.batch("spin", lines, false));
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> ClusterView.read(a.uri()).running(b.id()) == 1);

    cluster.crash(1); // as kill -9: its items never answer

    BatchAnswer answer = batch.join();
    assertThat(answer.status()).isEqualTo(200);
    Set<Integer> seen = new HashSet<>();
    for (JsonNode item : answer.items()) {
      int index = item.path("index").asInt();
      assertThat(seen.add(index)).as("index %d answered twice", index).isTrue();
      assertThat(item.path("status").asInt()).as(item.toString()).isEqualTo(200);
      assertThat(item.path("result").path("ms").asInt()).isEqualTo(150 + index);
    }
    assertThat(seen).hasSize(n);
    assertThat(answer.summary().path("succeeded").asInt()).isEqualTo(n);
    // what b held when it died ran on a
    assertThat(answer.items()).extracting(i -> i.path("node").asText()).contains(a.id());
  }
}
