package dev.anvil.jobs;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.FreePorts;
import dev.anvil.HttpTestClient;
import dev.anvil.NodeProcess;
import dev.anvil.TestDatabases;
import dev.anvil.Tiers;
import dev.anvil.testkit.ClusterView;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * No node loss loses a job: 300 jobs over three real node JVMs, the node of a running job
 * killed (kill -9) and started again while they run; and the same under a rolling restart of a
 * {@code start}, with more jobs submitted during the roll. Every
 * job ends succeeded with the right result, the same on every node, listed once.
 */
@Tag(Tiers.DURABILITY)
class JobChaosIT {

  private static final int JOBS = 300;
  /** Limits whose prime counts are known: each job has a result that can be checked. */
  private static final Map<Integer, Integer> PRIMES = Map.of(5_000_000, 348_513, 10_000_000, 664_579);

  private static int limit(int i) {
    return i % 2 == 0 ? 5_000_000 : 10_000_000;
  }

  @Test
  void theNodeOfARunningJobKilledAndStartedAgainEveryJobSucceedsOnce() throws Exception {
    int[] http = {FreePorts.one(), FreePorts.one(), FreePorts.one()};
    int[] cluster = {FreePorts.one(), FreePorts.one(), FreePorts.one()};
    String seed = "127.0.0.1:" + cluster[0];
    NodeProcess[] nodes = new NodeProcess[3];
    try (TestDatabases.Database db = TestDatabases.h2Server()) {
      try {
        for (int i = 0; i < 3; i++) {
          nodes[i] = node(db, http[i], cluster[i], i == 0 ? null : seed);
        }
        List<HttpTestClient> clients = List.of(new HttpTestClient(http[0]), new HttpTestClient(http[1]),
            new HttpTestClient(http[2]));
        for (NodeProcess n : nodes) {
          n.awaitServing(Duration.ofSeconds(60));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> ClusterView.read(clients.get(0).port()).up() == 3);

        Map<String, Integer> expected = submitRoundRobin(clients);
        // then long jobs, so that some run when a node is killed
        List<String> longJobs = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
          HttpResponse<String> r = clients.get(i % 3).post("/v1/jobs/spin", "{\"ms\":5000}", "application/json");
          assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
          longJobs.add(json(r).at("/id").asText());
        }
        // the node of a running long job (its entity's node: where it runs from), not the seed
        String[] victimJob = new String[1];
        int[] victim = new int[1];
        await().atMost(Duration.ofSeconds(60)).until(() -> {
          for (String id : longJobs) {
            JsonNode view = json(clients.get(0).get("/v1/jobs/" + id));
            for (int i = 1; i < 3; i++) {
              if (view.at("/status").asText().equals("running")
                  && view.at("/node").asText().equals("127.0.0.1:" + cluster[i])) {
                victimJob[0] = id;
                victim[0] = i;
                return true;
              }
            }
          }
          return false;
        });
        nodes[victim[0]].process().destroyForcibly().waitFor(); // kill -9 while the job runs from it
        nodes[victim[0]] = node(db, http[victim[0]], cluster[victim[0]], seed); // same address, new incarnation
        nodes[victim[0]].awaitServing(Duration.ofSeconds(60));

        int total = expected.size() + longJobs.size();
        await().atMost(Duration.ofSeconds(180)).until(() -> count(clients.get(0), "succeeded") == total);
        for (HttpTestClient each : clients) {
          await().atMost(Duration.ofSeconds(30)).until(() -> count(each, "succeeded") == total);
          checkEveryJob(each, expected);
        }
        JsonNode lost = json(clients.get(0).get("/v1/jobs/" + victimJob[0]));
        assertThat(lost.at("/status").asText()).isEqualTo("succeeded");
        assertThat(lost.at("/result/ms").asInt()).isEqualTo(5000);
        assertThat(lost.at("/attempts").asInt()).as("the job whose node was killed ran again").isGreaterThanOrEqualTo(2);
      } finally {
        for (NodeProcess n : nodes) {
          if (n != null) {
            n.close();
          }
        }
      }
    }
  }

  @Test
  void underARollingRestartOfStartEveryJobSucceedsOnce() throws Exception {
    int httpPort = FreePorts.one();
    // two nodes: each step of the roll takes the node of about half the jobs' entities away
    try (NodeProcess supervisor = NodeProcess.start(Map.of(), "start", "--nodes", "2", "--http-port", "" + httpPort)) {
      supervisor.awaitLine(l -> l.contains("Anvil is up"), Duration.ofSeconds(120));
      HttpTestClient http = new HttpTestClient(httpPort);
      Map<String, Integer> expected = submitRoundRobin(List.of(http));
      // and more submitted while the roll goes on: each is accepted, or refused with Retry-After
      java.util.concurrent.ConcurrentHashMap<String, Integer> duringRoll = new java.util.concurrent.ConcurrentHashMap<>();
      java.util.concurrent.ConcurrentLinkedQueue<String> failed = new java.util.concurrent.ConcurrentLinkedQueue<>();
      java.util.concurrent.atomic.AtomicBoolean rolling = new java.util.concurrent.atomic.AtomicBoolean(true);
      Thread submitter = new Thread(() -> {
        for (int i = 0; rolling.get(); i++) {
          try {
            HttpResponse<String> r = http.post("/v1/jobs/primes", "{\"limit\":" + limit(i) + "}", "application/json");
            if (r.statusCode() == 202) {
              duringRoll.put(json(r).at("/id").asText(), PRIMES.get(limit(i)));
            } else if (!((r.statusCode() == 503 || r.statusCode() == 429)
                && r.headers().firstValue("Retry-After").isPresent())) {
              failed.add(r.statusCode() + " " + r.body());
            }
            Thread.sleep(200); // the offered rate (a few a second: all fit one page of the listing), not synchronization
          } catch (InterruptedException e) {
            return;
          } catch (RuntimeException e) {
            failed.add(e.toString());
          }
        }
      }, "submitter");
      submitter.start();
      try (NodeProcess roll = NodeProcess.start(Map.of(), "roll", "--http-port", "" + httpPort)) {
        assertThat(roll.awaitExit()).as(roll.output()).isZero();
      } finally {
        rolling.set(false);
        submitter.join();
      }
      assertThat(failed).as("submissions during the roll that failed other than with Retry-After").isEmpty();
      assertThat(duringRoll).as("jobs accepted during the roll").isNotEmpty();
      expected.putAll(duringRoll);
      await().atMost(Duration.ofSeconds(180)).until(() -> count(http, "succeeded") == expected.size());
      checkEveryJob(http, expected);
    }
  }

  /** A node JVM; the three share one jobs' database, as nodes of several machines share PostgreSQL. */
  private static NodeProcess node(TestDatabases.Database db, int httpPort, int clusterPort, String seed)
      throws Exception {
    List<String> args = new ArrayList<>(List.of("node", "--http-port", "" + httpPort, "--cluster-port",
        "" + clusterPort, "--workers", "1"));
    if (seed != null) {
      args.addAll(List.of("--seed-nodes", seed));
    }
    return NodeProcess.start(db.env(), args.toArray(String[]::new));
  }

  private static Map<String, Integer> submitRoundRobin(List<HttpTestClient> clients) {
    Map<String, Integer> expected = new HashMap<>();
    for (int i = 0; i < JOBS; i++) {
      HttpResponse<String> r = clients.get(i % clients.size()).post("/v1/jobs/primes",
          "{\"limit\":" + limit(i) + "}", "application/json");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      expected.put(json(r).at("/id").asText(), PRIMES.get(limit(i)));
    }
    return expected;
  }

  /** Every job listed once, succeeded, with the right count; and each readable by id with the same. */
  private static void checkEveryJob(HttpTestClient http, Map<String, Integer> expected) {
    JsonNode jobs = json(http.get("/v1/jobs?kind=primes&limit=1000")).at("/jobs");
    Set<String> seen = new HashSet<>();
    int rerun = 0;
    for (JsonNode job : jobs) {
      String id = job.at("/id").asText();
      assertThat(seen.add(id)).as("listed once: " + id).isTrue();
      assertThat(job.at("/status").asText()).isEqualTo("succeeded");
      assertThat(job.at("/result/count").asInt()).as(id).isEqualTo(expected.get(id));
      rerun += job.at("/attempts").asInt() > 1 ? 1 : 0;
    }
    assertThat(seen).isEqualTo(expected.keySet());
    System.out.println("JobChaosIT: " + seen.size() + " jobs succeeded on :" + http.port() + ", " + rerun
        + " of them run again after their node was lost");
  }

  private static int count(HttpTestClient http, String status) {
    try {
      return json(http.get("/v1/jobs?status=" + status + "&limit=1000")).at("/jobs").size();
    } catch (RuntimeException e) {
      return -1;
    }
  }

}
