package dev.anvil;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.h2.tools.Server;
import org.junit.jupiter.api.Assumptions;

/** Jobs' databases that several node JVMs share: an H2 server in the test's JVM, or a fresh PostgreSQL database. */
public final class TestDatabases {
  private TestDatabases() {}

  /** A running database and the environment that points a node at it. */
  public record Database(String url, String user, String password, AutoCloseable stop) implements AutoCloseable {
    public Map<String, String> env() {
      return Map.of("ANVIL_JOURNAL_URL", url, "ANVIL_JOURNAL_USER", user, "ANVIL_JOURNAL_PASSWORD", password);
    }

    @Override
    public void close() throws Exception {
      stop.close();
    }
  }

  /** An H2 TCP server on loopback over a new folder, as {@code start} runs one. */
  public static Database h2Server() throws IOException, SQLException {
    return h2Server(null);
  }

  /**
   * An H2 TCP server over a new folder; with {@code host}, reachable at that address of this
   * machine (a bridge to network namespaces), else on loopback only.
   */
  public static Database h2Server(String host) throws IOException, SQLException {
    Path dir = Files.createTempDirectory("anvil-test-h2");
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("-tcpPort", "" + port, "-baseDir",
        dir.toString(), "-ifNotExists"));
    if (host != null) {
      args.add("-tcpAllowOthers");
    }
    Server server = Server.createTcpServer(args.toArray(String[]::new)).start();
    return new Database("jdbc:h2:tcp://" + (host == null ? "127.0.0.1" : host) + ":" + port + "/jobs;WRITE_DELAY=0",
        "sa", "test", server::stop);
  }

  /**
   * A new database on the PostgreSQL that {@code .ci/run} starts (the server's URL, user and password
   * from ANVIL_TEST_PG_URL, _USER, _PASSWORD; defaults: 127.0.0.1:5432, postgres, anvil). Skips the
   * test, saying why, only when no PostgreSQL answers there.
   */
  public static Database postgres() {
    String server = env("ANVIL_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/");
    String user = env("ANVIL_TEST_PG_USER", "postgres");
    String password = env("ANVIL_TEST_PG_PASSWORD", "anvil");
    String name = "anvil_test_" + Long.toHexString(System.nanoTime());
    try (Connection c = DriverManager.getConnection(server + "postgres", user, password);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      Assumptions.abort("no PostgreSQL at " + server + " for user " + user + " (" + e.getMessage()
          + "); .ci/run starts one: pg_ctlcluster 15 main start");
    }
    return new Database(server + name, user, password, () -> {
      try (Connection c = DriverManager.getConnection(server + "postgres", user, password);
          Statement s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      }
    });
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
