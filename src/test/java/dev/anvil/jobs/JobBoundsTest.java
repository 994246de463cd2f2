package dev.anvil.jobs;

import static dev.anvil.HttpTestClient.json;
import static dev.anvil.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.node.RunningNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Retention: finished jobs are deleted after the result TTL, with their rows, and their keys are free again. */
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
}
