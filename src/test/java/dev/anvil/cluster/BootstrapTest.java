package dev.anvil.cluster;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.FreePorts;
import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.Tiers;
import dev.anvil.config.SettingsCheck;
import dev.anvil.node.NodeConfig;
import dev.anvil.node.RunningNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** anvil.cluster.discovery = config: nodes that know only each other's management endpoints form one cluster. */
@Tag(Tiers.SLOW)
class BootstrapTest {

  private final List<RunningNode> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    nodes.forEach(RunningNode::close);
  }

  private RunningNode node(int managementPort, String contactPoints) {
    Map<String, Object> o = new HashMap<>();
    o.put("anvil.cluster.discovery", "config");
    o.put("anvil.cluster.contact-points", contactPoints);
    o.put("anvil.cluster.required-contact-points", 3);
    o.put("anvil.management.port", managementPort);
    // quicker than the default 5 s: the nodes here start within a second of each other
    o.put("pekko.management.cluster.bootstrap.contact-point-discovery.stable-margin", "2s");
    RunningNode node = TestNodes.start(o);
    nodes.add(node);
    return node;
  }

  @Test
  void threeNodesFindEachOtherThroughTheirManagementEndpointsAndFormOneCluster() throws Exception {
    int base = FreePorts.range(3);
    String contactPoints = "127.0.0.1:" + base + ",127.0.0.1:" + (base + 1) + ",127.0.0.1:" + (base + 2);
    for (int i = 0; i < 3; i++) {
      node(base + i, contactPoints);
    }
    awaitMembers(nodes, 3);
    // a task entering one node may run on any: they are one cluster, routing included
    HttpTestClient http = new HttpTestClient(nodes.get(0).httpPort());
    assertThat(http.postTask("primes", "{\"limit\":1000}").statusCode()).isEqualTo(200);
    // Pekko Management's read-only members route, with the oldest, on each node's own port
    HttpResponse<String> members = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + base + "/cluster/members")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(members.statusCode()).isEqualTo(200);
    assertThat(json(members).at("/oldest").asText()).isNotEmpty();
    assertThat(json(members).at("/members").size()).isEqualTo(3);
    // and no remote down or leave through it
    HttpResponse<String> leave = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + base + "/cluster/members/" + nodes.get(2).nodeId()))
        .method("DELETE", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(leave.statusCode()).isIn(404, 405);

    // a node that stops and comes back (the same endpoint) joins the running cluster
    RunningNode third = nodes.remove(2);
    third.close();
    awaitMembers(nodes, 2);
    node(base + 2, contactPoints);
    awaitMembers(nodes, 3);
  }

  @Test
  void contactPointsAreCheckedBeforeAnythingStarts() {
    assertThatThrownBy(() -> NodeConfig.load(Map.of("anvil.cluster.discovery", "config")))
        .isInstanceOf(SettingsCheck.BadSetting.class)
        .hasMessageContaining("anvil.cluster.contact-points must list the management endpoints");
    assertThatThrownBy(() -> NodeConfig.load(Map.of("anvil.cluster.discovery", "config",
        "anvil.cluster.contact-points", "10.0.0.1")))
        .isInstanceOf(SettingsCheck.BadSetting.class)
        .hasMessageContaining("contact point '10.0.0.1' is not host:port");
    assertThatThrownBy(() -> NodeConfig.load(Map.of("anvil.cluster.discovery", "zookeeper")))
        .isInstanceOf(SettingsCheck.BadSetting.class)
        .hasMessageContaining("must be seed-nodes, config, kubernetes-api or dns, was 'zookeeper'");
    assertThatThrownBy(() -> NodeConfig.load(Map.of("anvil.cluster.discovery", "dns",
        "anvil.cluster.seed-nodes", "10.0.0.1:25520")))
        .isInstanceOf(SettingsCheck.BadSetting.class)
        .hasMessageContaining("give no seed nodes");
  }

  @Test
  void discoveryOtherThanSeedNodesDownsByMajority() {
    var config = NodeConfig.load(Map.of("anvil.cluster.discovery", "kubernetes-api"));
    assertThat(config.getString("pekko.cluster.split-brain-resolver.active-strategy")).isEqualTo("keep-majority");
    assertThat(config.getString("pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"))
        .isEqualTo("kubernetes-api");
    assertThat(config.getString("pekko.management.cluster.bootstrap.contact-point-discovery.service-name"))
        .isEqualTo("anvil");
    var dns = NodeConfig.load(Map.of("anvil.cluster.discovery", "dns"));
    assertThat(dns.getString("pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"))
        .isEqualTo("pekko-dns");
    // seed nodes on one machine keep the machine's lease
    assertThat(NodeConfig.load(Map.of()).getString("pekko.cluster.split-brain-resolver.active-strategy"))
        .isEqualTo("lease-majority");
  }

  private static void awaitMembers(List<RunningNode> nodes, int count) {
    await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
      for (RunningNode node : nodes) {
        JsonNode view = json(new HttpTestClient(node.httpPort()).get("/v1/cluster"));
        List<String> up = new ArrayList<>();
        view.at("/members").forEach(m -> {
          if (m.at("/status").asText().equals("Up")) {
            up.add(m.at("/node").asText());
          }
        });
        assertThat(up).as("Up members as %s sees them", node.nodeId()).hasSize(count);
      }
      assertThat(nodes.stream().map(n -> json(new HttpTestClient(n.httpPort()).get("/v1/cluster")).at("/members")
          .toString()).collect(Collectors.toSet())).as("every node sees the same members").hasSize(1);
    });
  }
}
