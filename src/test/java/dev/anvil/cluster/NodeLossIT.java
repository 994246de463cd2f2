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
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Nodes started by hand on one machine, as the README shows: losing the oldest node, and a
 * stranger that would share the HTTP port.
 */
@Tag(Tiers.FAULTS)
class NodeLossIT {

  @Test
  void twoNodesByHandTheOldestKilledTheOtherDownsItAndServesOn() throws Exception {
    int httpA = FreePorts.one();
    int httpB = FreePorts.one();
    int clusterA = FreePorts.one();
    try (NodeProcess a = NodeProcess.start(Map.of(), "node", "--http-port", "" + httpA, "--cluster-port",
        "" + clusterA);
        NodeProcess b = NodeProcess.start(Map.of(), "node", "--http-port", "" + httpB, "--cluster-port", "0",
            "--seed-nodes", "127.0.0.1:" + clusterA)) {
      a.awaitServing(Duration.ofSeconds(60));
      String nodeB = b.awaitServing(Duration.ofSeconds(60))[0];
      HttpTestClient http = new HttpTestClient(httpB);
      await().atMost(Duration.ofSeconds(30)).until(() -> ClusterView.read(http.port()).up() == 2);

      long killed = System.nanoTime();
      a.process().destroyForcibly(); // the oldest, as kill -9
      int failed = 0;
      int served = 0;
      // while B notices and decides, and after: every task sent to B is answered
      while (ClusterView.read(http.port()).up() != 1 || served < 20) {
        HttpResponse<String> r = http.postTask("primes", "{\"limit\":10000}");
        if (r.statusCode() == 200) {
          served++;
        } else {
          failed++;
        }
        assertThat(b.process().isAlive()).as(b.output()).isTrue();
        assertThat((System.nanoTime() - killed) / 1_000_000_000).as("downed within 60 s").isLessThan(60);
      }
      long downedMs = (System.nanoTime() - killed) / 1_000_000;
      System.out.println("NodeLossIT: the oldest node was downed " + downedMs + " ms after kill -9; "
          + served + " tasks served, " + failed + " failed meanwhile");
      assertThat(failed).isZero();
      // Down first (ClusterView.up counts Up ones), then removed: B's view ends with B alone
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        JsonNode members = json(http.get("/v1/cluster")).at("/members");
        assertThat(members).hasSize(1);
        assertThat(members.at("/0/node").asText()).isEqualTo(nodeB);
      });
      assertThat(b.output()).contains("SBR took decision").doesNotContain("including myself");
      assertThat(json(http.get("/ready")).at("/status").asText()).isEqualTo("READY");
    }
  }

  @Test
  void aStrangerOnTheHttpPortIsRefusedInOneLine() throws Exception {
    int http = FreePorts.one();
    try (NodeProcess a = NodeProcess.start(Map.of(), "node", "--http-port", "" + http, "--cluster-port", "0")) {
      String nodeA = a.awaitServing(Duration.ofSeconds(60))[0];
      try (NodeProcess stranger = NodeProcess.start(Map.of(), "node", "--http-port", "" + http, "--cluster-port",
          "0")) {
        assertThat(stranger.awaitExit()).isEqualTo(1);
        assertThat(stranger.lines()).as(stranger.output()).hasSize(1);
        assertThat(stranger.lines().get(0)).contains("is already served by Anvil node " + nodeA)
            .contains("--seed-nodes " + nodeA);
      }
      assertThat(new HttpTestClient(http).get("/health").statusCode()).isEqualTo(200);
    }
  }

}
