package dev.anvil.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.FreePorts;
import dev.anvil.HttpTestClient;
import dev.anvil.NodeProcess;
import dev.anvil.RawHttp;
import dev.anvil.Tiers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code start} with two nodes, at log level WARN: a node frozen by SIGSTOP (as a long pause or a
 * stuck VM would) is found by the supervisor's health check, killed and started again; the other
 * node serves meanwhile, and the frozen one comes back into the same cluster, never a second one.
 */
@Tag(Tiers.FAULTS)
class FrozenNodeIT {

  private static final Pattern NODE_0 = Pattern.compile("127\\.0\\.0\\.1:(\\d+) \\(pid (\\d+)\\)");

  @Test
  void aFrozenNodeIsReplacedAndTheOtherServesMeanwhile() throws Exception {
    int httpPort = FreePorts.one();
    try (NodeProcess supervisor = NodeProcess.start(Map.of("ANVIL_LOG_LEVEL", "WARN"),
        "start", "--nodes", "2", "--http-port", "" + httpPort)) {
      // readiness comes from each node's management port, not from its (here silenced) log lines
      String banner = supervisor.awaitLine(l -> l.contains("node(s) in one cluster"), Duration.ofSeconds(90));
      assertThat(supervisor.output()).doesNotContain("is Up in the cluster");
      Matcher first = NODE_0.matcher(banner);
      assertThat(first.find()).isTrue();
      long frozenPid = Long.parseLong(first.group(2));
      HttpTestClient http = new HttpTestClient(httpPort);

      signal("STOP", frozenPid);
      long frozenAt = System.nanoTime();
      List<Long> failuresMs = new ArrayList<>();
      int served = 0;
      // twice the time detection may take: as long again serving after it
      Duration window = Duration.ofSeconds(14);
      while (System.nanoTime() - frozenAt < window.toNanos()) {
        // a new connection each time: the kernel may give it to either node
        long sent = (System.nanoTime() - frozenAt) / 1_000_000;
        String body = "{\"limit\":1000}";
        try {
          RawHttp.Response r = RawHttp.exchange(httpPort, "POST /v1/tasks/primes HTTP/1.1\r\nHost: x\r\n"
              + "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " + body.length()
              + "\r\n\r\n" + body, Duration.ofSeconds(2));
          if (r.status() == 200) {
            served++;
          } else {
            failuresMs.add(sent);
          }
        } catch (java.io.UncheckedIOException e) {
          failuresMs.add(sent);
        }
        Thread.sleep(100);
      }
      signal("CONT", frozenPid); // too late: it was killed, and a fresh node-0 runs
      System.out.println("FrozenNodeIT: " + served + " tasks served in " + window.toSeconds()
          + " s, failed at (ms after SIGSTOP): " + failuresMs);
      String killed = supervisor.awaitLine(l -> l.contains("has not answered its health check"),
          Duration.ofSeconds(5));
      assertThat(killed).contains("pid " + frozenPid);
      long detection = Duration.ofSeconds(5).toMillis() + 2_000; // health-timeout, plus a poll and a 2 s request
      assertThat(failuresMs).as("failures only until the frozen node is found").allSatisfy(
          ms -> assertThat(ms).isLessThan(detection));
      assertThat(served).isGreaterThan(35);

      // node-0 is back, and both nodes see one cluster of two
      supervisor.awaitLine(l -> l.contains("node-0 is Up again"), Duration.ofSeconds(60));
      await().atMost(Duration.ofSeconds(30)).until(() -> everyViewHasTwoUpMembers(http));
      assertThat(ProcessHandle.of(frozenPid).map(ProcessHandle::isAlive)).isNotEqualTo(java.util.Optional.of(true));

      // a second start on the same HTTP port is refused at once, in one line
      try (NodeProcess second = NodeProcess.start(Map.of(), "start", "--nodes", "1", "--http-port", "" + httpPort)) {
        assertThat(second.awaitExit()).isEqualTo(2);
        assertThat(second.lines()).hasSize(1);
        assertThat(second.lines().get(0)).contains("another Anvil supervisor already serves HTTP port " + httpPort);
      }
    }
  }

  /** Asks /v1/cluster until both nodes have answered: each must list two Up members. */
  private static boolean everyViewHasTwoUpMembers(HttpTestClient http) {
    Set<String> selves = new HashSet<>();
    for (int i = 0; i < 20 && selves.size() < 2; i++) {
      try { // a new connection each time: it may land on either node
        RawHttp.Response r = RawHttp.exchange(http.port(), "GET /v1/cluster HTTP/1.1\r\nHost: x\r\n"
            + "Connection: close\r\n\r\n", Duration.ofSeconds(2));
        JsonNode view = HttpTestClient.JSON.readTree(r.body());
        int up = 0;
        for (JsonNode m : view.at("/members")) {
          up += m.at("/status").asText().equals("Up") ? 1 : 0;
        }
        if (up != 2) {
          return false;
        }
        selves.add(view.at("/self").asText());
      } catch (Exception e) {
        return false;
      }
    }
    return selves.size() == 2;
  }

  private static void signal(String signal, long pid) throws Exception {
    new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor();
  }
}
