package dev.anvil.launcher;

import picocli.CommandLine.Option;

/** The options of {@code start}, shared with the bare {@code anvil} command that means the same. */
public final class StartOptions {

  @Option(names = "--nodes", paramLabel = "N", description = "Node JVMs to run; 0: one per core (env ANVIL_NODES)")
  Integer nodes;

  @Option(names = "--http-port", paramLabel = "PORT", description = "HTTP port (env ANVIL_HTTP_PORT; default 8080)")
  Integer httpPort;

  @Option(names = "--http-host", paramLabel = "HOST",
      description = "Address to serve HTTP on (env ANVIL_HTTP_HOST; default 127.0.0.1)")
  String httpHost;

  @Option(names = "--cluster-port", paramLabel = "PORT",
      description = "First cluster port; node i uses PORT + i, and PORT + nodes + i while it rolls."
          + " Unset: 25520, or the next free block (env ANVIL_CLUSTER_PORT)")
  Integer clusterPort;

  @Option(names = "--management-port", paramLabel = "PORT",
      description = "First management port (/alive, /ready), numbered like the cluster ports."
          + " Unset: 8558, or the next free block (env ANVIL_MANAGEMENT_PORT)")
  Integer managementPort;

  @Option(names = "--kinds", paramLabel = "DIR",
      description = "Folder of kind jars: every *.jar in it is loaded on every node beside the built-in kinds"
          + " (env ANVIL_KINDS_DIR; default none)")
  String kindsDir;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Folder of the jobs' database, when no journal URL is given (env ANVIL_DATA_DIR;"
          + " default ./anvil-data)")
  String dataDir;
}
