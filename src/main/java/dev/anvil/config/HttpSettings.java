package dev.anvil.config;

import com.typesafe.config.Config;

/** {@code anvil.http}: where a node serves HTTP and how much it accepts in one request. */
public record HttpSettings(String host, int port, long maxBodyBytes, boolean reusePort) {

  public static HttpSettings fromConfig(Config anvil) {
    Config c = anvil.getConfig("http");
    return new HttpSettings(
        c.getString("host"), c.getInt("port"), c.getBytes("max-body-bytes"), c.getBoolean("reuse-port"));
  }
}
