package dev.anvil.jobs;

import static dev.anvil.HttpTestClient.json;
import static dev.anvil.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.node.RunningNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Retention and bounds: max-jobs gives 429, finished jobs are forgotten after the result TTL. */
class JobBoundsTest {

  @Test
  void pastMaxJobs429AndFinishedJobsAreForgottenAfterTheirTtl() {
    try (RunningNode node = TestNodes.start(Map.of("anvil.compute.workers", 1, "anvil.jobs.max-jobs", 2,
        "anvil.jobs.result-ttl", "2s"))) {
      HttpTestClient http = new HttpTestClient(node.httpPort());
      String first = json(http.post("/v1/jobs/primes", "{\"limit\":10}", "application/json")).at("/id").asText();
      assertThat(http.post("/v1/jobs/primes", "{\"limit\":11}", "application/json").statusCode()).isEqualTo(202);
      HttpResponse<String> full = http.post("/v1/jobs/primes", "{\"limit\":12}", "application/json");
      assertProblem(full, 429, null);
      assertThat(full.headers().firstValue("Retry-After")).isPresent();
      // once the two are done and their TTL passes, they are gone and there is room again
      await().atMost(Duration.ofSeconds(15)).until(() -> http.get("/v1/jobs/" + first).statusCode() == 404);
      assertThat(http.post("/v1/jobs/primes", "{\"limit\":12}", "application/json").statusCode()).isEqualTo(202);
    }
  }
}
