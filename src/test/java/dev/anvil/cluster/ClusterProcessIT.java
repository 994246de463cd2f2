package dev.anvil.cluster;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.FreePorts;
import dev.anvil.HttpTestClient;
import dev.anvil.NodeProcess;
import dev.anvil.Tiers;
import dev.anvil.testkit.ClusterView;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Two node JVMs started by hand, as on two machines: routing across them, and a kill -9. */
@Tag(Tiers.CHAOS)
class ClusterProcessIT {

  @Test
  void tasksSentToOneNodeRunOnBothAndSurviveTheOtherBeingKilled() throws Exception {
    int httpA = FreePorts.one();
    int httpB = FreePorts.one();
    int clusterA = FreePorts.one();
    int clusterB = FreePorts.one();
    try (NodeProcess a = NodeProcess.start(Map.of(), "node", "--http-port", "" + httpA, "--cluster-port", "" + clusterA);
        NodeProcess b = NodeProcess.start(Map.of(), "node", "--http-port", "" + httpB, "--cluster-port", "" + clusterB,
            "--seed-nodes", "127.0.0.1:" + clusterA)) {
      String nodeA = a.awaitServing(Duration.ofSeconds(60))[0];
      String nodeB = b.awaitServing(Duration.ofSeconds(60))[0];
      HttpTestClient http = new HttpTestClient(httpA);
      await().atMost(Duration.ofSeconds(30)).until(() -> workersKnown(http) == 2);

      // 16 concurrent tasks sent only to A are computed on both, near evenly
      List<HttpResponse<String>> spread = send(http, 16, "{\"ms\":300}");
      assertThat(spread).allSatisfy(r -> assertThat(r.statusCode()).as(r.body()).isEqualTo(200));
      Map<String, Long> counts = spread.stream()
          .collect(Collectors.groupingBy(r -> json(r).at("/node").asText(), Collectors.counting()));
      assertThat(counts.keySet()).containsExactlyInAnyOrder(nodeA, nodeB);
      assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(6L, 10L));

      // kill -9 B while it computes half of them: every request sent to A still gets 200
      List<CompletableFuture<HttpResponse<String>>> inFlight = sendAsync(http, 16, "{\"ms\":1500}");
      await().atMost(Duration.ofSeconds(10)).until(() -> ClusterView.read(http.port()).running(nodeB) > 0);
      b.process().destroyForcibly();
      List<HttpResponse<String>> survived = inFlight.stream().map(CompletableFuture::join).toList();
      assertThat(survived).allSatisfy(r -> assertThat(r.statusCode()).as(r.body()).isEqualTo(200));
      assertThat(a.output()).contains("Sending").contains("again");
    }
  }

  private static List<CompletableFuture<HttpResponse<String>>> sendAsync(HttpTestClient http, int n, String body) {
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      futures.add(http.postTaskAsync("spin", body));
    }
    return futures;
  }

  private static List<HttpResponse<String>> send(HttpTestClient http, int n, String body) {
    return sendAsync(http, n, body).stream().map(CompletableFuture::join).toList();
  }

  private static int workersKnown(HttpTestClient http) {
    int known = 0;
    for (JsonNode m : json(http.get("/v1/cluster")).at("/members")) {
      known += m.at("/status").asText().equals("Up") && m.has("load") ? 1 : 0;
    }
    return known;
  }

}
