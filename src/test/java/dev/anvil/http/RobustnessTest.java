package dev.anvil.http;

import static dev.anvil.HttpTestClient.json;
import static dev.anvil.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.anvil.HttpTestClient;
import dev.anvil.RawHttp;
import dev.anvil.TestNodes;
import dev.anvil.node.RunningNode;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Nothing a task or a client does takes the node down, and every answer is exact: task code
 * that throws errors, clients that go away, requests the HTTP parser refuses, values of the
 * wrong type. One node with one worker, so a worker that stayed busy would show at once.
 */
class RobustnessTest {

  private static RunningNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() {
    node = TestNodes.start(Map.of("anvil.compute.workers", 1));
    http = new HttpTestClient(node.httpPort());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static int running() {
    return node.scheduler().load().running();
  }

  /** The node still serves: a small task is answered within a second. */
  private static void servesTheNextTaskWithinASecond() {
    long t0 = System.nanoTime();
    HttpResponse<String> next = http.post("/v1/tasks/primes?timeoutMs=1000", "{\"limit\":1000}", "application/json");
    assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(1000);
    assertThat(http.get("/health").statusCode()).isEqualTo(200);
  }

  @Test
  void aKindWhoseStaticInitializerFailsGets500EachTimeAndTheNodeServesOn() {
    HttpResponse<String> first = http.postTask("test-broken-init", "{\"which\":2}");
    assertProblem(first, 500, null);
    assertThat(json(first).at("/detail").asText()).contains("ExceptionInInitializerError");
    HttpResponse<String> second = http.postTask("test-broken-init", "{\"which\":2}");
    assertProblem(second, 500, null);
    assertThat(json(second).at("/detail").asText()).contains("NoClassDefFoundError");
    servesTheNextTaskWithinASecond();
  }

  @Test
  void aTaskThatRunsOutOfMemoryGets500AndTheNodeServesOn() {
    HttpResponse<String> r = http.postTask("test-oom", "{}");
    assertProblem(r, 500, null);
    assertThat(json(r).at("/detail").asText()).contains("ran out of memory");
    servesTheNextTaskWithinASecond();
  }

  @Test
  void aClientThatDisconnectsCancelsItsTaskAndFreesTheWorkerWithinASecond() throws Exception {
    try (Socket socket = RawHttp.open(node.httpPort())) {
      String body = "{\"ms\":20000}";
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v1/tasks/spin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
          + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      await().atMost(Duration.ofSeconds(5)).until(() -> running() == 1);
    }
    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10)).until(() -> running() == 0);
    servesTheNextTaskWithinASecond();
  }

  @Test
  void errorsOfTheHttpParserAreProblemJson() {
    int port = node.httpPort();
    assertParserProblem(RawHttp.exchange(port, "GET /" + "a".repeat(3000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414);
    assertParserProblem(RawHttp.exchange(port, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000)
        + "\r\n\r\n"), 431);
    StringBuilder many = new StringBuilder("GET /health HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 100; i++) {
      many.append("X-H").append(i).append(": v\r\n");
    }
    assertParserProblem(RawHttp.exchange(port, many.append("\r\n").toString()), 400);
    assertParserProblem(RawHttp.exchange(port, "GET /health HTTP/1.1\r\n\r\n"), 400); // no Host
    assertParserProblem(RawHttp.exchange(port, "GET /health HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
    assertParserProblem(RawHttp.exchange(port, "POST /v1/tasks/spin HTTP/1.1\r\nHost: x\r\n"
        + "Content-Type: application/json\r\nContent-Length: ten\r\n\r\n{}"), 400);
    assertParserProblem(RawHttp.exchange(port, "BREW /health HTTP/1.1\r\nHost: x\r\n\r\n"), 501);
    assertParserProblem(RawHttp.exchange(port, "GET /health HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
    servesTheNextTaskWithinASecond();
  }

  private static void assertParserProblem(RawHttp.Response r, int status) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.contentType()).isEqualTo("application/problem+json");
    assertThat(parse(r.body()).at("/status").asInt()).isEqualTo(status);
    assertThat(parse(r.body()).at("/type").asText()).startsWith("urn:anvil:problem:");
    assertThat(parse(r.body()).at("/detail").asText()).isNotBlank();
  }

  private static com.fasterxml.jackson.databind.JsonNode parse(String body) {
    try {
      return HttpTestClient.JSON.readTree(body);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + body, e);
    }
  }

  @Test
  void headWorksWhereGetDoes() {
    RawHttp.Response head = RawHttp.exchange(node.httpPort(), "HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.contentType()).isEqualTo("application/json");
    assertThat(head.body()).isEmpty();
  }

  @Test
  void valuesOfTheWrongTypeAreRefusedNotConverted() {
    String valid = "\"salt\":\"salt\",\"iterations\":1,\"keyBytes\":16";
    for (String password : new String[] {"123", "true", "1.5", "[\"a\"]", "{}"}) {
      HttpResponse<String> r = http.postTask("pbkdf2", "{\"password\":" + password + "," + valid + "}");
      assertProblem(r, 400, "password");
      assertThat(json(r).at("/detail").asText()).contains("must be a string");
    }
    HttpResponse<String> surrogate = http.postTask("pbkdf2", "{\"password\":\"\\ud800\"," + valid + "}");
    assertProblem(surrogate, 400, "password");
    assertThat(json(surrogate).at("/detail").asText()).contains("lone UTF-16 surrogate");
    for (String limit : new String[] {"\"10\"", "true", "10.5"}) {
      assertProblem(http.postTask("primes", "{\"limit\":" + limit + "}"), 400, "limit");
    }
    HttpResponse<String> nan = http.postTask("mandelbrot", "{\"centerX\":\"NaN\"}");
    assertProblem(nan, 400, "centerX");
    assertThat(json(nan).at("/detail").asText()).contains("must be a number");
    assertProblem(http.postTask("stats", "{\"values\":[1,\"Infinity\"]}"), 400, "values[1]");
  }

  @Test
  void messagesNameWhatIsWrongWithoutInternals() {
    HttpResponse<String> twice = http.postTask("primes", "{\"limit\":5,\"limit\":-1}");
    assertProblem(twice, 400, "limit");
    assertThat(json(twice).at("/detail").asText()).isEqualTo("the field 'limit' is given twice; give it once");
    HttpResponse<String> two = http.postTask("primes", "{\"limit\":5}{\"limit\":6}");
    assertProblem(two, 400, null);
    assertThat(json(two).at("/detail").asText()).contains("more than one JSON value");
    HttpResponse<String> huge = http.post("/v1/tasks/primes?timeoutMs=99999999999999999999", "{\"limit\":5}",
        "application/json");
    assertProblem(huge, 400, "timeoutMs");
    assertThat(json(huge).at("/detail").asText()).contains("between 1 and");
    assertProblem(http.post("/v1/tasks/primes?timeoutMs=100&timeoutMs=200", "{\"limit\":5}", "application/json"),
        400, "timeoutMs");
    assertProblem(http.post("/v1/tasks/primes?timeout=100", "{\"limit\":5}", "application/json"), 400, "timeout");
    for (HttpResponse<String> r : new HttpResponse[] {twice, two, huge}) {
      assertThat(r.body()).doesNotContain("dev.anvil").doesNotContain("java.").doesNotContain("$");
    }
  }
}
