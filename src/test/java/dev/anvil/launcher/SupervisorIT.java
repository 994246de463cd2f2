package dev.anvil.launcher;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.FreePorts;
import dev.anvil.HttpTestClient;
import dev.anvil.NodeProcess;
import dev.anvil.Tiers;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@code java -jar anvil.jar start --nodes 2}: the supervisor path, with real node JVMs. */
@Tag(Tiers.FAULTS)
class SupervisorIT {

  @Test
  void startRunsTwoNodesRestartsAKilledOneAndRollsWithoutAFailedRequest() throws Exception {
    int httpPort = FreePorts.one();
    int clusterBase = FreePorts.range(4);
    // SIGHUP as the default disposition whatever started this test: under nohup, or a runner that
    // ignores SIGHUP, the JVM cannot handle it, the supervisor says so, and a roll never starts.
    try (NodeProcess supervisor = NodeProcess.startUnder(List.of("env", "--default-signal=HUP"),
        Map.of("ANVIL_CLUSTER_PORT", "" + clusterBase), "start", "--nodes", "2", "--http-port", "" + httpPort)) {
      HttpTestClient http = new HttpTestClient(httpPort);

      // 1. two node JVMs, one cluster, both Up, both answering on the one port
      supervisor.awaitLine(l -> l.contains("Anvil is up"), Duration.ofSeconds(60));
      assertThat(supervisor.output()).doesNotContain("SIGHUP is ignored");
      assertThat(nodeProcesses(supervisor)).hasSize(2);
      await().atMost(Duration.ofSeconds(15)).until(() -> upMembers(http) == 2);
      Set<String> receivedBy = new HashSet<>();
      Set<String> computedBy = new HashSet<>();
      for (HttpResponse<String> r : concurrently(http, 16, "{\"ms\":200}")) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        receivedBy.add(json(r).at("/receivedBy").asText());
        computedBy.add(json(r).at("/node").asText());
      }
      assertThat(computedBy).hasSize(2);
      assertThat(receivedBy).hasSize(2);

      // 2. kill -9 a node: the supervisor starts it again and it rejoins
      ProcessHandle victim = nodeProcesses(supervisor).get(0);
      victim.destroyForcibly();
      supervisor.awaitLine(l -> l.contains("exited unexpectedly"), Duration.ofSeconds(20));
      supervisor.awaitLine(l -> l.contains("is Up again"), Duration.ofSeconds(60));
      await().atMost(Duration.ofSeconds(30)).until(() -> upMembers(http) == 2 && nodeProcesses(supervisor).size() == 2);

      // 3. SIGHUP rolls every node under steady load, and no request fails
      Set<Long> before = pids(supervisor);
      LoadResult load = steadyLoad(http, supervisor);
      assertThat(load.failures()).as(load.errors().toString()).isEmpty();
      assertThat(load.ok()).isGreaterThan(20);
      Set<Long> after = pids(supervisor);
      assertThat(after).hasSize(2).doesNotContainAnyElementsOf(before);

      // 4. SIGTERM stops every node and then the supervisor
      assertThat(supervisor.stop(Duration.ofSeconds(90))).isTrue();
      assertThat(after).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isNotEqualTo(
          java.util.Optional.of(true)));
    }
  }

  @Test
  void aSupervisorKilledWithSignal9TakesItsNodesWithItAndAStartOnTheSamePortsServesAgain() throws Exception {
    // found by the chaos runner: kill -9 of a supervisor left its nodes running, holding the ports,
    // the cluster and the jobs that the next start needs
    int httpPort = FreePorts.one();
    Map<String, String> env = Map.of("ANVIL_CLUSTER_PORT", "" + FreePorts.range(4));
    List<ProcessHandle> nodes;
    try (NodeProcess supervisor = NodeProcess.start(env, "start", "--nodes", "2", "--http-port", "" + httpPort)) {
      supervisor.awaitLine(l -> l.contains("Anvil is up"), Duration.ofSeconds(60));
      nodes = supervisor.nodeJvms();
      assertThat(nodes).hasSize(2);
      supervisor.process().destroyForcibly().waitFor();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> nodes.stream().noneMatch(ProcessHandle::isAlive));
    try (NodeProcess again = NodeProcess.start(env, "start", "--nodes", "2", "--http-port", "" + httpPort)) {
      again.awaitLine(l -> l.contains("Anvil is up"), Duration.ofSeconds(60));
      HttpTestClient http = new HttpTestClient(httpPort);
      await().atMost(Duration.ofSeconds(30)).until(() -> upMembers(http) == 2);
      HttpResponse<String> task = http.postTask("primes", "{\"limit\":1000}");
      assertThat(task.statusCode()).as(task.body()).isEqualTo(200);
      assertThat(again.stop(Duration.ofSeconds(60))).isTrue();
    }
  }

  record LoadResult(int ok, List<String> failures, List<String> errors) {}

  /** Four clients post tasks back to back while the supervisor rolls the nodes; counts what fails. */
  private static LoadResult steadyLoad(HttpTestClient http, NodeProcess supervisor) throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    HttpClient client = HttpClient.newHttpClient();
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      clients.add(CompletableFuture.runAsync(() -> {
        while (running.get()) {
          HttpRequest request = http.request("/v1/tasks/spin").header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"ms\":20}")).build();
          try {
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
              ok.incrementAndGet();
            } else {
              failures.add(r.statusCode() + " " + r.body());
            }
          } catch (Exception e) {
            failures.add(e.toString());
          }
        }
      }));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > 10);
    new ProcessBuilder("kill", "-HUP", Long.toString(supervisor.process().pid())).start().waitFor();
    // the roll's own bound: 2 nodes x (node-up-timeout + node-stop-timeout), each step logged
    supervisor.awaitLine(l -> l.contains("Rolling restart done") || l.contains("Rolling restart stopped"),
        Duration.ofSeconds(2 * (60 + 60) + 10));
    running.set(false);
    CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).join();
    List<String> errors = supervisor.lines().stream().filter(l -> l.contains("Rolling restart")).toList();
    return new LoadResult(ok.get(), failures, errors);
  }

  private static List<HttpResponse<String>> concurrently(HttpTestClient http, int n, String body) {
    // each request on its own client, so on its own connection: the kernel spreads connections
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      futures.add(new HttpTestClient(http.port()).postTaskAsync("spin", body));
    }
    return futures.stream().map(CompletableFuture::join).toList();
  }

  private static List<ProcessHandle> nodeProcesses(NodeProcess supervisor) {
    return supervisor.nodeJvms();
  }

  private static Set<Long> pids(NodeProcess supervisor) {
    Set<Long> pids = new HashSet<>();
    nodeProcesses(supervisor).forEach(p -> pids.add(p.pid()));
    return pids;
  }

  private static int upMembers(HttpTestClient http) {
    try {
      JsonNode health = json(http.get("/health"));
      return health.at("/members").asInt();
    } catch (RuntimeException e) {
      return 0;
    }
  }
}
