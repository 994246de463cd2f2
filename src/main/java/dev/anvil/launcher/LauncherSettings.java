package dev.anvil.launcher;

import com.typesafe.config.Config;
import dev.anvil.config.HttpSettings;
import java.time.Duration;
import java.util.List;

/** {@code anvil.launcher} and what the supervisor needs of the rest of {@code anvil { }}. */
record LauncherSettings(
    int nodes,
    int baseClusterPort,
    String clusterHost,
    HttpSettings http,
    List<String> jvmOptions,
    Duration restartBackoff,
    Duration restartBackoffMax,
    int maxRestarts,
    Duration restartWindow,
    Duration nodeUpTimeout,
    Duration nodeStopTimeout,
    boolean migrateQueuedConnections) {

  static LauncherSettings fromConfig(Config config) {
    Config anvil = config.getConfig("anvil");
    Config l = anvil.getConfig("launcher");
    int nodes = l.getInt("nodes") > 0 ? l.getInt("nodes") : Runtime.getRuntime().availableProcessors();
    return new LauncherSettings(nodes, anvil.getInt("cluster.port"), anvil.getString("cluster.hostname"),
        HttpSettings.fromConfig(anvil), l.getStringList("jvm-options"), l.getDuration("restart-backoff"),
        l.getDuration("restart-backoff-max"), l.getInt("max-restarts"), l.getDuration("restart-window"),
        l.getDuration("node-up-timeout"), l.getDuration("node-stop-timeout"),
        l.getBoolean("migrate-queued-connections"));
  }

  /** Cores each node may use: an even share, at least one. */
  int coresPerNode() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / nodes);
  }
}
