package dev.anvil.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Checks the settings a user gives on the command line, in the environment or in config
 * before anything starts, and says what is wrong in one line that names the option or variable
 * the value came from and what it accepts. Without this a bad port surfaces as a bind stack trace
 * (or a supervisor's crash loop), and {@code ANVIL_NODES=abc} as a raw ConfigException.
 */
public final class SettingsCheck {
  private SettingsCheck() {}

  /** A bad setting, with a message meant for the person who gave it. */
  public static final class BadSetting extends IllegalArgumentException {
    public BadSetting(String message) {
      super(message);
    }
  }

  private enum Type { PORT, COUNT, BOOLEAN, TEXT }

  private record Rule(String path, String env, String option, Type type, int max) {}

  private static final List<Rule> RULES = List.of(
      new Rule("anvil.http.port", "ANVIL_HTTP_PORT", "--http-port", Type.PORT, 65535),
      new Rule("anvil.http.host", "ANVIL_HTTP_HOST", "--http-host", Type.TEXT, 0),
      new Rule("anvil.http.allow-anonymous", "ANVIL_ALLOW_ANONYMOUS", null, Type.BOOLEAN, 0),
      new Rule("anvil.http.access-log", "ANVIL_ACCESS_LOG", null, Type.BOOLEAN, 0),
      new Rule("anvil.cluster.port", "ANVIL_CLUSTER_PORT", "--cluster-port", Type.PORT, 65535),
      new Rule("anvil.cluster.hostname", "ANVIL_CLUSTER_HOSTNAME", "--cluster-host", Type.TEXT, 0),
      new Rule("anvil.cluster.tls.enabled", "ANVIL_CLUSTER_TLS", null, Type.BOOLEAN, 0),
      new Rule("anvil.management.port", "ANVIL_MANAGEMENT_PORT", "--management-port", Type.PORT, 65535),
      new Rule("anvil.compute.workers", "ANVIL_WORKERS", "--workers", Type.COUNT, 4096),
      new Rule("anvil.launcher.nodes", "ANVIL_NODES", "--nodes", Type.COUNT, 1024));

  /**
   * @param options the config paths set from command-line options, with the option's name
   * @throws BadSetting naming the first bad value and where it came from
   */
  public static void check(Config config, Map<String, String> options) {
    for (Rule rule : RULES) {
      String source = options.containsKey(rule.path()) ? options.get(rule.path())
          : rule.env() != null && System.getenv(rule.env()) != null ? rule.env()
          : rule.path();
      String accepts = switch (rule.type()) {
        case PORT -> "a port number from 0 to " + rule.max();
        case COUNT -> "a whole number from 0 to " + rule.max() + " (0: one per core)";
        case BOOLEAN -> "true or false (or on/off, yes/no)";
        case TEXT -> "a host name or address";
      };
      String raw;
      try {
        raw = config.getValue(rule.path()).unwrapped().toString();
      } catch (ConfigException e) {
        throw new BadSetting(source + " must be " + accepts + "; it is missing");
      }
      boolean ok = switch (rule.type()) {
        case PORT, COUNT -> isIntBetween(raw, 0, rule.max());
        case BOOLEAN -> isBoolean(config, rule.path());
        case TEXT -> !raw.isBlank();
      };
      if (!ok) {
        throw new BadSetting(source + " must be " + accepts + ", was '" + abbreviate(raw) + "'");
      }
    }
    try {
      ClusterSettings.parseSeeds(config.getString("anvil.cluster.seed-nodes"));
    } catch (IllegalArgumentException e) {
      String source = options.containsKey("anvil.cluster.seed-nodes") ? options.get("anvil.cluster.seed-nodes")
          : System.getenv("ANVIL_SEED_NODES") != null ? "ANVIL_SEED_NODES" : "anvil.cluster.seed-nodes";
      throw new BadSetting(source + ": " + e.getMessage() + " (expected host:port,host:port...)");
    }
    checkKindsDir(config, options);
  }

  /**
   * {@code anvil.kinds-dir}, when given, must name a folder (what is in it is checked when the kinds
   * are loaded, naming the jar at fault).
   */
  private static void checkKindsDir(Config config, Map<String, String> options) {
    String dir = config.getString("anvil.kinds-dir");
    if (dir.isBlank()) {
      return;
    }
    String source = options.containsKey("anvil.kinds-dir") ? options.get("anvil.kinds-dir")
        : System.getenv("ANVIL_KINDS_DIR") != null ? "ANVIL_KINDS_DIR" : "anvil.kinds-dir";
    Path path;
    try {
      path = Path.of(dir).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw new BadSetting(source + " must be a folder of kind jars, was '" + abbreviate(dir) + "'");
    }
    if (!Files.exists(path)) {
      throw new BadSetting(source + ": there is no folder " + path);
    }
    if (!Files.isDirectory(path)) {
      throw new BadSetting(source + ": " + path + " is a file, not a folder; give the folder that holds the kind jars");
    }
  }

  /** A ConfigException from reading the rest of the settings, as one line without its class name. */
  public static BadSetting describe(ConfigException e) {
    return new BadSetting("bad configuration: " + e.getMessage());
  }

  private static boolean isIntBetween(String raw, int min, int max) {
    try {
      int value = Integer.parseInt(raw.trim());
      return value >= min && value <= max;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean isBoolean(Config config, String path) {
    try {
      config.getBoolean(path);
      return true;
    } catch (ConfigException e) {
      return false;
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }
}
