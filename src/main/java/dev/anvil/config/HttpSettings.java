package dev.anvil.config;

import com.typesafe.config.Config;
import java.time.Duration;

/** {@code anvil.http}: where a node serves HTTP, how much it accepts, and how it stops serving. */
public record HttpSettings(String host, int port, long maxBodyBytes, boolean reusePort, Duration shutdownLinger,
    Duration shutdownDeadline) {

  public static HttpSettings fromConfig(Config anvil) {
    Config c = anvil.getConfig("http");
    return new HttpSettings(c.getString("host"), c.getInt("port"), c.getBytes("max-body-bytes"),
        c.getBoolean("reuse-port"), c.getDuration("shutdown-linger"), c.getDuration("shutdown-deadline"));
  }
}
