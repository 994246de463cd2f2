package dev.anvil.metrics;

import static dev.anvil.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.node.RunningNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code /metrics} and {@code /v1/cluster/events} of one node, end to end. */
class MetricsTest {

  private static RunningNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() {
    node = TestNodes.start(Map.of("anvil.compute.workers", 2));
    http = new HttpTestClient(node.httpPort());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void tasksAreCountedByKindAndOutcomeAndTimedWhereTheyRan() {
    double before = value(scrape(), "anvil_tasks_total", "kind=\"primes\"", "outcome=\"succeeded\"");
    for (int i = 0; i < 3; i++) {
      assertThat(http.postTask("primes", "{\"limit\":1000}").statusCode()).isEqualTo(200);
    }
    assertThat(http.postTask("spin", "{\"ms\":1100}").statusCode()).isEqualTo(200);
    assertThat(http.send(http.request("/v1/tasks/spin?timeoutMs=50")
        .POST(HttpRequest.BodyPublishers.ofString("{\"ms\":5000}")).header("Content-Type", "application/json")
        .build()).statusCode()).isEqualTo(504);

    // a worker records its task's times just after it answers (its client does not wait for that),
    // and its thread runs at a lower priority: on a loaded machine the figures may come a moment later
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      String text = scrape();
      assertThat(value(text, "anvil_tasks_total", "kind=\"primes\"", "outcome=\"succeeded\"")).isEqualTo(before + 3);
      assertThat(value(text, "anvil_tasks_total", "kind=\"spin\"", "outcome=\"timed_out\"")).isGreaterThanOrEqualTo(1);
      assertThat(value(text, "anvil_task_compute_seconds_count", "kind=\"primes\"")).isGreaterThanOrEqualTo(3);
      // the 1.1 s spin is above the 1 s bucket's bound
      assertThat(value(text, "anvil_task_compute_seconds_sum", "kind=\"spin\"")).isGreaterThanOrEqualTo(1.1);
      assertThat(value(text, "anvil_task_compute_seconds_bucket", "kind=\"spin\"", "le=\"+Inf\"")
          - value(text, "anvil_task_compute_seconds_bucket", "kind=\"spin\"", "le=\"1.0\"")).isGreaterThanOrEqualTo(1);
      assertThat(value(text, "anvil_task_queue_seconds_count", "kind=\"spin\"")).isGreaterThanOrEqualTo(1);
      // every series says which node it is from
      assertThat(text).contains("node=\"" + node.nodeId() + "\"");
    });
  }

  @Test
  void workersQueueJobsMembersHttpAndTheJvmAreThere() {
    HttpResponse<String> job = http.post("/v1/jobs/primes", "{\"limit\":100}", "application/json");
    assertThat(job.statusCode()).isEqualTo(202);
    String id = HttpTestClient.json(job).at("/id").asText();
    await().atMost(Duration.ofSeconds(10)).until(() ->
        HttpTestClient.json(http.get("/v1/jobs/" + id)).at("/status").asText().equals("succeeded"));
    assertThat(http.get("/health").statusCode()).isEqualTo(200);

    String text = scrape();
    assertThat(value(text, "anvil_workers", "state=\"busy\"") + value(text, "anvil_workers", "state=\"idle\""))
        .isEqualTo(2);
    assertThat(value(text, "anvil_queue_depth")).isZero();
    assertThat(value(text, "anvil_jobs", "status=\"succeeded\"")).isGreaterThanOrEqualTo(1);
    assertThat(value(text, "anvil_cluster_members", "status=\"up\"")).isEqualTo(1);
    assertThat(value(text, "http_server_requests_seconds_count", "route=\"/health\"", "status=\"200\"",
        "method=\"GET\"")).isGreaterThanOrEqualTo(1);
    assertThat(value(text, "http_server_requests_seconds_count", "route=\"/v1/jobs/{id}\"", "status=\"200\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(value(text, "http_server_requests_seconds_count", "method=\"POST\"", "route=\"/v1/jobs/{kind}\"",
        "status=\"202\"")).isEqualTo(1);
 assertThat(text).contains("jvm_memory_used_bytes{area=\"heap\"", "process_cpu_usage", "jvm_threads_live_threads", "process_uptime_seconds");
  }

  @Test
  void aPathOfNoRouteIsCountedAsOtherNotByItsValue() {
    assertThat(http.get("/no/such/thing-" + System.nanoTime()).statusCode()).isEqualTo(404);
    String text = scrape();
    assertThat(value(text, "http_server_requests_seconds_count", "route=\"other\"", "status=\"404\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(text).doesNotContain("thing-");
  }

  @Test
  void eachNodeServesItsOwnMetricsOnItsManagementPortToo() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + node.managementPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("anvil_workers{", "node=\"" + node.nodeId() + "\"");
  }

  @Test
  void batchItemsAreCountedByKindAndOutcome() {
    double before = value(scrape(), "anvil_batch_items_total", "kind=\"primes\"", "outcome=\"succeeded\"");
    double invalidBefore = value(scrape(), "anvil_batch_items_total", "kind=\"primes\"", "outcome=\"invalid\"");
    HttpResponse<String> batch = http.send(http.request("/v1/batches/primes").header("Content-Type",
        "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString("{\"limit\":10}\n{\"limit\":-1}\n"
            + "{\"limit\":100}\n")).build());
    assertThat(batch.statusCode()).isEqualTo(200);
    assertThat(batch.body()).contains("\"succeeded\":2,\"failed\":1");
    String text = scrape();
    assertThat(value(text, "anvil_batch_items_total", "kind=\"primes\"", "outcome=\"succeeded\"")).isEqualTo(before + 2);
    assertThat(value(text, "anvil_batch_items_total", "kind=\"primes\"", "outcome=\"invalid\"")).isEqualTo(
        invalidBefore + 1);
  }

  @Test
  void theClusterEventStreamSendsASnapshotWithEachNodesLoadAndStatistics() throws Exception {
    assertThat(http.postTask("primes", "{\"limit\":1000}").statusCode()).isEqualTo(200);
    assertThat(http.postTask("spin", "{\"ms\":-1}").statusCode()).isEqualTo(400);
    HttpResponse<Stream<String>> events = http.send(http.request("/v1/cluster/events").GET().build(),
        HttpResponse.BodyHandlers.ofLines());
    assertThat(events.statusCode()).isEqualTo(200);
    assertThat(events.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("text/event-stream"));
    try (Stream<String> lines = events.body()) {
      Iterator<String> it = lines.iterator();
      JsonNode snapshot = HttpTestClient.JSON.readTree(nextSnapshot(it));
      // a worker counts its run as completed just after it answers: a later snapshot shows it
      for (int i = 0; i < 5 && snapshot.at("/members/0/load/completed").asLong() == 0; i++) {
        snapshot = HttpTestClient.JSON.readTree(nextSnapshot(it));
      }
      assertThat(snapshot.at("/self").asText()).isEqualTo(node.nodeId());
      assertThat(snapshot.at("/time").asLong()).isPositive();
      JsonNode member = snapshot.at("/members/0");
      assertThat(member.at("/node").asText()).isEqualTo(node.nodeId());
      assertThat(member.at("/status").asText()).isEqualTo("Up");
      assertThat(member.at("/load/workers").asInt()).isEqualTo(2);
      assertThat(member.at("/load/completed").asLong()).isPositive();
      assertThat(member.at("/stats/tasks/succeeded").asLong()).isPositive();
      assertThat(member.at("/stats/computeP99Ms").isNumber()).isTrue();
      assertThat(member.at("/stats/batches").isInt()).isTrue(); // batches read now, and their items answered
      assertThat(member.at("/stats/batchItems").isNumber()).isTrue();
      assertThat(snapshot.at("/failures").isArray()).isTrue();
      // and another one a second later
      assertThat(HttpTestClient.JSON.readTree(nextSnapshot(it)).at("/time").asLong())
          .isGreaterThan(snapshot.at("/time").asLong());
    }
  }

  @Test
  void theDashboardsStatisticsAreKeptWithMetricsOff() throws Exception {
    try (RunningNode plain = TestNodes.start(Map.of("anvil.compute.workers", 1, "anvil.metrics.enabled", false))) {
      HttpTestClient client = new HttpTestClient(plain.httpPort());
      assertThat(client.postTask("primes", "{\"limit\":1000}").statusCode()).isEqualTo(200);
      HttpResponse<String> late = client.send(client.request("/v1/tasks/spin?timeoutMs=50")
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"ms\":2000}"))
          .build());
      assertThat(late.statusCode()).as(late.body()).isEqualTo(504);
      HttpResponse<Stream<String>> events = client.send(client.request("/v1/cluster/events").GET().build(),
          HttpResponse.BodyHandlers.ofLines());
      try (Stream<String> lines = events.body()) {
        Iterator<String> it = lines.iterator();
        JsonNode snapshot = HttpTestClient.JSON.readTree(nextSnapshot(it));
        // the router learns its own pool's load shortly after start: a later snapshot has it
        for (int i = 0; i < 10 && snapshot.at("/members/0/stats").isMissingNode(); i++) {
          snapshot = HttpTestClient.JSON.readTree(nextSnapshot(it));
        }
        assertThat(snapshot.at("/members/0/stats/tasks/succeeded").asLong()).as(snapshot.toString()).isEqualTo(1);
        assertThat(snapshot.at("/members/0/stats/tasks/timed_out").asLong()).isEqualTo(1);
        assertThat(snapshot.at("/failures/0/status").asInt()).isEqualTo(504);
        assertThat(snapshot.at("/failures/0/kind").asText()).isEqualTo("spin");
      }
      assertThat(client.get("/metrics").body()).doesNotContain("anvil_tasks_total");
    }
  }

  /** The data of the next server-sent event, which must be a snapshot. */
  private static String nextSnapshot(Iterator<String> lines) {
    String event = null;
    String data = null;
    for (String line; !(line = lines.next()).isEmpty(); ) {
      if (line.startsWith("event:")) {
        event = line.substring(6).strip();
      } else if (line.startsWith("data:")) {
        data = line.substring(5).strip();
      }
    }
    assertThat(event).isEqualTo("snapshot");
    return data;
  }

  @Test
  void underApiTokensMetricsNeedOne() throws Exception {
    try (RunningNode guarded = TestNodes.start(Map.of("anvil.http.api-tokens", "m3trics-token"))) {
      HttpTestClient client = new HttpTestClient(guarded.httpPort());
      assertProblem(client.get("/metrics"), 401, null);
      HttpResponse<String> r = client.send(client.request("/metrics").header("Authorization", "Bearer m3trics-token")
          .GET().build());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=UTF-8");
      HttpResponse<String> management = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + guarded.managementPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(management.statusCode()).isEqualTo(401);
      // a path of no route is still a 404, not a demand for a token
      assertProblem(client.get("/nothing-here"), 404, null);
    }
  }

  private static String scrape() {
    HttpResponse<String> r = http.get("/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  /** The value of the one series of {@code name} whose labels contain all of {@code labels}; 0 when none. */
  private static double value(String text, String name, String... labels) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{.*\\})? (\\S+)$").matcher(text);
    double found = 0;
    int matches = 0;
    while (m.find()) {
      String set = m.group(1) == null ? "" : m.group(1);
      if (Stream.of(labels).allMatch(set::contains)) {
        found = Double.parseDouble(m.group(2));
        matches++;
      }
    }
    assertThat(matches).as("series of %s with %s", name, String.join(",", labels)).isLessThanOrEqualTo(1);
    return found;
  }
}
