package dev.anvil.client;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.FreePorts;
import dev.anvil.HttpTestClient;
import dev.anvil.Main;
import dev.anvil.TestNodes;
import dev.anvil.node.RunningNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command-line client against a real node: what each command prints, where, and its exit status. */
class ClientCommandsTest {

  private static RunningNode node;
  private static HttpTestClient http;
  private static String url;

  @BeforeAll
  static void start() {
    node = TestNodes.start(Map.of("anvil.compute.workers", 2));
    http = new HttpTestClient(node.httpPort());
    url = "http://127.0.0.1:" + node.httpPort();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  /** One run of the command line as {@code main} runs it, with stdout and stderr captured. */
  record Run(int exit, String out, String err) {}

  static Run anvil(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = Main.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exit = commandLine.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private static JsonNode parse(String text) throws Exception {
    return HttpTestClient.JSON.readTree(text);
  }

  @Test
  void submitPrintsTheTaskResult() throws Exception {
    Run run = anvil("submit", "primes", "{\"limit\":1000}", "--url", url);
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(parse(run.out()).at("/count").asInt()).isEqualTo(168);
    assertThat(run.err()).isEmpty();
  }

  @Test
  void submitReadsItsInputFromAnAtFile(@TempDir Path dir) throws Exception {
    Path input = Files.writeString(dir.resolve("input.json"), "{\"limit\": 1000}\n");
    Run run = anvil("submit", "primes", "@" + input, "--url", url);
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(parse(run.out()).at("/count").asInt()).isEqualTo(168);
  }

  @Test
  void batchWritesALinePerInputAndTheSummaryToStdoutWithProgressOnStderr(@TempDir Path dir) throws Exception {
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      lines.append("{\"limit\":").append(i % 2 == 0 ? 1000 : 100).append("}\n");
    }
    Path input = Files.writeString(dir.resolve("inputs.ndjson"), lines);
    Run run = anvil("batch", "primes", input.toString(), "--ordered", "--url", url);
    assertThat(run.exit()).as(run.err()).isZero();
    List<String> out = run.out().lines().toList();
    assertThat(out).hasSize(2001);
    for (int i = 0; i < 2000; i++) {
      JsonNode item = parse(out.get(i));
      assertThat(item.path("index").asInt()).isEqualTo(i);
      assertThat(item.at("/result/count").asInt()).isEqualTo(i % 2 == 0 ? 168 : 25);
    }
    assertThat(parse(out.get(2000)).at("/summary/succeeded").asInt()).isEqualTo(2000);
    assertThat(run.err()).contains("2000/2000 items").doesNotContain("SLF4J");
  }

  @Test
  void aBatchWithAFailedItemExits1AndARefusedOnePrintsItsProblem(@TempDir Path dir) throws Exception {
    Path input = Files.writeString(dir.resolve("inputs.ndjson"), "{\"limit\":10}\n{\"limit\":-1}\n");
    Run run = anvil("batch", "primes", input.toString(), "--url", url);
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out().lines().filter(l -> l.contains("\"status\":400")).count()).isEqualTo(1);
    assertThat(run.err()).contains("1 failed");

    Run refused = anvil("batch", "no-such-kind", input.toString(), "--url", url);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("there is no kind named 'no-such-kind'");
    assertThat(anvil("batch", "primes", dir.resolve("missing.ndjson").toString(), "--url", url).exit()).isEqualTo(2);
  }

  @Test
  void submitAsyncPrintsOnlyTheIdOfAJobTheServerKnows() {
    Run run = anvil("submit", "--async", "primes", "{\"limit\":1000}", "--url", url);
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).matches("[0-9a-f]+\\R");
    assertThat(http.get("/v1/jobs/" + run.out().strip()).statusCode()).isEqualTo(200);
  }

  @Test
  void watchShowsProgressToTheEndAndPrintsTheResult() throws Exception {
    String id = json(http.post("/v1/jobs/spin", "{\"ms\":1500}", "application/json")).at("/id").asText();
    Run run = anvil("jobs", "watch", id, "--url", url);
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(parse(run.out()).at("/ms").asInt()).isEqualTo(1500);
    assertThat(run.err()).contains("job " + id).contains("100%").contains("succeeded");
  }

  @Test
  void aCancelledJobIsWatchedToItsEndAndExits1() {
    String id = anvil("submit", "--async", "spin", "{\"ms\":60000}", "--url", url).out().strip();
    Run cancel = anvil("jobs", "cancel", id, "--url", url);
    assertThat(cancel.exit()).as(cancel.err()).isZero();
    Run watch = anvil("jobs", "watch", id, "--quiet", "--url", url);
    assertThat(watch.exit()).isEqualTo(1);
    assertThat(watch.out()).isEmpty();
    assertThat(watch.err()).isEqualTo("anvil jobs watch: job " + id + " was cancelled" + System.lineSeparator());
    Run again = anvil("jobs", "cancel", id, "--url", url);
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).startsWith("anvil jobs cancel: job " + id + " is cancelled already");
    assertThat(http.get("/v1/jobs/" + id).statusCode()).as("a refused cancel leaves the job").isEqualTo(200);
  }

  @Test
  void deleteRemovesAFinishedJob() {
    String id = anvil("submit", "--async", "primes", "{\"limit\":1000}", "--url", url).out().strip();
    assertThat(anvil("jobs", "watch", id, "--quiet", "--url", url).exit()).isZero();
    Run delete = anvil("jobs", "delete", id, "--url", url);
    assertThat(delete.exit()).as(delete.err()).isZero();
    assertThat(delete.out()).isEqualTo("job " + id + ": deleted" + System.lineSeparator());
    assertThat(http.get("/v1/jobs/" + id).statusCode()).isEqualTo(404);
    Run again = anvil("jobs", "delete", id, "--url", url);
    assertThat(again.exit()).isEqualTo(1);
  }

  @Test
  void badInputPrintsTheProblemDetailAndExits1() {
    Run run = anvil("submit", "primes", "{\"limit\":-1}", "--url", url);
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).isEqualTo("anvil submit: limit must be between 0 and 200000000, was -1"
        + System.lineSeparator());
  }

  @Test
  void inputThatIsNotJsonIsAUsageError() {
    Run run = anvil("submit", "primes", "{limit:10}", "--url", url);
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("is not JSON");
  }

  @Test
  void anUnreachableServerExits3WithOneLineNamingTheUrl() {
    String nowhere = "http://127.0.0.1:" + FreePorts.one();
    Run run = anvil("submit", "primes", "--url", nowhere);
    assertThat(run.exit()).isEqualTo(3);
    assertThat(run.err()).isEqualTo("anvil submit: cannot reach Anvil at " + nowhere + ": connection refused"
        + System.lineSeparator());
    assertThat(anvil("status", "--url", nowhere).exit()).isEqualTo(3);
  }

  @Test
  void statusListsTheNodeMarkedAsSelf() throws Exception {
    Run table = anvil("status", "--url", url);
    assertThat(table.exit()).as(table.err()).isZero();
    assertThat(table.out().lines()).first().asString().contains("NODE").contains("BUSY/WORKERS");
    assertThat(table.out().lines()).anySatisfy(line -> assertThat(line).startsWith("*")
        .contains(node.nodeId()).contains("Up").contains("/2"));
    Run raw = anvil("status", "--json", "--url", url);
    assertThat(parse(raw.out()).at("/self").asText()).isEqualTo(node.nodeId());
  }

  @Test
  void loadPrintsASummaryWithTasksPerSecondAndAnswersByStatus() {
    Run run = anvil("load", "primes", "{\"limit\":1000}", "--concurrency", "2", "--duration", "2s", "--url", url);
    assertThat(run.exit()).as(run.err()).isZero();
    Matcher tasks = Pattern.compile("tasks/s\\s+([0-9.]+)").matcher(run.out());
    assertThat(tasks.find()).as(run.out()).isTrue();
    assertThat(Double.parseDouble(tasks.group(1))).isPositive();
    assertThat(run.out()).containsPattern("answers\\s+200: \\d+").contains("p50").contains("p99").contains("max");
    assertThat(run.err()).contains("load primes").contains("100%");
  }

  /** A node that requires API tokens. */
  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class WithApiTokens {

    private RunningNode secured;
    private String securedUrl;

    @BeforeAll
    void start() {
      secured = TestNodes.start(Map.of("anvil.compute.workers", 1, "anvil.http.api-tokens", "s3cret"));
      securedUrl = "http://127.0.0.1:" + secured.httpPort();
    }

    @AfterAll
    void stop() {
      secured.close();
    }

    @Test
    void withoutATokenTheRefusalIsPrintedAndExits1() {
      Run run = anvil("submit", "primes", "{\"limit\":10}", "--url", securedUrl);
      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.err()).startsWith("anvil submit: this endpoint needs an 'Authorization: Bearer <token>' header")
          .contains("--token");
      assertThat(anvil("status", "--token", "wrong", "--url", securedUrl).err())
          .isEqualTo("anvil status: the bearer token is not valid" + System.lineSeparator());
    }

    @Test
    void withTheTokenItIsServed() throws Exception {
      Run run = anvil("submit", "primes", "{\"limit\":10}", "--token", "s3cret", "--url", securedUrl);
      assertThat(run.exit()).as(run.err()).isZero();
      assertThat(parse(run.out()).at("/count").asInt()).isEqualTo(4);
    }
  }
}
