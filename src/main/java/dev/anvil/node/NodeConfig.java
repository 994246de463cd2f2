package dev.anvil.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.anvil.config.ComputeSettings;
import java.util.HashMap;
import java.util.Map;

/**
 * Builds a node's configuration: command-line values over {@code -D} system properties over
 * environment variables over {@code application.conf} over Pekko's defaults.
 */
public final class NodeConfig {
  private NodeConfig() {}

  /** @param overrides keys such as {@code anvil.http.port}, from the command line or a test */
  public static Config load(Map<String, ?> overrides) {
    Config resolved = ConfigFactory.load(
        ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.parseResourcesAnySyntax("application")));
    int workers = ComputeSettings.resolveWorkers(resolved.getInt("anvil.compute.workers"));
    Map<String, Object> derived = new HashMap<>();
    derived.put("anvil.compute.workers", workers);
    derived.put("anvil.compute.dispatcher.thread-pool-executor.fixed-pool-size", workers);
    return ConfigFactory.parseMap(derived).withFallback(resolved);
  }
}
