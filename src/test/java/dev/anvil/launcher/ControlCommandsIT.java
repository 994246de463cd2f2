package dev.anvil.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.FreePorts;
import dev.anvil.HttpTestClient;
import dev.anvil.NodeProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * roll and stop reach a running start without signals: they work under nohup; status shows the
 * supervisor's slots through any node's /v1/cluster.
 */
class ControlCommandsIT {

  @Test
  void rollStatusAndStopWorkUnderNohup() throws Exception {
    int httpPort = FreePorts.one();
    try (NodeProcess supervisor = NodeProcess.startUnder(List.of("nohup"), Map.of(),
        "start", "--nodes", "2", "--http-port", "" + httpPort)) {
      supervisor.awaitLine(l -> l.contains("Anvil is up"), Duration.ofSeconds(90));
      assertThat(supervisor.output()).contains("SIGHUP is ignored in this process");
      JsonNode before = supervisor(httpPort);
      assertThat(states(before)).containsExactly("up", "up");

      try (NodeProcess roll = NodeProcess.start(Map.of(), "roll", "--http-port", "" + httpPort)) {
        assertThat(roll.awaitExit()).as(roll.output()).isZero();
        assertThat(roll.output()).contains("node-0 replaced by pid").contains("node-1 replaced by pid")
            .contains("Rolling restart done");
      }
      JsonNode after = supervisor(httpPort);
      assertThat(states(after)).containsExactly("up", "up");
      assertThat(pids(after)).hasSize(2).doesNotContainAnyElementsOf(pids(before));

      try (NodeProcess stop = NodeProcess.start(Map.of(), "stop", "--http-port", "" + httpPort)) {
        assertThat(stop.awaitExit()).as(stop.output()).isZero();
      }
      assertThat(supervisor.awaitExit()).as(supervisor.output()).isZero();
    }
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
