package dev.anvil.config;

import com.typesafe.config.Config;

/** {@code anvil.management}: the node's own port for Pekko Management (health checks, read-only cluster routes). */
public record ManagementSettings(int port) {

  public static ManagementSettings fromConfig(Config anvil) {
    return new ManagementSettings(anvil.getInt("management.port"));
  }
}
