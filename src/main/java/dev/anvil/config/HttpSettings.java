package dev.anvil.config;

import com.typesafe.config.Config;
import dev.anvil.security.ApiTokens;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code anvil.http}: where a node serves HTTP, who may call it, how much it accepts, and how
 * it stops serving.
 *
 * @param keyStore PKCS12 key store for HTTPS; empty: plain HTTP
 * @param accessLog one INFO line per request on the logger {@code anvil.access}
 */
public record HttpSettings(
    String host,
    int port,
    long maxBodyBytes,
    int maxConnections,
    Duration bodyReadTimeout,
    boolean reusePort,
    Duration shutdownLinger,
    Duration shutdownDeadline,
    List<String> apiTokens,
    Optional<Path> tokensFile,
    boolean allowAnonymous,
    Optional<Path> keyStore,
    String keyStorePassword,
    boolean accessLog,
    Duration askTimeout,
    Duration peerQueryTimeout) {

  public static HttpSettings fromConfig(Config anvil) {
    Config c = anvil.getConfig("http");
    String keyStore = c.getString("tls.key-store");
    return new HttpSettings(c.getString("host"), c.getInt("port"), c.getBytes("max-body-bytes"), c.getInt("max-connections"),
        c.getDuration("body-read-timeout"), c.getBoolean("reuse-port"), c.getDuration("shutdown-linger"),
        c.getDuration("shutdown-deadline"), ApiTokens.parse(c.getString("api-tokens")),
        c.getString("tokens-file").isBlank() ? Optional.empty() : Optional.of(Path.of(c.getString("tokens-file"))),
        c.getBoolean("allow-anonymous"), keyStore.isBlank() ? Optional.empty() : Optional.of(Path.of(keyStore)),
        c.getString("tls.key-store-password"), c.getBoolean("access-log"), c.getDuration("ask-timeout"),
        c.getDuration("peer-query-timeout"));
  }

  /** Whether requests need a token: tokens given, or a tokens file (even an empty one). */
  public boolean tokensRequired() {
    return !apiTokens.isEmpty() || tokensFile.isPresent();
  }

  public String scheme() {
    return keyStore.isPresent() ? "https" : "http";
  }

  /** Tokens stay out of logs and toString. */
  @Override
  public String toString() {
    return "HttpSettings[" + scheme() + "://" + host + ":" + port + ", tokens=" + apiTokens.size()
        + tokensFile.map(f -> ", tokens-file=" + f).orElse("") + "]";
  }
}
