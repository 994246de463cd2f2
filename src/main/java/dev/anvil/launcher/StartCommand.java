package dev.anvil.launcher;

import dev.anvil.node.NodeConfig;
import dev.anvil.security.ExposurePolicy;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code anvil start}: runs Anvil on this machine with its defaults. */
@Command(name = "start", mixinStandardHelpOptions = true, versionProvider = dev.anvil.Main.Version.class,
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
    LauncherSettings settings;
    try {
      // every node checks its settings too, but a bad one must stop us here, before any node starts
      settings = LauncherSettings.fromConfig(NodeConfig.load(overrides, names));
    } catch (IllegalArgumentException e) {
      System.err.println("anvil start: " + e.getMessage());
      return 2;
    }
    try {
      ExposurePolicy.check(settings.http()); // each node warns for itself; refuse here, before starting any
    } catch (IllegalArgumentException e) {
      System.err.println("anvil start: " + e.getMessage());
      return 1;
    }
    if (settings.http().port() == 0) {
      System.err.println("anvil start: --http-port 0 cannot be shared by several nodes; give a port");
      return 2;
    }
    return new Supervisor(settings, System.out).run();
  }
}
