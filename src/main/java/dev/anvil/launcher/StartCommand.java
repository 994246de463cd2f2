package dev.anvil.launcher;

import com.typesafe.config.ConfigFactory;
import dev.anvil.security.ExposurePolicy;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code anvil start}: runs Anvil on this machine with its defaults. */
@Command(name = "start", mixinStandardHelpOptions = true,
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
    if (options.nodes != null) {
      overrides.put("anvil.launcher.nodes", options.nodes);
    }
    if (options.httpPort != null) {
      overrides.put("anvil.http.port", options.httpPort);
    }
    if (options.httpHost != null) {
      overrides.put("anvil.http.host", options.httpHost);
    }
    LauncherSettings settings = LauncherSettings.fromConfig(ConfigFactory.load(
        ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.parseResourcesAnySyntax("application"))));
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
