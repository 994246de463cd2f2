package dev.anvil.launcher;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.anvil.FreePorts;
import dev.anvil.HttpTestClient;
import dev.anvil.NodeProcess;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The quick tier's real-JVM test: {@code start --nodes 2} runs two node JVMs in one cluster that
 * serve tasks on one port, and {@code stop} ends them all and then the supervisor, exit status 0.
 */
class StartCommandIT {

  @Test
  void startServesFromTwoNodeJvmsAndStopEndsThemAll() throws Exception {
    int httpPort = FreePorts.one();
    try (NodeProcess supervisor = NodeProcess.start(Map.of("ANVIL_CLUSTER_PORT", "" + FreePorts.range(4)),
        "start", "--nodes", "2", "--http-port", "" + httpPort)) {
      supervisor.awaitLine(l -> l.contains("Anvil is up"), Duration.ofSeconds(60));
      List<ProcessHandle> nodes = supervisor.nodeJvms();
      assertThat(nodes).hasSize(2);
      HttpTestClient http = new HttpTestClient(httpPort);
      await().atMost(Duration.ofSeconds(15)).until(() -> json(http.get("/health")).at("/members").asInt() == 2);
      HttpResponse<String> task = http.postTask("primes", "{\"limit\":1000000}");
      assertThat(task.statusCode()).as(task.body()).isEqualTo(200);
      assertThat(json(task).at("/result/count").asInt()).isEqualTo(78498);

      try (NodeProcess stop = NodeProcess.start(Map.of(), "stop", "--http-port", "" + httpPort)) {
        assertThat(stop.awaitExit()).as(stop.output()).isZero();
      }
      assertThat(supervisor.awaitExit()).as(supervisor.output()).isZero();
      assertThat(nodes).noneMatch(ProcessHandle::isAlive);
    }
  }
}
