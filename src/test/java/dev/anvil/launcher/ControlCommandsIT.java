package dev.anvil.launcher;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.FreePorts;
import dev.anvil.HttpTestClient;
import dev.anvil.KindJars;
import dev.anvil.NodeProcess;
import dev.anvil.Tiers;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * roll and stop reach a running start without signals: they work under nohup; status shows the
 * supervisor's slots through any node's /v1/cluster; {@code start --kinds DIR} serves the folder's
 * kind (the starter project's, built by KindJars) on every node, and the nodes a roll starts load
 * it too; a roll whose replacement never becomes ready stops at its limit with one line that says
 * so, and the nodes it had serve on.
 */
@Tag(Tiers.SLOW)
class ControlCommandsIT {

  private static final int NODE_UP_TIMEOUT_S = 20; // a replacement is ready in ~5 s here, ~12 s on a loaded machine

  @TempDir
  static Path work;

  @Test
  void rollStatusAndStopWorkUnderNohupARollKeepsTheKindsAndStopsAtAReplacementThatIsNeverReady() throws Exception {
    int httpPort = FreePorts.one();
    try (NodeProcess supervisor = NodeProcess.startUnder(List.of("nohup"),
        List.of("-Danvil.launcher.node-up-timeout=" + NODE_UP_TIMEOUT_S + "s"), Map.of(),
        "start", "--nodes", "2", "--kinds", KindJars.starterKindFolder(work).toString(),
        "--http-port", "" + httpPort)) {
      supervisor.awaitLine(l -> l.contains("Anvil is up"), Duration.ofSeconds(90));
      assertThat(supervisor.output()).contains("SIGHUP is ignored in this process");
      HttpTestClient http = new HttpTestClient(httpPort);
      HttpResponse<String> chain = http.postTask("hash-chain", "{\"seed\":\"anvil\",\"rounds\":1000}");
      assertThat(chain.statusCode()).as(chain.body()).isEqualTo(200);
      assertThat(json(chain).at("/result/hex").asText()).isEqualTo(KindJars.hashChain("anvil", 1000));
      assertThat(json(http.get("/v1/kinds")).findValuesAsText("kind")).contains("hash-chain", "primes");
      assertEveryNodeServesTheKind(httpPort);
      JsonNode before = supervisor(httpPort);
      assertThat(states(before)).containsExactly("up", "up");

      try (NodeProcess roll = NodeProcess.start(Map.of(), "roll", "--http-port", "" + httpPort)) {
        assertThat(roll.awaitExit()).as(roll.output()).isZero();
        assertThat(roll.output()).contains("node-0 replaced by pid").contains("node-1 replaced by pid")
            .contains("Rolling restart done");
        roll.lines().stream().filter(l -> l.contains("ready in")).forEach(l -> System.out.println("ControlCommandsIT: " + l));
      }
      JsonNode after = supervisor(httpPort);
      assertThat(states(after)).containsExactly("up", "up");
      assertThat(pids(after)).hasSize(2).doesNotContainAnyElementsOf(pids(before));
      // the nodes a roll starts load the same kinds folder (they once came up without it: 404)
      assertEveryNodeServesTheKind(httpPort);

      // node-0's replacement frozen (SIGSTOP) as soon as it exists: never ready, so the roll stops
      // at node-up-timeout, kills it, says so in one line, and both nodes serve on
      try (NodeProcess roll = NodeProcess.start(Map.of(), "roll", "--http-port", "" + httpPort)) {
        ProcessHandle replacement = await().atMost(Duration.ofSeconds(30))
            .until(() -> newNode(supervisor, pids(after)), Optional::isPresent).get();
        assertThat(new ProcessBuilder("kill", "-STOP", "" + replacement.pid()).start().waitFor()).isZero();
        assertThat(roll.awaitExit()).as(roll.output()).isEqualTo(1);
        assertThat(roll.output()).contains("Rolling restart stopped at node-0: its replacement, pid "
            + replacement.pid() + ", was not ready within " + NODE_UP_TIMEOUT_S + " s (killed); node-0 keeps serving"
            + " as pid " + pids(after).get(0));
        await().atMost(Duration.ofSeconds(10)).until(() -> !replacement.isAlive());
      }
      JsonNode afterStoppedRoll = supervisor(httpPort);
      assertThat(states(afterStoppedRoll)).containsExactly("up", "up");
      assertThat(pids(afterStoppedRoll)).isEqualTo(pids(after));
      assertThat(http.get("/health").statusCode()).isEqualTo(200);
      HttpResponse<String> task = http.postTask("primes", "{\"limit\":1000}");
      assertThat(task.statusCode()).as(task.body()).isEqualTo(200);

      // a job still running at the stop: the node that holds it says so (short, so the drain waits little)
      HttpResponse<String> job = http.post("/v1/jobs/spin", "{\"ms\":5000}", "application/json");
      assertThat(job.statusCode()).as(job.body()).isEqualTo(202);
      String id = HttpTestClient.JSON.readTree(job.body()).at("/id").asText();
      await().atMost(Duration.ofSeconds(30))
          .until(() -> http.get("/v1/jobs/" + id).body().contains("\"status\":\"running\""));

      try (NodeProcess stop = NodeProcess.start(Map.of(), "stop", "--http-port", "" + httpPort)) {
        assertThat(stop.awaitExit()).as(stop.output()).isZero();
      }
      assertThat(supervisor.awaitExit()).as(supervisor.output()).isZero();
      assertThat(supervisor.output()).contains("Stopping with 1 jobs held here (1 running, 0 queued): those not"
          + " finished within the drain are kept in the journal and run again");
    }
  }

  /** Each request on its own connection, which the kernel gives to either node: both take it and know the kind. */
  private static void assertEveryNodeServesTheKind(int httpPort) {
    List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      requests.add(new HttpTestClient(httpPort).postTaskAsync("hash-chain", "{\"seed\":\"s" + i + "\",\"rounds\":10}"));
    }
    List<HttpResponse<String>> answers = requests.stream().map(CompletableFuture::join).toList();
    assertThat(answers).allSatisfy(a -> assertThat(a.statusCode()).as(a.body()).isEqualTo(200));
    Set<String> receivedBy = answers.stream().map(a -> json(a).at("/receivedBy").asText()).collect(Collectors.toSet());
    assertThat(receivedBy).hasSize(2);
  }

  /** A node JVM of this supervisor that is none of {@code known}. */
  private static Optional<ProcessHandle> newNode(NodeProcess supervisor, List<Long> known) {
    return supervisor.nodeJvms().stream().filter(p -> !known.contains(p.pid())).findFirst();
  }

  /** The supervisor's slots, as 'status --json' prints them under "supervisor". */
  private static JsonNode supervisor(int httpPort) throws Exception {
    try (NodeProcess status = NodeProcess.start(Map.of(), "status", "--url", "http://127.0.0.1:" + httpPort,
        "--json")) {
      assertThat(status.awaitExit()).as(status.output()).isZero();
      JsonNode supervisor = HttpTestClient.JSON.readTree(status.output()).path("supervisor");
      assertThat(supervisor.path("slots").isArray()).as(status.output()).isTrue();
      return supervisor;
    }
  }

  private static List<String> states(JsonNode supervisor) {
    List<String> states = new ArrayList<>();
    supervisor.path("slots").forEach(slot -> states.add(slot.path("state").asText()));
    return states;
  }

  private static List<Long> pids(JsonNode supervisor) {
    List<Long> pids = new ArrayList<>();
    supervisor.path("slots").forEach(slot -> pids.add(slot.path("pid").asLong()));
    return pids;
  }
}
