package dev.anvil.jobs;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Three clustered nodes in one JVM: every node answers for every job, and a job outlives its node. */
@Tag(Tiers.SLOW)
class JobClusterTest {

  private final List<RunningNode> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    nodes.forEach(RunningNode::close);
  }

  private List<HttpTestClient> threeNodes() {
    RunningNode a = TestNodes.start(Map.of("anvil.compute.workers", 1));
    nodes.add(a);
    for (int i = 0; i < 2; i++) {
      nodes.add(TestNodes.start(Map.of("anvil.compute.workers", 1, "anvil.cluster.seed-nodes", a.nodeId())));
    }
    List<HttpTestClient> clients = nodes.stream().map(n -> new HttpTestClient(n.httpPort())).toList();
    for (HttpTestClient http : clients) {
      await().atMost(Duration.ofSeconds(30)).until(() -> ClusterView.read(http.port()).up() == 3);
    }
    return clients;
  }

  private static String accepted(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    return json(response).at("/id").asText();
  }

  @Test
  void aJobSubmittedToOneNodeIsReadableWithItsResultFromEveryNode() {
    List<HttpTestClient> http = threeNodes();
    String id = accepted(http.get(0).post("/v1/jobs/primes", "{\"limit\":100000}", "application/json"));
    for (HttpTestClient each : http) {
      await().atMost(Duration.ofSeconds(20)).until(() -> json(each.get("/v1/jobs/" + id)).at("/status").asText()
          .equals("succeeded"));
      assertThat(json(each.get("/v1/jobs/" + id)).at("/result/count").asInt()).isEqualTo(9592);
    }
  }

  @Test
  void jobsOfANodeThatLeavesAreRunAgainElsewhereAndNoneIsLost() {
    List<HttpTestClient> http = threeNodes();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) { // more than the owner runs at once: most wait in its job queue
      ids.add(accepted(http.get(0).post("/v1/jobs/spin", "{\"ms\":1500}", "application/json")));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> json(http.get(1).get("/v1/jobs/" + ids.get(0))).at("/status")
        .asText().equals("running"));
    // the node that took them, and owns them, goes away while they run
    RunningNode leaving = nodes.remove(0);
    leaving.system().terminate();
    for (String id : ids) {
      await().atMost(Duration.ofSeconds(60)).until(() -> json(http.get(1).get("/v1/jobs/" + id)).at("/status")
          .asText().equals("succeeded"));
      JsonNode onB = json(http.get(1).get("/v1/jobs/" + id));
      JsonNode onC = json(http.get(2).get("/v1/jobs/" + id));
      assertThat(onC.at("/status").asText()).isEqualTo("succeeded");
      assertThat(onC.at("/result")).isEqualTo(onB.at("/result"));
    }
    // the listing is a projection of the journal: it sees a change a moment after the job's entity
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(json(http.get(2).get("/v1/jobs?kind=spin")).at("/jobs")).hasSize(10);
      assertThat(json(http.get(1).get("/v1/jobs?kind=spin&status=succeeded")).at("/jobs")).hasSize(10);
    });
    JsonNode listed = json(http.get(2).get("/v1/jobs?kind=spin")).at("/jobs");
    int rerun = 0;
    for (JsonNode job : listed) {
      rerun += job.at("/attempts").asInt() > 1 ? 1 : 0;
    }
    assertThat(rerun).as("jobs adopted after their node left").isPositive();
  }
}
