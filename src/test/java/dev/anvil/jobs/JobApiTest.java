package dev.anvil.jobs;

import static dev.anvil.HttpTestClient.json;
import static dev.anvil.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.node.RunningNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The jobs contract of one node, end to end over HTTP. */
class JobApiTest {

  private static RunningNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() {
    node = TestNodes.start(Map.of("anvil.compute.workers", 2, "anvil.jobs.max-result-bytes", "2k"));
    http = new HttpTestClient(node.httpPort());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static HttpResponse<String> submit(String kind, String body, String... headers) {
    HttpRequest.Builder b = http.request("/v1/jobs/" + kind).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build());
  }

  private static JsonNode awaitStatus(String id, String status) {
    await().atMost(Duration.ofSeconds(30)).until(() -> json(http.get("/v1/jobs/" + id)).at("/status").asText()
        .equals(status));
    return json(http.get("/v1/jobs/" + id));
  }

  @Test
  void aJobIsAcceptedWithItsLocationAndEndsWithItsResult() {
    HttpResponse<String> accepted = submit("primes", "{\"limit\":1000}");
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    String id = json(accepted).at("/id").asText();
    assertThat(accepted.headers().firstValue("Location")).hasValue("/v1/jobs/" + id);
    assertThat(accepted.headers().firstValue("Preference-Applied")).isEmpty(); // no Prefer was sent
    assertThat(json(accepted).at("/status").asText()).isIn("queued", "running", "succeeded");
    JsonNode done = awaitStatus(id, "succeeded");
    assertThat(done.at("/result/count").asInt()).isEqualTo(168);
    assertThat(done.at("/kind").asText()).isEqualTo("primes");
    assertThat(done.at("/attempts").asInt()).isEqualTo(1);
    assertThat(done.at("/progress").asDouble()).isEqualTo(1.0);
    assertThat(done.at("/node").asText()).isEqualTo(node.nodeId());
    for (String field : List.of("submittedAt", "startedAt", "finishedAt", "queueMs", "computeMs")) {
      assertThat(done.has(field)).as(field).isTrue();
    }
    assertThat(done.has("error")).isFalse();
  }

  /**
   * A run's start is in the journal: for a short run, written with its end; for one that lasts,
   * on its own while it runs (so a restart counts it in attempts). Readers see it running once stored.
   */
  @Test
  void aRunIsStoredAsStartedWithItsEndWhenShortAndOnItsOwnOnceItLasts() throws Exception {
    String longRun = json(submit("spin", "{\"ms\":3000}")).at("/id").asText();
    awaitStatus(longRun, "running");
    assertThat(storedEvents(longRun)).isEqualTo(2); // accepted, started: what readers see is stored

    String shortRun = json(submit("primes", "{\"limit\":10}")).at("/id").asText();
    JsonNode done = awaitStatus(shortRun, "succeeded");
    assertThat(storedEvents(shortRun)).isEqualTo(3); // accepted, started, finished
    assertThat(done.at("/attempts").asInt()).isEqualTo(1);
    assertThat(done.at("/startedAt").isNull()).isFalse();
    awaitStatus(longRun, "succeeded");
  }

  private static int storedEvents(String id) throws Exception {
    String url = node.system().settings().config().getString("anvil.jobs.journal.url");
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, "", "");
        java.sql.PreparedStatement s = c.prepareStatement(
            "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?")) {
      s.setString(1, "anvil-job|" + id);
      try (java.sql.ResultSet r = s.executeQuery()) {
        r.next();
        return r.getInt(1);
      }
    }
  }

  @Test
  void eventsStreamTheStatusAndProgressAndEndAfterTheFinalStatus() throws Exception {
    String id = json(submit("spin", "{\"ms\":1500}")).at("/id").asText();
    HttpResponse<java.util.stream.Stream<String>> events = http.send(http.request("/v1/jobs/" + id + "/events")
        .GET().build(), HttpResponse.BodyHandlers.ofLines());
    assertThat(events.statusCode()).isEqualTo(200);
    assertThat(events.headers().firstValue("Content-Type")).hasValueSatisfying(
        t -> assertThat(t).startsWith("text/event-stream"));
    List<String> lines = events.body().collect(Collectors.toList()); // ends: the stream completes
    List<String> types = lines.stream().filter(l -> l.startsWith("event:")).map(l -> l.substring(6).trim()).toList();
    assertThat(types.get(0)).isEqualTo("status");
    assertThat(types).contains("progress");
    assertThat(types.get(types.size() - 1)).isEqualTo("status");
    String last = lines.stream().filter(l -> l.startsWith("data:")).reduce((a, b) -> b).orElseThrow();
    assertThat(last).contains("\"status\":\"succeeded\"");
    assertThat(lines.stream().filter(l -> l.startsWith("data:{\"progress\"")).findFirst()).isPresent();
  }

  @Test
  void aRunningJobIsCancelledWhereItRunsAndAFinishedOneIsDeleted() {
    String id = json(submit("spin", "{\"ms\":20000}")).at("/id").asText();
    awaitStatus(id, "running");
    HttpResponse<String> cancel = http.send(http.request("/v1/jobs/" + id).DELETE().build());
    assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(202);
    awaitStatus(id, "cancelled");
    await().atMost(Duration.ofSeconds(2)).until(() -> node.scheduler().load().running() == 0);
    // a finished job is deleted: gone from reads and from the listing
    assertThat(http.send(http.request("/v1/jobs/" + id).DELETE().build()).statusCode()).isEqualTo(204);
    assertProblem(http.get("/v1/jobs/" + id), 404, null);
    assertProblem(http.send(http.request("/v1/jobs/" + id).DELETE().build()), 404, null);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(json(http.get("/v1/jobs?kind=spin"))
        .at("/jobs").findValuesAsText("id")).doesNotContain(id));
    assertProblem(http.send(http.request("/v1/jobs/nope").DELETE().build()), 404, null);
    assertProblem(http.get("/v1/jobs/nope"), 404, null);
    assertProblem(http.get("/v1/jobs/nope/events"), 404, null);
  }

  @Test
  void anIdempotencyKeyGivesTheSameJobForTheSameBodyAnd422ForAnother() {
    HttpResponse<String> first = submit("primes", "{\"limit\":77}", "Idempotency-Key", "order-42");
    HttpResponse<String> again = submit("primes", "{\"limit\":77}", "Idempotency-Key", "order-42");
    assertThat(again.statusCode()).isEqualTo(202);
    assertThat(json(again).at("/id").asText()).isEqualTo(json(first).at("/id").asText());
    assertThat(again.headers().firstValue("Location")).isEqualTo(first.headers().firstValue("Location"));
    assertProblem(submit("primes", "{\"limit\":78}", "Idempotency-Key", "order-42"), 422, "Idempotency-Key");
    assertProblem(submit("primes", "{\"limit\":77}", "Idempotency-Key", "x".repeat(256)), 400, "Idempotency-Key");
    // once its job is finished and deleted, the key is free: another body makes a new job under it
    String id = json(first).at("/id").asText();
    awaitStatus(id, "succeeded");
    assertThat(http.send(http.request("/v1/jobs/" + id).DELETE().build()).statusCode()).isEqualTo(204);
    HttpResponse<String> reused = submit("primes", "{\"limit\":78}", "Idempotency-Key", "order-42");
    assertThat(reused.statusCode()).as(reused.body()).isEqualTo(202);
    awaitStatus(id, "succeeded");
    assertThat(json(http.get("/v1/jobs/" + id)).at("/result/count").asInt()).isEqualTo(21);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(json(http.get("/v1/jobs?kind=primes"))
        .at("/jobs").findValuesAsText("id")).contains(id));
  }

  @Test
  void preferRespondAsyncMakesATaskAJobAndWaitAnswersLikeATaskWhenDoneInTime() {
    HttpResponse<String> async = http.send(http.request("/v1/tasks/primes").header("Content-Type", "application/json")
        .header("Prefer", "respond-async").POST(HttpRequest.BodyPublishers.ofString("{\"limit\":100}")).build());
    assertThat(async.statusCode()).isEqualTo(202);
    assertThat(async.headers().firstValue("Preference-Applied")).hasValue("respond-async");
    assertThat(async.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).startsWith("/v1/jobs/"));

    HttpResponse<String> waited = http.send(http.request("/v1/tasks/primes").header("Content-Type", "application/json")
        .header("Prefer", "respond-async, wait=5").POST(HttpRequest.BodyPublishers.ofString("{\"limit\":100}")).build());
    assertThat(waited.statusCode()).isEqualTo(200);
    assertThat(waited.headers().firstValue("Preference-Applied")).hasValue("wait=5");
    assertThat(json(waited).at("/result/count").asInt()).isEqualTo(25);

    HttpResponse<String> late = http.send(http.request("/v1/tasks/spin").header("Content-Type", "application/json")
        .header("Prefer", "respond-async; wait=1").POST(HttpRequest.BodyPublishers.ofString("{\"ms\":3000}")).build());
    assertThat(late.statusCode()).isEqualTo(202);
    assertThat(late.headers().firstValue("Preference-Applied")).hasValue("respond-async");

    HttpResponse<String> plain = http.postTask("primes", "{\"limit\":100}");
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(plain.headers().firstValue("Preference-Applied")).isEmpty();
  }

  @Test
  void jobsAreListedNewestFirstFilteredAndBounded() {
    String a = json(submit("primes", "{\"limit\":11}")).at("/id").asText();
    String b = json(submit("primes", "{\"limit\":12}")).at("/id").asText();
    awaitStatus(a, "succeeded");
    awaitStatus(b, "succeeded");
    // the listing is a projection of the journal: it sees a change a moment after the job's entity
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode listed = json(http.get("/v1/jobs?status=succeeded&kind=primes&limit=2")).at("/jobs");
      assertThat(listed).hasSize(2);
      assertThat(List.of(listed.get(0).at("/id").asText(), listed.get(1).at("/id").asText()))
          .as("the newest two, newest first (two submitted in one millisecond are in id order)")
          .isEqualTo(newestFirst(a, b));
    });
    assertProblem(http.get("/v1/jobs?status=done"), 400, "status");
    assertProblem(http.get("/v1/jobs?limit=0"), 400, "limit");
    assertProblem(http.get("/v1/jobs?limit=1001"), 400, "limit");
    assertProblem(http.get("/v1/jobs?sort=asc"), 400, "sort");
  }

  /** b was submitted after a; in the same millisecond, the listing orders them by id. */
  private static List<String> newestFirst(String a, String b) {
    long at = Instant.parse(json(http.get("/v1/jobs/" + a)).at("/submittedAt").asText()).toEpochMilli();
    long bt = Instant.parse(json(http.get("/v1/jobs/" + b)).at("/submittedAt").asText()).toEpochMilli();
    return bt > at || (bt == at && b.compareTo(a) > 0) ? List.of(b, a) : List.of(a, b);
  }

  @Test
  void jobsArePagedWithACursorAndEveryJobIsOnExactlyOnePage() {
    java.util.Set<String> mine = new java.util.HashSet<>();
    for (int i = 0; i < 7; i++) {
      mine.add(json(submit("stats", "{\"values\":[" + i + "]}")).at("/id").asText());
    }
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      List<String> seen = new java.util.ArrayList<>();
      String cursor = null;
      int pages = 0;
      do {
        JsonNode page = json(http.get("/v1/jobs?kind=stats&limit=3" + (cursor == null ? "" : "&cursor=" + cursor)));
        page.at("/jobs").forEach(j -> seen.add(j.at("/id").asText()));
        cursor = page.has("next") ? page.at("/next").asText() : null;
        pages++;
      } while (cursor != null && pages < 10);
      assertThat(seen).doesNotHaveDuplicates().containsAll(mine);
      assertThat(pages).isGreaterThanOrEqualTo(3);
    });
    assertProblem(http.get("/v1/jobs?cursor=not-a-cursor"), 400, "cursor");
  }

  @Test
  void badSubmissionsGetA4xxNamingWhatIsWrong() {
    assertProblem(submit("primes", "{\"limit\":-1}"), 400, "limit");
    assertProblem(submit("primes", "{\"limit\":\"1\"}"), 400, "limit");
    assertProblem(submit("nope", "{}"), 404, null);
    assertProblem(http.post("/v1/jobs/primes", "{\"limit\":1}", "text/plain"), 415, null);
    assertProblem(http.post("/v1/jobs/primes?timeoutMs=3600001", "{\"limit\":1}", "application/json"), 400,
        "timeoutMs");
    assertProblem(http.post("/v1/jobs/primes?x=1", "{\"limit\":1}", "application/json"), 400, "x");
    assertProblem(submit("stats", "{\"values\":[" + "1,".repeat(600_000) + "1]}"), 413, null); // over max-input-bytes (1 MiB)
  }

  @Test
  void aKindWhoseOwnCodeFailsWhileReadingItsInputGets500OnBothPathsAndTheNodeServesOn() {
    for (String path : new String[] {"/v1/tasks/test-bad-validate", "/v1/jobs/test-bad-validate"}) {
      HttpResponse<String> r = http.post(path, "{\"trip\":true}", "application/json");
      assertProblem(r, 500, null);
      assertThat(json(r).at("/detail").asText()).as(path)
          .contains("the kind 'test-bad-validate' failed to read its input", "a bug in validate");
    }
    assertThat(submit("primes", "{\"limit\":10}").statusCode()).isEqualTo(202);
  }

  @Test
  void aJobPastItsDeadlineFailsWithTheProblemATaskWouldGet() {
    HttpResponse<String> task = http.post("/v1/tasks/spin?timeoutMs=200", "{\"ms\":5000}", "application/json");
    assertThat(task.statusCode()).isEqualTo(504);
    String id = json(http.post("/v1/jobs/spin?timeoutMs=200", "{\"ms\":5000}", "application/json")).at("/id")
        .asText();
    JsonNode error = awaitStatus(id, "failed").at("/error");
    assertThat(error.at("/status").asInt()).isEqualTo(504);
    assertThat(error.at("/type").asText()).isEqualTo(json(task).at("/type").asText())
        .isEqualTo("urn:anvil:problem:deadline");
    assertThat(error.at("/title").asText()).isEqualTo("Gateway Timeout");
  }

  @Test
  void aResultLargerThanAJobMayKeepFailsTheJobWithAClearError() {
    String id = json(submit("stats", "{\"values\":[1,2,3]}")).at("/id").asText();
    awaitStatus(id, "succeeded");
    String big = json(submit("mandelbrot", "{\"width\":64,\"height\":64,\"maxIterations\":50}")).at("/id").asText();
    JsonNode failed = awaitStatus(big, "failed");
    assertThat(failed.at("/error/status").asInt()).isEqualTo(500);
    assertThat(failed.at("/error/detail").asText()).contains("anvil.jobs.max-result-bytes");
  }
}
