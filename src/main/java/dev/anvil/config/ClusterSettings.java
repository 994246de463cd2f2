package dev.anvil.config;

import com.typesafe.config.Config;
import java.util.Arrays;
import java.util.List;

/** {@code anvil.cluster}: this node's cluster address and whom it joins. */
public record ClusterSettings(String hostname, int port, List<ClusterSettings.HostPort> seedNodes,
    List<ClusterSettings.HostPort> portPeers) {

  /** A node's cluster address as given in seed-nodes. */
  public record HostPort(String host, int port) {}

  public static ClusterSettings fromConfig(Config anvil) {
    Config c = anvil.getConfig("cluster");
    return new ClusterSettings(c.getString("hostname"), c.getInt("port"), parseSeeds(c.getString("seed-nodes")),
        parseSeeds(c.getString("port-peers")));
  }

  /** {@code "h1:p1, h2:p2"} to a list of host and port; blank means none. */
  public static List<HostPort> parseSeeds(String seeds) {
    return Arrays.stream(seeds.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .map(ClusterSettings::parseHostPort)
        .toList();
  }

  private static HostPort parseHostPort(String seed) {
    int colon = seed.lastIndexOf(':');
    if (colon <= 0 || colon == seed.length() - 1) {
      throw new IllegalArgumentException("seed node '" + seed + "' is not host:port");
    }
    int port;
    try {
      port = Integer.parseInt(seed.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("seed node '" + seed + "' has a port that is not a number");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("seed node '" + seed + "' has a port outside 1-65535");
    }
    return new HostPort(seed.substring(0, colon), port);
  }
}
