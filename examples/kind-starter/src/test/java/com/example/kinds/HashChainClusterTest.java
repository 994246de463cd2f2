package com.example.kinds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.testkit.AnvilCluster;
import dev.anvil.testkit.AnvilClusterExtension;
import dev.anvil.testkit.JobHandle;
import dev.anvil.testkit.TaskAnswer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The kind on a 3-node Anvil cluster in this JVM, as it will run in production: through HTTP, across nodes. */
class HashChainClusterTest {

  @RegisterExtension
  final AnvilClusterExtension anvil = AnvilClusterExtension.configured(b -> b.nodes(3).workersPerNode(1));

  @Test
  void everyTaskSucceedsWhileANodeCrashes() {
    AnvilCluster cluster = anvil.cluster();
    List<CompletableFuture<TaskAnswer>> answers = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      answers.add(cluster.node(0).submitAsync("hash-chain", "{\"seed\":\"s" + i + "\",\"rounds\":2000000}"));
    }
    cluster.crash(2); // as kill -9 would: its tasks run again on the others
    List<TaskAnswer> done = answers.stream().map(CompletableFuture::join).toList();
    assertThat(done).allSatisfy(a -> {
      assertThat(a.succeeded()).as(a.body()).isTrue();
      assertThat(a.result().path("hex").asText()).hasSize(64);
    });
    cluster.awaitRemoved(2);
  }

  @Test
  void aBadInputIsA400NamingTheField() {
    TaskAnswer answer = anvil.cluster().node(1).submit("hash-chain", "{\"seed\":\"a\",\"rounds\":0}");
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.json().path("field").asText()).isEqualTo("rounds");
  }

  @Test
  void aJobReportsProgressAndEndsWithTheResult() {
    AnvilCluster cluster = anvil.cluster();
    JobHandle job = cluster.node(0).submitJob("hash-chain", "{\"seed\":\"job\",\"rounds\":3000000}");
    var view = job.awaitFinal(cluster.node(2), Duration.ofSeconds(60)); // any node answers for any job
    assertThat(view.path("status").asText()).isEqualTo("succeeded");
    assertThat(view.path("progress").asDouble()).isEqualTo(1.0);
    assertThat(view.path("result").path("rounds").asInt()).isEqualTo(3000000);
  }
}
