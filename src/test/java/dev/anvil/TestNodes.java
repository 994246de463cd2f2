package dev.anvil;

import com.typesafe.config.Config;
import dev.anvil.node.NodeConfig;
import dev.anvil.node.RunningNode;
import java.util.HashMap;
import java.util.Map;

/** Nodes for tests: HTTP and cluster on free ports, every message checked for serializability. */
public final class TestNodes {
  private TestNodes() {}

  /** The journal of each cluster the tests started, by its first node's id: each cluster has its own. */
  private static final Map<String, String> JOURNALS = new java.util.concurrent.ConcurrentHashMap<>();
  private static final java.util.concurrent.atomic.AtomicInteger CLUSTERS = new java.util.concurrent.atomic.AtomicInteger();

  /** An in-memory H2 journal of its own, kept while this JVM lives, shared by the nodes given it. */
  public static String newJournal() {
    return "jdbc:h2:mem:anvil-test-" + ProcessHandle.current().pid() + "-" + CLUSTERS.incrementAndGet()
        + ";DB_CLOSE_DELAY=-1";
  }

  public static Config config(Map<String, ?> extra) {
    Map<String, Object> o = new HashMap<>();
    if (!extra.containsKey("anvil.jobs.journal.url")) {
      Object seeds = extra.get("anvil.cluster.seed-nodes");
      String seed = seeds == null ? "" : seeds.toString().split(",")[0].trim();
      o.put("anvil.jobs.journal.url", seed.isEmpty() ? newJournal()
          : JOURNALS.computeIfAbsent(seed, s -> newJournal()));
    }
    o.put("anvil.http.port", 0);
    o.put("anvil.cluster.port", 0);
    o.put("anvil.management.port", 0);
    o.put("anvil.compute.drain-timeout", "3s");
    o.put("pekko.actor.serialize-messages", "on");
    o.put("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off");
    o.putAll(extra);
    return NodeConfig.load(o);
  }

  public static RunningNode start(Map<String, ?> extra) {
    Config config = config(extra);
    RunningNode node = RunningNode.start(config);
    JOURNALS.putIfAbsent(node.nodeId(), config.getString("anvil.jobs.journal.url"));
    return node;
  }

  public static RunningNode start() {
    return start(Map.of());
  }
}
