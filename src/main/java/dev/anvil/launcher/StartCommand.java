package dev.anvil.launcher;

import com.typesafe.config.Config;
import dev.anvil.compute.catalog.BadKind;
import dev.anvil.config.ExposurePolicy;
import dev.anvil.config.SettingsCheck;
import dev.anvil.node.NodeConfig;
import dev.anvil.node.NodeKinds;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code anvil start}: runs Anvil on this machine with its defaults. */
@Command(name = "start", mixinStandardHelpOptions = true, versionProvider = dev.anvil.config.AnvilVersion.class,
    description = "Runs Anvil on this machine: one node JVM per core, one cluster, one HTTP port."
        + " SIGTERM/Ctrl-C stops every node gracefully; SIGHUP restarts them one at a time.")
public final class StartCommand implements Callable<Integer> {

  @Mixin StartOptions options = new StartOptions();

  @Override
  public Integer call() throws InterruptedException {
    return run(options);
  }

  public static int run(StartOptions options) throws InterruptedException {
    Map<String, Object> overrides = new HashMap<>();
    Map<String, String> names = new HashMap<>();
    if (options.nodes != null) {
      overrides.put("anvil.launcher.nodes", options.nodes);
      names.put("anvil.launcher.nodes", "--nodes");
    }
    if (options.httpPort != null) {
      overrides.put("anvil.http.port", options.httpPort);
      names.put("anvil.http.port", "--http-port");
    }
    if (options.httpHost != null) {
      overrides.put("anvil.http.host", options.httpHost);
      names.put("anvil.http.host", "--http-host");
    }
    if (options.clusterPort != null) {
      overrides.put("anvil.cluster.port", options.clusterPort);
      names.put("anvil.cluster.port", "--cluster-port");
    }
    if (options.managementPort != null) {
      overrides.put("anvil.management.port", options.managementPort);
      names.put("anvil.management.port", "--management-port");
    }
    if (options.dataDir != null) {
      overrides.put("anvil.data-dir", options.dataDir);
      names.put("anvil.data-dir", "--data-dir");
    }
    if (options.kindsDir != null) {
      overrides.put("anvil.kinds-dir", options.kindsDir);
      names.put("anvil.kinds-dir", "--kinds");
    }
    LauncherSettings settings;
    Config config;
    int[] clusterPorts;
    int[] managementPorts;
    ControlSocket control;
    try {
      // every node checks its settings too, but a bad one must stop us here, before any node starts
      config = NodeConfig.load(overrides, names);
      settings = LauncherSettings.fromConfig(config, given(names.keySet()));
      ExposurePolicy.check(settings.http()); // each node warns for itself; refuse here, before starting any
      if (!settings.kindsDir().isEmpty()) {
        // each node loads them again; a bad one must stop us here, not crash-loop every node
        NodeKinds.load(config).close();
      }
      if (settings.http().port() == 0) {
        throw new SettingsCheck.BadSetting("--http-port 0 cannot be shared by several nodes; give a port");
      }
      control = new ControlSocket(ControlSocket.pathFor(settings.http().port()));
      control.bind(settings.http().port()); // refuses when another start serves this port
      int count = 2 * settings.nodes(); // a primary and an alternate (rolling restart) per slot
      clusterPorts = PortPlan.choose("cluster", settings.clusterHost(), settings.baseClusterPort(),
          settings.clusterPortGiven(), count, "--cluster-port or ANVIL_CLUSTER_PORT");
      managementPorts = PortPlan.choose("management", settings.clusterHost(), settings.baseManagementPort(),
          settings.managementPortGiven(), count, "--management-port or ANVIL_MANAGEMENT_PORT");
    } catch (SettingsCheck.BadSetting | BadKind e) {
      System.err.println("anvil start: " + e.getMessage());
      return 2;
    } catch (IllegalArgumentException e) {
      System.err.println("anvil start: " + e.getMessage());
      return 1;
    }
    EmbeddedJournal journal = null;
    List<String> nodeOptions = List.of();
    try {
      if (config.getString("anvil.jobs.journal.url").isBlank()) {
        Path dataDir = Path.of(config.getString("anvil.data-dir"));
        journal = EmbeddedJournal.start(dataDir);
        nodeOptions = journal.nodeOptions(dataDir);
        System.out.println("anvil start: jobs are kept in " + dataDir.toAbsolutePath().normalize().resolve("jobs.mv.db")
            + " (H2, served to the nodes at " + journal.url() + ")");
      }
    } catch (IOException | java.sql.SQLException | SettingsCheck.BadSetting e) {
      System.err.println("anvil start: cannot serve the jobs' database from " + config.getString("anvil.data-dir")
          + ": " + e.getMessage());
      control.close();
      return 1;
    }
    try {
      return new Supervisor(settings, clusterPorts, managementPorts,
          ControlSocket.statusFileFor(settings.http().port()), nodeOptions, System.out).run(control);
    } finally {
      control.close();
      if (journal != null) {
        journal.close(); // after the nodes: they stored their last events
      }
    }
  }

  /** The settings the user chose: by option, environment variable or system property. */
  private static Set<String> given(Set<String> options) {
    Set<String> given = new HashSet<>(options);
    Map<String, String> env = Map.of("anvil.cluster.port", "ANVIL_CLUSTER_PORT",
        "anvil.management.port", "ANVIL_MANAGEMENT_PORT");
    env.forEach((path, variable) -> {
      if (System.getenv(variable) != null || System.getProperty(path) != null) {
        given.add(path);
      }
    });
    return given;
  }
}
