package dev.anvil;

import com.typesafe.config.Config;
import dev.anvil.node.NodeConfig;
import dev.anvil.node.RunningNode;
import java.util.HashMap;
import java.util.Map;

/** Nodes for tests: HTTP and cluster on free ports, every message checked for serializability. */
public final class TestNodes {
  private TestNodes() {}

  public static Config config(Map<String, ?> extra) {
    Map<String, Object> o = new HashMap<>();
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
    return RunningNode.start(config(extra));
  }

  public static RunningNode start() {
    return start(Map.of());
  }
}
