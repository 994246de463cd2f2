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
    if (resolved.getBoolean("anvil.cluster.tls.enabled")) {
      derived.putAll(clusterTls(resolved));
    }
    return ConfigFactory.parseMap(derived).withFallback(resolved);
  }

  /** anvil.cluster.tls to Artery's tls-tcp transport, TLS 1.3 with mutual authentication. */
  private static Map<String, Object> clusterTls(Config c) {
    String keyStore = c.getString("anvil.cluster.tls.key-store");
    String trustStore = c.getString("anvil.cluster.tls.trust-store");
    if (keyStore.isBlank() || trustStore.isBlank()) {
      throw new IllegalArgumentException("anvil.cluster.tls.enabled needs anvil.cluster.tls.key-store and"
          + " trust-store (ANVIL_CLUSTER_KEYSTORE, ANVIL_CLUSTER_TRUSTSTORE)");
    }
    String password = c.getString("anvil.cluster.tls.password");
    String engine = "pekko.remote.artery.ssl.config-ssl-engine.";
    Map<String, Object> tls = new HashMap<>();
    tls.put("pekko.remote.artery.transport", "tls-tcp");
    tls.put(engine + "key-store", keyStore);
    tls.put(engine + "trust-store", trustStore);
    tls.put(engine + "key-store-password", password);
    tls.put(engine + "key-password", password);
    tls.put(engine + "trust-store-password", password);
    tls.put(engine + "protocol", "TLSv1.3");
    tls.put(engine + "require-mutual-authentication", "on");
    return tls;
  }
}
