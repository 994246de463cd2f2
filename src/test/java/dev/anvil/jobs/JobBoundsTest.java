package dev.anvil.jobs;

import static dev.anvil.HttpTestClient.json;
import static dev.anvil.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.node.RunningNode;
import dev.anvil.compute.TestKinds;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The bounds of jobs: retention (finished jobs are deleted after the result TTL, with their rows,
 * and their keys are free again), and the sizes of inputs and results (1 MiB and 16 MiB by default,
 * the large ones kept beside the job and read from any node).
 */
class JobBoundsTest {

  @Test
  void finishedJobsAreDeletedAfterTheirTtlAndTheirIdempotencyKeyIsFreeAgain() {
    try (RunningNode node = TestNodes.start(Map.of("anvil.compute.workers", 1, "anvil.jobs.result-ttl", "2s",
        "anvil.jobs.sweep-interval", "500ms"))) {
      HttpTestClient http = new HttpTestClient(node.httpPort());
      String first = json(http.post("/v1/jobs/primes", "{\"limit\":10}", "application/json")).at("/id").asText();
      String keyed = json(http.send(http.request("/v1/jobs/primes").header("Content-Type", "application/json")
          .header("Idempotency-Key", "bounds-1").POST(java.net.http.HttpRequest.BodyPublishers.ofString(
              "{\"limit\":11}")).build())).at("/id").asText();
      await().atMost(Duration.ofSeconds(10)).until(() -> json(http.get("/v1/jobs/" + first)).at("/status").asText()
          .equals("succeeded"));
      // once done and past their TTL, they are gone, from the entity and from the listing
      await().atMost(Duration.ofSeconds(20)).until(() -> http.get("/v1/jobs/" + first).statusCode() == 404
          && http.get("/v1/jobs/" + keyed).statusCode() == 404);
      assertProblem(http.get("/v1/jobs/" + first), 404, null);
      assertThat(json(http.get("/v1/jobs?kind=primes")).at("/jobs")).isEmpty();
      // the key names a new job now: another body is no longer a reuse
      var again = http.send(http.request("/v1/jobs/primes").header("Content-Type", "application/json")
          .header("Idempotency-Key", "bounds-1").POST(java.net.http.HttpRequest.BodyPublishers.ofString(
              "{\"limit\":12}")).build());
      assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
    }
  }

  @Test
  void aJobTakesAMebibyteOfInputAndKeepsAResultOfMegabytesThatEveryNodeReads() throws Exception {
    String journal = TestNodes.newJournal();
    try (RunningNode a = TestNodes.start(Map.of("anvil.compute.workers", 1, "anvil.jobs.sweep-interval", "500ms",
            "anvil.jobs.journal.url", journal));
        RunningNode b = TestNodes.start(Map.of("anvil.compute.workers", 1, "anvil.cluster.seed-nodes", a.nodeId(),
            "anvil.jobs.journal.url", journal));
        java.sql.Connection db = java.sql.DriverManager.getConnection(journal, "", "")) {
      HttpTestClient onA = new HttpTestClient(a.httpPort());
      HttpTestClient onB = new HttpTestClient(b.httpPort());
      await().atMost(Duration.ofSeconds(30)).until(() -> dev.anvil.testkit.ClusterView.read(a.httpPort()).up() == 2);

      // an input just under 1 MiB: 524,000 ones
      String ones = "1,".repeat(523_999) + "1";
      String input = "{\"values\":[" + ones + "]}";
      assertThat(input.length()).isBetween(1_000_000, 1024 * 1024);
      HttpResponse<String> big = submit(onA, "stats", input, "bounds-big");
      assertThat(big.statusCode()).as(big.body()).isEqualTo(202);
      String statsId = json(big).at("/id").asText();
      // a result of 12 MB: larger than any cluster message, kept beside the job
      HttpResponse<String> letters = submit(onA, "test-letters", "{\"size\":12000000}", null);
      assertThat(letters.statusCode()).as(letters.body()).isEqualTo(202);
      String lettersId = json(letters).at("/id").asText();
      // past the bounds: 413 for the input, a failed job for the result
      HttpResponse<String> tooBig = submit(onA, "stats", "{\"values\":[" + "1,".repeat(600_000) + "1]}", null);
      assertProblem(tooBig, 413, null);
      assertThat(json(tooBig).at("/detail").asText()).contains("anvil.jobs.max-input-bytes");
      String tooLarge = json(submit(onB, "test-letters", "{\"size\":17000000}", null)).at("/id").asText();

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
        assertThat(result).isEqualTo(new TestKinds.Letters().run(new TestKinds.Size(12_000_000), null));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> json(onA.get("/v1/jobs/" + tooLarge)).at("/status")
          .asText().equals("failed"));
      assertThat(json(onA.get("/v1/jobs/" + tooLarge)).at("/error/type").asText())
          .isEqualTo("urn:anvil:problem:result-too-large");
      // the same key finds the same job, with its result
      HttpResponse<String> again = submit(onB, "stats", input, "bounds-big");
      assertThat(json(again).at("/id").asText()).isEqualTo(statsId);
      assertThat(json(again).at("/result/count").asInt()).isEqualTo(524_000);
      assertThat(payloads(db)).as("the stored input and result").isEqualTo(2);
      // a deleted job's stored input and result go with its rows, at the keeper's next sweep (as past result-ttl)
      assertThat(onB.send(onB.request("/v1/jobs/" + statsId).DELETE().build()).statusCode()).isEqualTo(204);
      assertThat(onA.send(onA.request("/v1/jobs/" + lettersId).DELETE().build()).statusCode()).isEqualTo(204);
      assertThat(onA.get("/v1/jobs/" + lettersId).statusCode()).isEqualTo(404);
      await().atMost(Duration.ofSeconds(10)).until(() -> payloads(db) == 0);
    }
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
}
