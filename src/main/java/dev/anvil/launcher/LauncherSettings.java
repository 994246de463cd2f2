package dev.anvil.launcher;

import com.typesafe.config.Config;
import dev.anvil.config.HttpSettings;
import java.time.Duration;
import java.util.List;

/**
 * {@code anvil.launcher} and what the supervisor needs of the rest of {@code anvil { }}.
 *
 * @param clusterPortGiven whether the user chose the cluster port base (else the supervisor may move it)
 * @param managementPortGiven the same for the management port base
 * @param kindsDir the kinds folder as an absolute path, for every node; empty: none
 */
record LauncherSettings(
    int nodes,
    int baseClusterPort,
    boolean clusterPortGiven,
    int baseManagementPort,
    boolean managementPortGiven,
    String clusterHost,
    HttpSettings http,
    List<String> jvmOptions,
    Duration restartBackoff,
    Duration restartBackoffMax,
    int maxRestarts,
    Duration restartWindow,
    Duration nodeUpTimeout,
    Duration nodeStopTimeout,
    Duration healthInterval,
    Duration healthTimeout,
    boolean migrateQueuedConnections,
    String kindsDir,
    boolean discovery,
    java.util.Optional<String> classDataArchive) {

  /** @param given the config paths the user set (option, environment variable or system property) */
  static LauncherSettings fromConfig(Config config, java.util.Set<String> given) {
    Config anvil = config.getConfig("anvil");
    Config l = anvil.getConfig("launcher");
    int nodes = l.getInt("nodes") > 0 ? l.getInt("nodes") : Runtime.getRuntime().availableProcessors();
    return new LauncherSettings(nodes, anvil.getInt("cluster.port"), given.contains("anvil.cluster.port"),
        anvil.getInt("management.port"), given.contains("anvil.management.port"), anvil.getString("cluster.hostname"),
        HttpSettings.fromConfig(anvil), l.getStringList("jvm-options"), l.getDuration("restart-backoff"),
        l.getDuration("restart-backoff-max"), l.getInt("max-restarts"), l.getDuration("restart-window"),
        l.getDuration("node-up-timeout"), l.getDuration("node-stop-timeout"), l.getDuration("health-interval"),
        l.getDuration("health-timeout"), l.getBoolean("migrate-queued-connections"), kindsDir(anvil),
        !anvil.getString("cluster.discovery").equals("seed-nodes"),
        ClassDataArchive.resolve(l.getString("class-data-archive"), System.getProperty("java.class.path")));
  }

  /** Absolute, so that it means the same to every node, whatever their working folder. */
  private static String kindsDir(Config anvil) {
    String dir = anvil.getString("kinds-dir");
    return dir.isBlank() ? "" : java.nio.file.Path.of(dir).toAbsolutePath().normalize().toString();
  }

  /** Cores each node may use: an even share, at least one. */
  int coresPerNode() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / nodes);
  }
}
