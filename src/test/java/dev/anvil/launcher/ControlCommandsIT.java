package dev.anvil.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.FreePorts;
import dev.anvil.NodeProcess;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** roll, status and stop reach a running start without signals: they work under nohup. */
class ControlCommandsIT {

  @Test
  void rollStatusAndStopWorkUnderNohup() throws Exception {
    int httpPort = FreePorts.one();
    try (NodeProcess supervisor = NodeProcess.startUnder(List.of("nohup"), Map.of(),
        "start", "--nodes", "2", "--http-port", "" + httpPort)) {
      supervisor.awaitLine(l -> l.contains("Anvil is up"), Duration.ofSeconds(90));
      assertThat(supervisor.output()).contains("SIGHUP is ignored in this process");
      String before = status(httpPort);

      try (NodeProcess roll = NodeProcess.start(Map.of(), "roll", "--http-port", "" + httpPort)) {
        assertThat(roll.awaitExit()).as(roll.output()).isZero();
        assertThat(roll.output()).contains("node-0 replaced by pid").contains("node-1 replaced by pid")
            .contains("Rolling restart done");
      }
      String after = status(httpPort);
      assertThat(after).contains("\"state\":\"up\"");
      assertThat(pids(after)).doesNotContainAnyElementsOf(pids(before));

      try (NodeProcess stop = NodeProcess.start(Map.of(), "stop", "--http-port", "" + httpPort)) {
        assertThat(stop.awaitExit()).as(stop.output()).isZero();
      }
      assertThat(supervisor.awaitExit()).as(supervisor.output()).isZero();
    }
  }

  private static String status(int httpPort) throws Exception {
    try (NodeProcess status = NodeProcess.start(Map.of(), "status", "--http-port", "" + httpPort)) {
      assertThat(status.awaitExit()).as(status.output()).isZero();
      return status.output();
    }
  }

  private static List<String> pids(String status) {
    return java.util.regex.Pattern.compile("\"pid\":(\\d+)").matcher(status).results().map(m -> m.group(1)).toList();
  }
}
