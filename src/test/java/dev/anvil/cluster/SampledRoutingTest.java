package dev.anvil.cluster;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.Tiers;
import dev.anvil.compute.protocol.LoadProtocolStats;
import dev.anvil.node.RunningNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Five one-worker nodes whose routers follow the load of only two other pools each: what a node
 * spends on routing stays flat, yet a node that takes every request still reaches every free
 * worker, and the cluster view still shows every node's load.
 */
@Tag(Tiers.SLOW)
class SampledRoutingTest {

  private static final int NODES = 5;
  private static final int SAMPLE = 2;
  private final List<RunningNode> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    nodes.forEach(RunningNode::close);
  }

  private void startCluster() {
    for (int i = 0; i < NODES; i++) {
      nodes.add(TestNodes.start(Map.of("anvil.compute.workers", 1, "anvil.compute.routing-sample", SAMPLE,
          "anvil.cluster.seed-nodes", i == 0 ? "" : nodes.get(0).nodeId())));
    }
    await().atMost(Duration.ofSeconds(40)).until(() -> nodes.stream().allMatch(n ->
        Cluster.get(n.system()).state().members().count(m -> m.status() == MemberStatus.up()) == NODES
            && followed(n) == SAMPLE));
  }

  private static long followed(RunningNode node) {
    return LoadProtocolStats.get(node.system()).poolsFollowed();
  }

  @Test
  void eachRouterFollowsItsSampleAndOneEntryNodeStillFillsEveryWorker() {
    startCluster();
    // the view asks the pools its router does not follow: every member shows a load (a node that
    // does not answer within anvil.http.peer-query-timeout is left out of that one answer, so
    // on a loaded machine it may take a second look)
    HttpTestClient http = new HttpTestClient(nodes.get(0).httpPort());
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode members = json(http.get("/v1/cluster")).at("/members");
      assertThat(members).hasSize(NODES);
      assertThat(members).allSatisfy(m -> assertThat(m.at("/load/workers").asInt()).as(m.toString()).isEqualTo(1));
    });

    // all into the first node, more than its worker and the room of the two pools it follows
    // (a running task and one in the next-task slot each) can take: the rest start only where
    // its probes find room
    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    for (int i = 0; i < 2 * NODES; i++) {
      sent.add(http.postTaskAsync("spin", "{\"ms\":1500}"));
    }
    List<HttpResponse<String>> answers = sent.stream().map(CompletableFuture::join).toList();
    assertThat(answers).allSatisfy(r -> assertThat(r.statusCode()).as(r.body()).isEqualTo(200));
    Map<String, Long> byNode = answers.stream().collect(Collectors.groupingBy(r -> json(r).at("/node").asText(),
        Collectors.counting()));
    assertThat(byNode).as("tasks by the node that ran them").hasSize(NODES);

    // once no task goes out any more, the first node lets go of the pools beyond its sample
    await().atMost(Duration.ofSeconds(15)).until(() -> followed(nodes.get(0)) == SAMPLE);
  }
}
