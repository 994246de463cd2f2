package dev.anvil.config;

import com.typesafe.config.Config;

/** Everything under {@code anvil { }}, read once when a node starts. */
public record AnvilSettings(HttpSettings http, ComputeSettings compute, ClusterSettings cluster,
    ManagementSettings management) {

  public static AnvilSettings fromConfig(Config config) {
    Config anvil = config.getConfig("anvil");
    return new AnvilSettings(
        HttpSettings.fromConfig(anvil), ComputeSettings.fromConfig(anvil), ClusterSettings.fromConfig(anvil),
        ManagementSettings.fromConfig(anvil));
  }
}
