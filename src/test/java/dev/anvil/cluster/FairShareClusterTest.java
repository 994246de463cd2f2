package dev.anvil.cluster;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.node.RunningNode;
import dev.anvil.testkit.ClusterView;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fair share on a full cluster of two nodes (one worker each): a tenant that sends its tasks while
 * another's flood waits is served within the next turns, not after the whole flood.
 */
class FairShareClusterTest {

  private static final String FLOOD = "flood-token-0001";
  private static final String QUIET = "quiet-token-0002";

  private final List<RunningNode> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    nodes.forEach(RunningNode::close);
  }

  @Test
  void aQuietTenantsTasksRunBeforeTheRestOfAFlood(@TempDir Path dir) throws IOException {
    Path tokens = dir.resolve("tokens");
    Files.write(tokens, List.of("flood submit,read " + FLOOD, "quiet submit,read " + QUIET));
    Map<String, Object> config = Map.of("anvil.compute.workers", 1, "anvil.http.tokens-file", tokens.toString(),
        "anvil.compute.queue-per-worker", 64);
    RunningNode a = TestNodes.start(config);
    nodes.add(a);
    Map<String, Object> joining = new java.util.HashMap<>(config);
    joining.put("anvil.cluster.seed-nodes", a.nodeId());
    nodes.add(TestNodes.start(joining));
    for (RunningNode n : nodes) {
      await().atMost(Duration.ofSeconds(20)).until(() -> ClusterView.read(n.httpPort(), FLOOD).ready() == 2);
    }
    HttpTestClient http = new HttpTestClient(a.httpPort());

    List<String> ended = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      sent.add(spin(http, FLOOD, ended, "flood"));
    }
    // the flood fills both workers and waits on A
    await().atMost(Duration.ofSeconds(10)).until(() -> a.scheduler().load().queued() >= 10);
    int endedBefore = ended.size();
    sent.add(spin(http, QUIET, ended, "quiet"));
    sent.add(spin(http, QUIET, ended, "quiet"));
    sent.forEach(f -> assertThat(f.join().statusCode()).isEqualTo(200));

    List<String> after = ended.subList(endedBefore, ended.size());
    // First come first served would end the quiet tenant's two tasks after every flood task waiting
    // on A then (10 or more) and those running. In fair turns they wait for the flood tasks already
    // on a worker or handed to B (2 running, up to 2 more B holds next), then take the next turns.
    assertThat(after.indexOf("quiet")).as(after.toString()).isLessThanOrEqualTo(5);
    assertThat(after.lastIndexOf("quiet")).as(after.toString()).isLessThanOrEqualTo(7);
  }

  private static CompletableFuture<HttpResponse<String>> spin(HttpTestClient http, String token, List<String> ended,
      String label) {
    HttpRequest request = http.request("/v1/tasks/spin?timeoutMs=60000").header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"ms\":150}")).build();
    return CompletableFuture.supplyAsync(() -> {
      HttpResponse<String> r = http.send(request);
      ended.add(label);
      assertThat(json(r).at("/kind").asText()).as(r.body()).isEqualTo("spin");
      return r;
    });
  }
}
