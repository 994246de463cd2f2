package dev.anvil.node;

import com.typesafe.config.Config;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.pekko.actor.CoordinatedShutdown;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code anvil node}: one node in this JVM, for hosts, containers and tests. */
@Command(name = "node", mixinStandardHelpOptions = true, versionProvider = dev.anvil.config.AnvilVersion.class,
    description = "Runs one Anvil node in this JVM. Options override environment variables, which override"
        + " the configuration files (application.conf, then the defaults in reference.conf).")
public final class NodeCommand implements Callable<Integer> {

  @Option(names = "--http-host", paramLabel = "HOST",
      description = "Address to serve HTTP on (env ANVIL_HTTP_HOST; default 127.0.0.1)")
  String httpHost;

  @Option(names = "--http-port", paramLabel = "PORT", description = "HTTP port (env ANVIL_HTTP_PORT; default 8080)")
  Integer httpPort;

  @Option(names = "--cluster-port", paramLabel = "PORT",
      description = "Cluster (Artery) port; 0 picks a free one (env ANVIL_CLUSTER_PORT; default 25520)")
  Integer clusterPort;

  @Option(names = "--cluster-host", paramLabel = "HOST",
      description = "Host name other nodes reach this one by (env ANVIL_CLUSTER_HOSTNAME; default 127.0.0.1)")
  String clusterHost;

  @Option(names = "--management-port", paramLabel = "PORT",
      description = "Pekko Management port (/alive, /ready, /cluster/members); 0 picks a free one"
          + " (env ANVIL_MANAGEMENT_PORT; default 8558)")
  Integer managementPort;

  @Option(names = "--seed-nodes", paramLabel = "HOST:PORT,...",
      description = "Cluster nodes to join; none: form a cluster of its own (env ANVIL_SEED_NODES)")
  String seedNodes;

  @Option(names = "--workers", paramLabel = "N",
      description = "Compute workers; 0: one per core this JVM may use (env ANVIL_WORKERS; default 0)")
  Integer workers;

  @Option(names = "--kinds", paramLabel = "DIR",
      description = "Folder of kind jars: every *.jar in it is loaded beside the built-in kinds"
          + " (env ANVIL_KINDS_DIR; default none)")
  String kindsDir;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Folder of the jobs' H2 database, when no journal URL is given (env ANVIL_DATA_DIR;"
          + " default ./anvil-data)")
  String dataDir;

  @Override
  public Integer call() {
    RunningNode node;
    try {
      node = RunningNode.start(NodeConfig.load(overrides(), optionNames()));
    } catch (dev.anvil.config.SettingsCheck.BadSetting | dev.anvil.compute.catalog.BadKind e) {
      System.err.println("anvil node: " + e.getMessage());
      return 2;
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("anvil node: " + e.getMessage());
      return 1;
    }
    if (SupervisorWatch.wanted()) {
      SupervisorWatch.watch(node.system(), System.in);
    }
    node.system().getWhenTerminated().toCompletableFuture().join();
    // Pekko exits the JVM itself with this code (exit-jvm); Main's own exit must not race it with 0,
    // or a node the cluster downed would look like one that stopped as asked
    return exitCode(node.system().settings().config(),
        CoordinatedShutdown.get(node.system()).getShutdownReason());
  }

  /** The exit status coordinated shutdown gives for {@code reason}: its reason-overrides, else exit-code. */
  static int exitCode(Config config, Optional<CoordinatedShutdown.Reason> reason) {
    Config shutdown = config.getConfig("pekko.coordinated-shutdown");
    if (reason.isPresent()) {
      String path = "reason-overrides.\"" + reason.get().getClass().getName() + "\"";
      if (shutdown.hasPath(path)) {
        shutdown = shutdown.getConfig(path).withFallback(shutdown);
      }
    }
    return shutdown.getInt("exit-code");
  }

  Map<String, Object> overrides() {
    Map<String, Object> o = new HashMap<>();
    putIf(o, "anvil.http.host", httpHost);
    putIf(o, "anvil.http.port", httpPort);
    putIf(o, "anvil.cluster.port", clusterPort);
    putIf(o, "anvil.cluster.hostname", clusterHost);
    putIf(o, "anvil.cluster.seed-nodes", seedNodes);
    putIf(o, "anvil.compute.workers", workers);
    putIf(o, "anvil.management.port", managementPort);
    putIf(o, "anvil.kinds-dir", kindsDir);
    putIf(o, "anvil.data-dir", dataDir);
    // A node downed by the cluster, or told to stop, ends its JVM so a supervisor can restart it.
    o.put("pekko.coordinated-shutdown.exit-jvm", "on");
    return o;
  }

  /** The config paths given as options, by the option's name. */
  private Map<String, String> optionNames() {
    Map<String, String> names = new HashMap<>();
    putIf(names, "anvil.http.host", httpHost == null ? null : "--http-host");
    putIf(names, "anvil.http.port", httpPort == null ? null : "--http-port");
    putIf(names, "anvil.cluster.port", clusterPort == null ? null : "--cluster-port");
    putIf(names, "anvil.cluster.hostname", clusterHost == null ? null : "--cluster-host");
    putIf(names, "anvil.cluster.seed-nodes", seedNodes == null ? null : "--seed-nodes");
    putIf(names, "anvil.compute.workers", workers == null ? null : "--workers");
    putIf(names, "anvil.management.port", managementPort == null ? null : "--management-port");
    putIf(names, "anvil.kinds-dir", kindsDir == null ? null : "--kinds");
    putIf(names, "anvil.data-dir", dataDir == null ? null : "--data-dir");
    return names;
  }

  private static <V> void putIf(Map<String, V> map, String key, V value) {
    if (value != null) {
      map.put(key, value);
    }
  }
}
