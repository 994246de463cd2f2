package dev.anvil.node;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.HttpTestClient;
import dev.anvil.NodeProcess;
import dev.anvil.Tiers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The packaged jar, run as a user runs it: {@code java -jar target/anvil.jar node}. */
@Tag(Tiers.SLOW)
class NodeProcessIT {

  @Test
  void theJarStartsANodeThatLogsItsAddressServesTasksAndStopsOnSigterm() throws Exception {
    try (NodeProcess node = NodeProcess.start(Map.of(), "node", "--http-port", "0", "--cluster-port", "0")) {
      String[] serving = node.awaitServing(Duration.ofSeconds(30));
      assertThat(serving[0]).matches("127\\.0\\.0\\.1:\\d+");
      HttpTestClient http = new HttpTestClient(Integer.parseInt(serving[1]));

      HttpResponse<String> primes = http.postTask("primes", "{\"limit\":1000000}");
      assertThat(primes.statusCode()).isEqualTo(200);
      assertThat(json(primes).at("/result/count").asLong()).isEqualTo(78498);
      assertThat(json(primes).at("/node").asText()).isEqualTo(serving[0]);
      assertThat(node.lines().stream().filter(l -> l.contains("serving http://"))).hasSize(1);

      assertThat(node.stop(Duration.ofSeconds(30))).as("exits after SIGTERM").isTrue();
    }
  }

  @Test
  void environmentVariablesConfigureTheNode() throws Exception {
    try (NodeProcess node = NodeProcess.start(Map.of("ANVIL_HTTP_PORT", "0", "ANVIL_CLUSTER_PORT", "0",
        "ANVIL_WORKERS", "1"), "node")) {
      node.awaitServing(Duration.ofSeconds(30));
      assertThat(node.output()).contains("with 1 workers");
    }
  }

  @Test
  void aNodeOnAPublicAddressWithoutTokensRefusesToStartAndSaysHowToFix() throws Exception {
    try (NodeProcess node = NodeProcess.start(Map.of(), "node", "--http-host", "0.0.0.0", "--http-port", "0",
        "--cluster-port", "0")) {
      assertThat(node.process().waitFor()).isEqualTo(1);
      assertThat(node.output()).contains("refusing to serve HTTP on 0.0.0.0 without API tokens")
          .contains("ANVIL_API_TOKENS").contains("ANVIL_ALLOW_ANONYMOUS");
    }
  }

  @Test
  void withTokensItServesAPublicAddress() throws Exception {
    try (NodeProcess node = NodeProcess.start(Map.of("ANVIL_API_TOKENS", "t0ken"), "node", "--http-host", "0.0.0.0",
        "--http-port", "0", "--cluster-port", "0")) {
      HttpTestClient http = new HttpTestClient(Integer.parseInt(node.awaitServing(Duration.ofSeconds(30))[1]));
      assertThat(http.get("/health").statusCode()).isEqualTo(200);
      assertThat(http.get("/v1/kinds").statusCode()).isEqualTo(401);
    }
  }

  @Test
  void aBadOptionGetsAClearMessageAndAnError() throws Exception {
    try (NodeProcess node = NodeProcess.start(Map.of(), "node", "--http-port", "not-a-port")) {
      assertThat(node.process().waitFor()).isEqualTo(2);
      assertThat(node.output()).contains("--http-port").contains("not-a-port");
    }
  }
}
