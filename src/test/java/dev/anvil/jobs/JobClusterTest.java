package dev.anvil.jobs;

import static dev.anvil.HttpTestClient.json;
import static dev.anvil.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.Tiers;
import dev.anvil.compute.TestKinds;
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

/**
 * Three clustered nodes in one JVM: every node answers for every job, large inputs and results
 * included, and a job outlives its node.
 */
@Tag(Tiers.SLOW)
class JobClusterTest {

  private final List<RunningNode> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    nodes.forEach(RunningNode::close);
  }

  private List<HttpTestClient> threeNodes() {
    return threeNodes(Map.of());
  }

  private List<HttpTestClient> threeNodes(Map<String, Object> extra) {
    Map<String, Object> first = new java.util.HashMap<>(extra);
    first.put("anvil.compute.workers", 1);
    RunningNode a = TestNodes.start(first);
    nodes.add(a);
    Map<String, Object> others = new java.util.HashMap<>(first);
    others.put("anvil.cluster.seed-nodes", a.nodeId());
    for (int i = 0; i < 2; i++) {
      nodes.add(TestNodes.start(others));
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
  void aJobSubmittedToOneNodeIsReadableWithItsResultFromEveryNode() throws Exception {
    String journal = TestNodes.newJournal();
    List<HttpTestClient> http = threeNodes(Map.of("anvil.jobs.journal.url", journal,
        "anvil.jobs.sweep-interval", "500ms"));
    String id = accepted(http.get(0).post("/v1/jobs/primes", "{\"limit\":100000}", "application/json"));
    for (HttpTestClient each : http) {
      await().atMost(Duration.ofSeconds(20)).until(() -> json(each.get("/v1/jobs/" + id)).at("/status").asText()
          .equals("succeeded"));
      assertThat(json(each.get("/v1/jobs/" + id)).at("/result/count").asInt()).isEqualTo(9592);
    }
    try (java.sql.Connection db = java.sql.DriverManager.getConnection(journal, "", "")) {
      largeInputsAndResults(http.get(0), http.get(1), db);
    }
  }

  /**
   * Inputs up to 1 MiB and results up to 16 MiB by default: those over inline-bytes are kept beside the job
   * (anvil_payloads), never in a cluster message, and every node reads them.
   */
  private static void largeInputsAndResults(HttpTestClient onA, HttpTestClient onB, java.sql.Connection db)
      throws Exception {
    // an input just under 1 MiB: 524,000 ones
    String ones = "1,".repeat(523_999) + "1";
    String input = "{\"values\":[" + ones + "]}";
    assertThat(input.length()).isBetween(1_000_000, 1024 * 1024);
    HttpResponse<String> big = submit(onA, "stats", input, "bounds-big");
    assertThat(big.statusCode()).as(big.body()).isEqualTo(202);
    String statsId = json(big).at("/id").asText();
    // a result of 6 MB: larger than any cluster message, kept beside the job
    HttpResponse<String> letters = submit(onA, "test-letters", "{\"size\":2000000}", null);
    assertThat(letters.statusCode()).as(letters.body()).isEqualTo(202);
    String lettersId = json(letters).at("/id").asText();
    // past the bound: 413 (a result past max-result-bytes failing its job is JobApiTest's)
    HttpResponse<String> tooBig = submit(onA, "stats", "{\"values\":[" + "1,".repeat(600_000) + "1]}", null);
    assertProblem(tooBig, 413, null);
    assertThat(json(tooBig).at("/detail").asText()).contains("anvil.jobs.max-input-bytes");

    String expected = new TestKinds.Letters().run(new TestKinds.Size(2_000_000), null);
    for (HttpTestClient http : new HttpTestClient[] {onA, onB}) {
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        HttpResponse<String> r = http.get("/v1/jobs/" + statsId);
        assertThat(json(r).at("/status").asText()).as(r.body()).isEqualTo("succeeded");
      });
      HttpResponse<String> statsJob = http.get("/v1/jobs/" + statsId);
      String statsBody = statsJob.body();
      assertThat(json(statsJob).at("/result/count").asInt()).as(statsBody).isEqualTo(524_000);
      await().atMost(Duration.ofSeconds(60)).until(() -> json(http.get("/v1/jobs/" + lettersId)).at("/status")
          .asText().equals("succeeded"));
      String result = json(http.get("/v1/jobs/" + lettersId)).at("/result").asText();
      assertThat(result).isEqualTo(expected);
    }
    // the same key finds the same job, with its result
    HttpResponse<String> again = submit(onB, "stats", input, "bounds-big");
    assertThat(json(again).at("/id").asText()).isEqualTo(statsId);
    assertThat(json(again).at("/result/count").asInt()).isEqualTo(524_000);
    assertThat(payloads(db)).as("the stored input and result").isEqualTo(2);
    // a deleted job's stored input and result go with its rows, at the keeper's next sweep (as past result-ttl)
    assertThat(onB.send(onB.request("/v1/jobs/" + statsId).DELETE().build()).statusCode()).isEqualTo(204);
    assertThat(onA.send(onA.request("/v1/jobs/" + lettersId).DELETE().build()).statusCode()).isEqualTo(204);
    assertThat(onA.get("/v1/jobs/" + lettersId).statusCode()).isEqualTo(404);
    await().atMost(Duration.ofSeconds(30)).until(() -> payloads(db) == 0);
  }

  private static int payloads(java.sql.Connection db) throws java.sql.SQLException {
    try (java.sql.Statement s = db.createStatement();
        java.sql.ResultSet r = s.executeQuery("SELECT COUNT(*) FROM anvil_payloads")) {
      r.next();
      return r.getInt(1);
    }
  }

  private static HttpResponse<String> submit(HttpTestClient http, String kind, String body, String key) {
    java.net.http.HttpRequest.Builder request = http.request("/v1/jobs/" + kind)
        .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      request.header("Idempotency-Key", key);
    }
    return http.send(request.build());
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
