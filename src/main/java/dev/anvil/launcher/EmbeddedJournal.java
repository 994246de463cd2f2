package dev.anvil.launcher;

import dev.anvil.jobs.JobJournal;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import org.h2.tools.Server;

/**
 * The jobs' database of {@code start} when no journal URL is given: an H2 TCP server on loopback,
 * run by the supervisor, over the database in the data folder. The supervisor outlives its nodes
 * (a node that dies or is rolled finds the same database), and H2 is not asked to fail over
 * between JVMs (its AUTO_SERVER mode lost acknowledged rows when the serving JVM was killed).
 * Every commit is written at once ({@code WRITE_DELAY=0}): a killed process loses nothing it
 * acknowledged; an OS crash may lose the last commits, as H2 does not fsync each one.
 */
final class EmbeddedJournal implements AutoCloseable {

  private final Server server;
  private final JobJournal.Connection connection;

  private EmbeddedJournal(Server server, JobJournal.Connection connection) {
    this.server = server;
    this.connection = connection;
  }

  /** Starts the server over {@code dataDir}; its URL names the same file a lone node opens. */
  static EmbeddedJournal start(Path dataDir) throws IOException, SQLException {
    Path dir = dataDir.toAbsolutePath().normalize();
    java.nio.file.Files.createDirectories(dir);
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    Server server = Server.createTcpServer("-tcpPort", Integer.toString(port), "-baseDir", dir.toString(),
        "-ifNotExists").start(); // loopback only: no -tcpAllowOthers
    String password = JobJournal.embeddedPassword(dir);
    JobJournal.Connection connection = new JobJournal.Connection(
        "jdbc:h2:tcp://127.0.0.1:" + port + "/jobs" + JobJournal.H2_SETTINGS, "anvil", password, JobJournal.Dialect.H2);
    return new EmbeddedJournal(server, connection);
  }

  /** What each node JVM is given to reach it (the password goes by its file, not the command line). */
  List<String> nodeOptions(Path dataDir) {
    return List.of("-Danvil.jobs.journal.url=" + connection.url(), "-Danvil.jobs.journal.user=" + connection.user(),
        "-Danvil.jobs.journal.password-file=" + JobJournal.passwordFile(dataDir.toAbsolutePath().normalize()));
  }

  String url() {
    return connection.url();
  }

  @Override
  public void close() {
    server.stop();
  }
}
