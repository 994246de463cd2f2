package dev.anvil.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.Tiers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The testkit on Anvil's own hardest cases: a node crashed under load, with a job's node lost
 * (the testkit's 3 s stable-after: the crashed node is downed 3 s after it is found unreachable);
 * a cut between two nodes healed before anyone is downed: {@link AnvilClusterCutTest}.
 */
@Tag(Tiers.SLOW)
class AnvilClusterTest {

  @RegisterExtension
  final AnvilClusterExtension anvil = AnvilClusterExtension.configured(b -> b.nodes(3).workersPerNode(1)
      // no periodic round within the test: the job is resumed by the keeper's wake after the crashed
      // node is removed (or by its first round, had the keeper itself lived on the crashed node)
      .config("anvil.jobs.resume-interval", "10m"));

  @Test
  void tasksAndAJobOfANodeThatCrashesUnderThemAllSucceed() {
    AnvilCluster cluster = anvil.cluster();
    // the node that runs the job (where its entity lives) is the one to crash; not the keeper's, so
    // that only the keeper's wake at the node's removal can resume it (no periodic round: 10 min)
    String keeperOn = keeperNode(cluster);
    JobHandle job = null;
    String runsOn = keeperOn;
    for (int i = 0; i < 8 && runsOn.equals(keeperOn); i++) {
      JobHandle submitted = cluster.node(2).submitJob("spin", "{\"ms\":3000}");
      await().atMost(Duration.ofSeconds(10)).until(() -> submitted.view(cluster.node(0)).path("status").asText()
          .equals("running"));
      job = submitted;
      runsOn = submitted.view(cluster.node(0)).path("node").asText();
    }
    assertThat(runsOn).as("a job whose entity is not on the keeper's node").isNotEqualTo(keeperOn);
    String crashedOn = runsOn;
    int victim = java.util.stream.IntStream.range(0, 3).filter(i -> cluster.node(i).id().equals(crashedOn))
        .findFirst().orElseThrow();
    int entry = (victim + 1) % 3;
    // 12 tasks of 1.5 s on 3 one-worker nodes: the victim runs some of them when it dies
    List<CompletableFuture<TaskAnswer>> answers = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      answers.add(cluster.node(entry).submitAsync("spin", "{\"ms\":1500}"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> ClusterView.read(cluster.node(victim).httpPort())
        .running(cluster.node(victim).id()) > 0);
    cluster.crash(victim);
    List<TaskAnswer> done = answers.stream().map(CompletableFuture::join).toList();
    assertThat(done).allSatisfy(a -> assertThat(a.succeeded()).as(a.body()).isTrue());
    // the listing, not the job: a read of the job would itself start its entity, and so resume it
    String id = job.id();
    await().atMost(Duration.ofSeconds(60)).until(() -> listedStatus(cluster.node(entry), id).equals("succeeded"));
    JsonNode view = job.view(cluster.node(entry));
    assertThat(view.path("status").asText()).isEqualTo("succeeded");
    assertThat(view.path("attempts").asInt()).isGreaterThanOrEqualTo(2);
    cluster.awaitRemoved(victim);
    int other = 3 - victim - entry;
    assertThat(cluster.node(other).submit("primes", "{\"limit\":1000}").result().path("count").asInt())
        .isEqualTo(168);
  }

  /** The node whose sharding region holds the jobs' keeper (a sharded daemon process of one). */
  private static String keeperNode(AnvilCluster cluster) {
    EntityTypeKey<Object> keeper = EntityTypeKey.create(Object.class, "sharded-daemon-process-anvil-jobs-keeper");
    return await().atMost(Duration.ofSeconds(10)).until(() -> {
      for (AnvilNode node : cluster.liveNodes()) {
        TestProbe<ShardRegion.CurrentShardRegionState> probe = TestProbe.create(node.system());
        ClusterSharding.get(node.system()).shardState().tell(new GetShardRegionState(keeper, probe.getRef()));
        if (probe.receiveMessage().getShards().stream().anyMatch(shard -> !shard.getEntityIds().isEmpty())) {
          return node.id();
        }
      }
      return "";
    }, id -> !id.isEmpty());
  }

  /** The job's status in the listing (GET /v1/jobs, newest first), read from the listing's table. */
  private static String listedStatus(AnvilNode node, String id) throws Exception {
    java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(node.uri().resolve("/v1/jobs?limit=50")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    for (JsonNode listed : new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("jobs")) {
      if (listed.path("id").asText().equals(id)) {
        return listed.path("status").asText();
      }
    }
    return "";
  }
}
