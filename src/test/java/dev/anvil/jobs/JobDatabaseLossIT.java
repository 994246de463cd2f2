package dev.anvil.jobs;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.anvil.FreePorts;
import dev.anvil.HttpTestClient;
import dev.anvil.NodeProcess;
import dev.anvil.TestDatabases;
import dev.anvil.Tiers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The jobs' database stops for 10 s under submission load (PostgreSQL, stopped and started with
 * pg_ctlcluster). While it is down, submissions get 503 with Retry-After and never a 202 or a
 * 500; synchronous tasks are served as before; after it is back, submissions are accepted again
 * within 5 s; and every job accepted before, during or after ends succeeded.
 */
@Tag(Tiers.DURABILITY)
class JobDatabaseLossIT {

  @Test
  void postgresStoppedForTenSecondsUnderLoadLosesNoAcceptedJob() throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "stopping PostgreSQL needs root (pg_ctlcluster); skipped");
    try (TestDatabases.Database db = TestDatabases.postgres()) {
      int[] http = {FreePorts.one(), FreePorts.one()};
      int seedPort = FreePorts.one();
      List<NodeProcess> nodes = new ArrayList<>();
      try {
        nodes.add(NodeProcess.start(db.env(), "node", "--http-port", "" + http[0], "--cluster-port", "" + seedPort,
            "--workers", "1"));
        nodes.add(NodeProcess.start(db.env(), "node", "--http-port", "" + http[1], "--cluster-port", "0",
            "--workers", "1", "--seed-nodes", "127.0.0.1:" + seedPort));
        for (NodeProcess n : nodes) {
          n.awaitServing(Duration.ofSeconds(90));
        }
        HttpTestClient a = new HttpTestClient(http[0]);
        HttpTestClient b = new HttpTestClient(http[1]);
        await().atMost(Duration.ofSeconds(30)).until(() -> json(a.get("/health")).at("/members").asInt() == 2);

        ConcurrentLinkedQueue<String> accepted = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicInteger unavailable = new AtomicInteger();
        AtomicLong dbBackAt = new AtomicLong(Long.MAX_VALUE);
        AtomicLong firstAcceptAfterBack = new AtomicLong(Long.MAX_VALUE);
        AtomicBoolean submitting = new AtomicBoolean(true);
        Thread load = new Thread(() -> {
          int i = 0;
          while (submitting.get()) {
            long sentAt = System.nanoTime();
            HttpResponse<String> r = (i++ % 2 == 0 ? a : b).post("/v1/jobs/primes", "{\"limit\":1000}",
                "application/json");
            if (r.statusCode() == 202) {
              accepted.add(json(r).at("/id").asText());
              if (sentAt > dbBackAt.get()) {
                firstAcceptAfterBack.compareAndSet(Long.MAX_VALUE, System.nanoTime());
              }
            } else if (r.statusCode() == 503 && r.headers().firstValue("Retry-After").isPresent()) {
              unavailable.incrementAndGet();
            } else {
              wrong.add(r.statusCode() + " " + r.body());
            }
            try {
              Thread.sleep(20); // the offered rate (~40/s), not synchronization
            } catch (InterruptedException e) {
              return;
            }
          }
        }, "submitter");
        load.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> accepted.size() >= 50);

        pgctl("stop");
        long downAt = System.nanoTime();
        int acceptedBefore = accepted.size();
        // tasks do not need the database
        while (System.nanoTime() - downAt < 10_000_000_000L) {
          HttpResponse<String> task = a.postTask("primes", "{\"limit\":1000}");
          assertThat(task.statusCode()).as(task.body()).isEqualTo(200);
          Thread.sleep(250); // pacing of the probe, not synchronization
        }
        int acceptedWhileDown = accepted.size() - acceptedBefore;
        pgctl("start");
        dbBackAt.set(System.nanoTime());
        await().atMost(Duration.ofSeconds(30)).until(() -> firstAcceptAfterBack.get() != Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(30)).until(() -> accepted.size() >= acceptedBefore + acceptedWhileDown + 50);
        submitting.set(false);
        load.join();

        double recovery = (firstAcceptAfterBack.get() - dbBackAt.get()) / 1e9;
        System.out.printf("JobDatabaseLossIT: %d accepted, %d answered 503 with Retry-After, %d accepted in the"
                + " 10 s down (in flight at the stop), first accepted %.1f s after the database was back%n",
            accepted.size(), unavailable.get(), acceptedWhileDown, recovery);
        assertThat(wrong).as("answers other than 202 or 503 with Retry-After").isEmpty();
        assertThat(unavailable.get()).as("503s while the database was down").isPositive();
        assertThat(recovery).as("seconds from the database's return to the first accepted job").isLessThanOrEqualTo(5.0);
        List<String> pending = new ArrayList<>(accepted);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
          pending.removeIf(id -> json(a.get("/v1/jobs/" + id)).at("/status").asText().equals("succeeded"));
          return pending.isEmpty();
        });
      } finally {
        pgctl("start"); // whatever happened, the next test finds it running
        for (NodeProcess n : nodes) {
          n.close();
        }
      }
    }
  }

  private static void pgctl(String action) throws Exception {
    List<String> command = new ArrayList<>(List.of("pg_ctlcluster", "15", "main", action));
    if (action.equals("stop")) {
      command.addAll(List.of("-m", "fast"));
    }
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    int exit = p.waitFor();
    if (!(action.equals("start") && out.contains("already running"))) {
      assertThat(exit).as("pg_ctlcluster " + action + ": " + out).isZero();
    }
  }
}
