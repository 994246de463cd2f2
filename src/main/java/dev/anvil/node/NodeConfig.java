package dev.anvil.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import dev.anvil.config.ComputeSettings;
import dev.anvil.config.SettingsCheck;
import java.util.HashMap;
import java.util.Map;

/**
 * Builds a node's configuration: command-line values over {@code -D} system properties over
 * environment variables over {@code application.conf} (the settings Anvil gives Pekko and the
 * journal) over the {@code reference.conf} files (Anvil's own defaults, and every library's).
 */
public final class NodeConfig {
  /** Room in a frame for what travels with a task's input: ids, names, the envelope. */
  private static final long FRAME_OVERHEAD = 64 * 1024;

  private NodeConfig() {}

  /** @param overrides keys such as {@code anvil.http.port}, from a test */
  public static Config load(Map<String, ?> overrides) {
    return load(overrides, Map.of());
  }

  /**
   * @param overrides keys such as {@code anvil.http.port}, from the command line or a test
   * @param options for the keys set by a command-line option, the option's name (for messages)
   * @throws SettingsCheck.BadSetting when a value is not what its setting accepts, in one line
   */
  public static Config load(Map<String, ?> overrides, Map<String, String> options) {
    Config resolved;
    try {
      // ConfigFactory.load(config) would put -D system properties above the command line's values
      resolved = ConfigFactory.parseMap(overrides)
          .withFallback(ConfigFactory.defaultOverrides())
          .withFallback(tenantsFile(overrides))
          .withFallback(ConfigFactory.parseResourcesAnySyntax("application"))
          .withFallback(ConfigFactory.defaultReference())
          .resolve();
      SettingsCheck.check(resolved, options);
      return derive(resolved);
    } catch (com.typesafe.config.ConfigException e) {
      throw SettingsCheck.describe(e);
    }
  }

  /**
   * {@code anvil.tenants} from the file {@code ANVIL_TENANTS_FILE} (or {@code anvil.tenants-file}
   * among the overrides) names, when one does: the way to give the nodes of {@code start} their
   * tenants' weights and quotas, which an environment variable reaches and -D properties do not.
   */
  private static Config tenantsFile(Map<String, ?> overrides) {
    Object given = overrides.get("anvil.tenants-file");
    String path = given != null ? given.toString() : System.getenv("ANVIL_TENANTS_FILE");
    if (path == null || path.isBlank()) {
      return ConfigFactory.empty();
    }
    java.io.File file = new java.io.File(path);
    if (!file.isFile()) {
      throw new IllegalArgumentException("the tenants file " + path + " (ANVIL_TENANTS_FILE) is not a readable file");
    }
    return ConfigFactory.parseFile(file, com.typesafe.config.ConfigParseOptions.defaults().setAllowMissing(false))
        .atPath("anvil.tenants");
  }

  /** The tenants' settings and the tokens file are checked now, so a mistake stops the start with its line. */
  private static void checkTenants(Config resolved) {
    try {
      dev.anvil.security.TenantPolicy.All.fromConfig(resolved.getConfig("anvil.tenants"));
    } catch (IllegalArgumentException | com.typesafe.config.ConfigException e) {
      throw new IllegalArgumentException("anvil.tenants: " + e.getMessage(), e);
    }
    String tokens = resolved.getString("anvil.http.tokens-file");
    if (tokens.isBlank()) {
      return;
    }
    try {
      dev.anvil.security.ApiTokens.parseFile(java.nio.file.Files.readAllLines(java.nio.file.Path.of(tokens)),
          List.of());
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("the tokens file " + tokens + " (anvil.http.tokens-file, ANVIL_TOKENS_FILE)"
          + " cannot be read: " + e, e);
    } catch (dev.anvil.security.ApiTokens.BadFile e) {
      throw new IllegalArgumentException("the tokens file " + tokens + " cannot be used: " + e.getMessage(), e);
    }
  }

  private static Config derive(Config resolved) {
    checkTenants(resolved);
    long frame = resolved.getBytes("pekko.remote.artery.advanced.maximum-large-frame-size");
    for (String bound : List.of("anvil.http.max-body-bytes", "anvil.jobs.max-result-bytes")) {
      long bytes = resolved.getBytes(bound);
      if (bytes > frame - FRAME_OVERHEAD) {
        throw new IllegalArgumentException(bound + " (" + bytes + ") must stay " + FRAME_OVERHEAD / 1024
            + " KiB below pekko.remote.artery.advanced.maximum-large-frame-size (" + frame
            + "), so that any task or job can run on another node");
      }
    }
    long ordinaryFrame = resolved.getBytes("pekko.remote.artery.advanced.maximum-frame-size");
    if (resolved.getBytes("anvil.jobs.inline-bytes") > ordinaryFrame - FRAME_OVERHEAD) {
      throw new IllegalArgumentException("anvil.jobs.inline-bytes must stay " + FRAME_OVERHEAD / 1024
          + " KiB below pekko.remote.artery.advanced.maximum-frame-size (" + ordinaryFrame
          + "): a job's inline input and result travel in ordinary cluster messages");
    }
    int workers = ComputeSettings.resolveWorkers(resolved.getInt("anvil.compute.workers"));
    Map<String, Object> derived = new HashMap<>();
    derived.put("anvil.compute.workers", workers);
    derived.put("pekko.cluster.split-brain-resolver.active-strategy", downingStrategy(resolved));
    if (resolved.getBoolean("anvil.cluster.tls.enabled")) {
      derived.putAll(clusterTls(resolved));
    }
    derived.putAll(bootstrap(resolved));
    String appVersion = resolved.getString("anvil.cluster.app-version");
    String jarVersion = NodeConfig.class.getPackage().getImplementationVersion();
    if (!appVersion.isBlank() || jarVersion != null) {
      derived.put("pekko.cluster.app-version", appVersion.isBlank() ? jarVersion : appVersion);
    }
    dev.anvil.jobs.JobJournal.check(resolved);
    return ConfigFactory.parseMap(derived).withFallback(resolved);
  }

  /** anvil.cluster.downing to the split brain resolver's strategy. */
  static String downingStrategy(Config c) {
    String downing = c.getString("anvil.cluster.downing");
    return switch (downing) {
      case "local-lease" -> "lease-majority";
      case "keep-majority" -> "keep-majority";
      case "auto" -> onThisMachine(c) ? "lease-majority" : "keep-majority";
      default -> throw new SettingsCheck.BadSetting((System.getenv("ANVIL_DOWNING") != null ? "ANVIL_DOWNING"
          : "anvil.cluster.downing") + " must be auto, local-lease or keep-majority, was '" + downing + "'");
    };
  }

  /** The discovery methods of anvil.cluster.discovery, by name, to Pekko's (null: no bootstrap). */
  private static final Map<String, String> DISCOVERY = Map.of("seed-nodes", "", "config", "config",
      "kubernetes-api", "kubernetes-api", "dns", "pekko-dns");

  /**
   * anvil.cluster.discovery other than seed-nodes: Cluster Bootstrap's settings, and for config
   * discovery the contact points as the one service Pekko's config discovery knows.
   */
  static Map<String, Object> bootstrap(Config c) {
    String discovery = c.getString("anvil.cluster.discovery");
    String method = DISCOVERY.get(discovery);
    String name = System.getenv("ANVIL_CLUSTER_DISCOVERY") != null ? "ANVIL_CLUSTER_DISCOVERY" : "anvil.cluster.discovery";
    if (method == null) {
      throw new SettingsCheck.BadSetting(name + " must be seed-nodes, config, kubernetes-api or dns, was '"
          + discovery + "'");
    }
    Map<String, Object> derived = new HashMap<>();
    if (method.isEmpty()) {
      return derived;
    }
    if (!c.getString("anvil.cluster.seed-nodes").isBlank()) {
      throw new SettingsCheck.BadSetting(name + " is " + discovery + ": give no seed nodes (the nodes find each other"
          + " through discovery), or use discovery seed-nodes");
    }
    String service = c.getString("anvil.cluster.service-name");
    String prefix = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    derived.put(prefix + "discovery-method", method);
    derived.put(prefix + "service-name", service);
    derived.put(prefix + "required-contact-point-nr", c.getInt("anvil.cluster.required-contact-points"));
    derived.put("pekko.management.cluster.bootstrap.contact-point.fallback-port", c.getInt("anvil.management.port"));
    if (method.equals("config")) {
      List<dev.anvil.config.ClusterSettings.HostPort> points;
      try {
        points = dev.anvil.config.ClusterSettings.parseSeeds(c.getString("anvil.cluster.contact-points"));
      } catch (IllegalArgumentException e) {
        throw new SettingsCheck.BadSetting(contactPointsName() + ": " + e.getMessage().replace("seed node", "contact point"));
      }
      if (points.isEmpty()) {
        throw new SettingsCheck.BadSetting(contactPointsName() + " must list the management endpoints (host:port,...) of"
            + " the nodes to find when " + name + " is config");
      }
      // each endpoint names its port: several nodes of one host (start) are several contact points
      derived.put("pekko.management.cluster.bootstrap.contact-point.filter-on-fallback-port", false);
      derived.put("pekko.discovery.config.services." + service + ".endpoints", 
          points.stream().map(p -> Map.of("host", p.host(), "port", p.port())).toList());
    }
    return derived;
  }

  private static String contactPointsName() {
    return System.getenv("ANVIL_CONTACT_POINTS") != null ? "ANVIL_CONTACT_POINTS" : "anvil.cluster.contact-points";
  }

  /** Whether this node and all its seed nodes are on loopback addresses: a cluster of one machine. */
  private static boolean onThisMachine(Config c) {
    if (!isLoopback(c.getString("anvil.cluster.hostname"))) {
      return false;
    }
    if (!c.getString("anvil.cluster.discovery").equals("seed-nodes")) {
      return false; // found through discovery: as across machines, the majority keeps the cluster
    }
    return dev.anvil.config.ClusterSettings.parseSeeds(c.getString("anvil.cluster.seed-nodes")).stream()
        .allMatch(seed -> isLoopback(seed.host()));
  }

  private static boolean isLoopback(String host) {
    if (host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]")) {
      return true;
    }
    try {
      return java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** anvil.cluster.tls to Artery's tls-tcp transport, TLS 1.3 with mutual authentication. */
  private static Map<String, Object> clusterTls(Config c) {
    String keyStore = c.getString("anvil.cluster.tls.key-store");
    String trustStore = c.getString("anvil.cluster.tls.trust-store");
    if (keyStore.isBlank() || trustStore.isBlank()) {
      throw new IllegalArgumentException("anvil.cluster.tls.enabled needs anvil.cluster.tls.key-store and"
          + " trust-store (ANVIL_CLUSTER_KEYSTORE, ANVIL_CLUSTER_TRUSTSTORE)");
    }
    String password = c.getString("anvil.cluster.tls.password");
    String engine = "pekko.remote.artery.ssl.config-ssl-engine.";
    Map<String, Object> tls = new HashMap<>();
    tls.put("pekko.remote.artery.transport", "tls-tcp");
    tls.put(engine + "key-store", keyStore);
    tls.put(engine + "trust-store", trustStore);
    tls.put(engine + "key-store-password", password);
    tls.put(engine + "key-password", password);
    tls.put(engine + "trust-store-password", password);
    tls.put(engine + "protocol", "TLSv1.3");
    tls.put(engine + "require-mutual-authentication", "on");
    return tls;
  }
}
