package dev.anvil.node;

import static dev.anvil.HttpTestClient.json;
import static dev.anvil.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.Tiers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A node whose JVM is unfit to go on says so on /health and /ready at once, drains, and stops. */
@Tag(Tiers.SLOW)
class UnfitNodeTest {

  @Test
  void pastTheToleratedStuckThreadsTheNodeSaysSoAndStops() throws Exception {
    RunningNode node = TestNodes.start(Map.of("anvil.compute.workers", 1, "anvil.compute.stuck-grace", "100ms",
        "anvil.compute.max-stuck-workers", 0));
    try {
      HttpTestClient http = new HttpTestClient(node.httpPort());
      // holds the stop in its drain phase, as a long drain would, so the answers meanwhile can be seen
      CompletableFuture<Done> hold = new CompletableFuture<>();
      CoordinatedShutdown.get(node.system()).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "test-hold",
          () -> hold);

      HttpResponse<String> stuck = http.post("/v1/tasks/test-stubborn?timeoutMs=100", "{\"ms\":3000}",
          "application/json");
      assertProblem(stuck, 504, null);
      await().atMost(Duration.ofSeconds(5)).until(() -> http.get("/health").statusCode() == 503);
      HttpResponse<String> health = http.get("/health");
      assertProblem(health, 503, null);
      assertThat(json(health).at("/type").asText()).isEqualTo("urn:anvil:problem:node-unfit");
      assertThat(json(health).at("/detail").asText()).contains("1 worker threads are stuck");
      assertProblem(http.get("/ready"), 503, null);

      hold.complete(Done.getInstance());
      node.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(CoordinatedShutdown.get(node.system()).getShutdownReason()).hasValue(NodeUnfit.INSTANCE);
    } finally {
      node.close();
    }
  }
}
