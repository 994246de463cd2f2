package dev.anvil.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.HttpTestClient;
import dev.anvil.NodeProcess;
import dev.anvil.Tiers;
import dev.anvil.chaos.NetworkHosts;
import java.io.IOException;
import java.net.URI;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Three "hosts" on this machine: network namespaces joined by a bridge, each with its own address
 * and its own `start` of two node JVMs. The six nodes form one cluster through Cluster Bootstrap
 * (config discovery). Then the host holding the oldest node is cut off (its link down): the other
 * four down its nodes and keep serving; jobs accepted before the cut complete; the host comes back
 * and the cluster is six again. Needs root and `ip netns`; skipped otherwise.
 */
@Tag(Tiers.ROOT)
@Tag(Tiers.FAULTS)
class MultiHostIT {

  private static final int HOSTS = 3;
  private static final String TOKEN = "multi-host-test-token";
  private static final List<NodeProcess> starts = new ArrayList<>();
  private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static NetworkHosts network;

  private static String ip(int host) {
    return network.ip(host);
  }

  private static int httpPort(int host) {
    return 18080 + host; // the start's control socket is named after its HTTP port, on the one file system
  }

  private static String url(int host) {
    return "http://" + ip(host) + ":" + httpPort(host);
  }

  private static dev.anvil.TestDatabases.Database journal;

  @BeforeAll
  static void makeHosts() throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "MultiHostIT needs root to make network namespaces; skipped");
    Assumptions.assumeTrue(NetworkHosts.available(), "MultiHostIT needs 'ip netns'; skipped");
    network = NetworkHosts.create(HOSTS);
  }

  @AfterAll
  static void removeHosts() throws Exception {
    // all three told to stop at once, then awaited: each drains and leaves in its own time
    for (NodeProcess start : starts) {
      start.stop(Duration.ZERO);
    }
    for (NodeProcess start : starts) {
      start.close();
    }
    if (journal != null) {
      journal.close();
    }
    if (network != null) {
      network.close();
    }
  }

  @Test
  void sixNodesOnThreeHostsFormOneClusterAndLoseTheHostOfTheOldestWithoutFailing() throws Exception {
    List<String> contactPoints = new ArrayList<>();
    for (int h = 1; h <= HOSTS; h++) {
      contactPoints.add(ip(h) + ":8558");
      contactPoints.add(ip(h) + ":8559");
    }
    // machines share one jobs' database (PostgreSQL in production): here an H2 server on the bridge
    journal = dev.anvil.TestDatabases.h2Server(network.bridgeIp());
    long begin = System.nanoTime();
    for (int h = 1; h <= HOSTS; h++) {
      Map<String, String> env = new java.util.HashMap<>(journal.env());
      env.putAll(Map.of(
              "ANVIL_CLUSTER_HOSTNAME", ip(h),
              "ANVIL_CLUSTER_DISCOVERY", "config",
              "ANVIL_CONTACT_POINTS", String.join(",", contactPoints),
              "ANVIL_REQUIRED_CONTACT_POINTS", "6",
              "ANVIL_MANAGEMENT_PORT", "8558",
              "ANVIL_API_TOKENS", TOKEN));
      starts.add(NodeProcess.startUnder(network.exec(h), env,
          "start", "--nodes", "2", "--http-host", ip(h), "--http-port", Integer.toString(httpPort(h))));
    }
    for (NodeProcess start : starts) {
      start.awaitLine(l -> l.contains("Anvil is up"), Duration.ofSeconds(150));
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> upMembers(1).size() == 6 && upMembers(2).size() == 6
        && upMembers(3).size() == 6);
    double formSeconds = (System.nanoTime() - begin) / 1e9;

    // tasks that enter each host run on the nodes of the others too
    for (int h = 1; h <= HOSTS; h++) {
      Set<String> ranOn = new HashSet<>();
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        answers.add(client.sendAsync(task(h, "{\"ms\":150}"), HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> a : answers) {
        HttpResponse<String> r = a.join();
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        ranOn.add(HttpTestClient.json(r).at("/node").asText().split(":")[0]);
      }
      assertThat(ranOn).as("hosts whose nodes ran the tasks that entered host %d", h).hasSizeGreaterThan(1);
    }

    // the host of the oldest node is the one cut
    JsonNode members = HttpTestClient.JSON.readTree(client.send(HttpRequest.newBuilder(
        URI.create("http://" + ip(1) + ":8558/cluster/members")).header("Authorization", "Bearer " + TOKEN).build(),
        HttpResponse.BodyHandlers.ofString()).body());
    String oldest = members.at("/oldest").asText();
    int cut = 0;
    for (int h = 1; h <= HOSTS; h++) {
      if (oldest.contains("@" + ip(h) + ":")) {
        cut = h;
      }
    }
    assertThat(cut).as("the oldest, %s, is on one of the hosts", oldest).isPositive();
    int survivor = cut == 1 ? 2 : 1;
    int other = 6 - cut - survivor;

    // jobs accepted before the cut
    List<String> jobs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url(survivor) + "/v1/jobs/spin"))
          .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"ms\":3000}")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      jobs.add(HttpTestClient.json(r).at("/id").asText());
    }

    long cutAt = System.nanoTime();
    network.cut(cut);
    // requests to the surviving hosts, one every 100 ms, until the cut host's nodes are downed
    int sent = 0;
    int failedDuringDetection = 0;
    int cutHost = cut;
    while (!(downed(survivor, cutHost) && downed(other, cutHost)) && System.nanoTime() - cutAt < 60_000_000_000L) {
      sent++;
      failedDuringDetection += succeeds(sent % 2 == 0 ? survivor : other) ? 0 : 1;
      Thread.sleep(100); // pacing of the load, not synchronization
    }
    double downSeconds = (System.nanoTime() - cutAt) / 1e9;
    // each answer comes from either node of a host (they share its port): wait until all four agree
    await().atMost(Duration.ofSeconds(20)).until(() -> downed(survivor, cutHost) && downed(other, cutHost)
        && upMembers(survivor).size() == 4 && upMembers(other).size() == 4);
    int failedAfterDowning = 0;
    for (int i = 0; i < 40; i++) {
      failedAfterDowning += succeeds(i % 2 == 0 ? survivor : other) ? 0 : 1;
    }
    assertThat(failedAfterDowning).as("failed requests after the cut host was downed").isZero();
    for (String id : jobs) {
      await().atMost(Duration.ofSeconds(60)).until(() -> jobStatus(survivor, id).equals("succeeded"));
    }

    // the host comes back: its nodes (downed, restarted by its supervisor) join the cluster again
    network.heal(cut);
    long restoredAt = System.nanoTime();
    await().atMost(Duration.ofSeconds(120)).until(() -> upMembers(survivor).size() == 6);
    double rejoinSeconds = (System.nanoTime() - restoredAt) / 1e9;
    System.out.printf("MultiHostIT: formed in %.1f s; cut host %d (oldest %s) downed in %.1f s, %d of %d requests"
            + " failed meanwhile, %d of 40 after; back to 6 nodes %.1f s after the link came up%n",
        formSeconds, cut, oldest, downSeconds, failedDuringDetection, sent, failedAfterDowning, rejoinSeconds);
  }

  private static HttpRequest task(int host, String body) {
    return HttpRequest.newBuilder(URI.create(url(host) + "/v1/tasks/spin")).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private static boolean succeeds(int host) {
    try {
      return client.send(HttpRequest.newBuilder(URI.create(url(host) + "/v1/tasks/primes"))
          .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + TOKEN)
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"limit\":1000}"))
          .build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String jobStatus(int host, String id) throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url(host) + "/v1/jobs/" + id))
        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    return r.statusCode() == 200 ? HttpTestClient.json(r).at("/status").asText() : "";
  }

  /** Whether host {@code host}'s nodes no longer count {@code cut}'s as Up members: downed or removed. */
  private static boolean downed(int host, int cut) {
    JsonNode view = view(host);
    if (view == null) {
      return false;
    }
    for (JsonNode m : view.at("/members")) {
      if (m.at("/node").asText().startsWith(ip(cut) + ":") && m.at("/status").asText().equals("Up")) {
        return false;
      }
    }
    return true;
  }

  private static JsonNode view(int host) {
    try {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url(host) + "/v1/cluster"))
          .timeout(Duration.ofSeconds(3)).header("Authorization", "Bearer " + TOKEN).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? HttpTestClient.json(r) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The Up members host {@code host}'s nodes see, as one of them answers; empty when none answers. */
  private static Set<String> upMembers(int host) {
    try {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url(host) + "/v1/cluster"))
          .timeout(Duration.ofSeconds(3)).header("Authorization", "Bearer " + TOKEN).build(),
          HttpResponse.BodyHandlers.ofString());
      Set<String> up = new HashSet<>();
      if (r.statusCode() == 200) {
        HttpTestClient.json(r).at("/members").forEach(m -> {
          if (m.at("/status").asText().equals("Up") && m.at("/reachable").asBoolean()) {
            up.add(m.at("/node").asText());
          }
        });
      }
      return up;
    } catch (IOException e) {
      return Set.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Set.of();
    }
  }
}
