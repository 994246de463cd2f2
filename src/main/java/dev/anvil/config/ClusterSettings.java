package dev.anvil.config;

import com.typesafe.config.Config;
import java.util.Arrays;
import java.util.List;

/** {@code anvil.cluster}: this node's cluster address and whom it joins. */
public record ClusterSettings(String hostname, int port, List<String> seedNodes) {

  public static ClusterSettings fromConfig(Config anvil) {
    Config c = anvil.getConfig("cluster");
    return new ClusterSettings(c.getString("hostname"), c.getInt("port"), parseSeeds(c.getString("seed-nodes")));
  }

  /** {@code "h1:p1, h2:p2"} to a list of {@code host:port}; blank means none. */
  public static List<String> parseSeeds(String seeds) {
    return Arrays.stream(seeds.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .map(ClusterSettings::checkHostPort)
        .toList();
  }

  private static String checkHostPort(String seed) {
    int colon = seed.lastIndexOf(':');
    if (colon <= 0 || colon == seed.length() - 1) {
      throw new IllegalArgumentException("seed node '" + seed + "' is not host:port");
    }
    try {
      int port = Integer.parseInt(seed.substring(colon + 1));
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("seed node '" + seed + "' has a port outside 1-65535");
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("seed node '" + seed + "' has a port that is not a number");
    }
    return seed;
  }
}
