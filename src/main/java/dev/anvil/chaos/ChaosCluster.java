package dev.anvil.chaos;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.h2.tools.Server;

/**
 * The real cluster a chaos run works on, and the faults it can take: {@code anvil start} on
 * three hosts, each a network namespace on a bridge of this machine (as root), or on this machine
 * alone; their jobs' database (PostgreSQL when it answers where the nodes can reach it, else an
 * H2 server that this process runs). Each fault is one method that injects it and returns what
 * heals it.
 */
final class ChaosCluster implements AutoCloseable {

  static final String TOKEN = "chaos-run-token";

  /** One host: a supervisor ({@code anvil start}) serving HTTP on {@code ip:httpPort}. */
  final class Host {
    final int index;
    final String ip;
    final int httpPort;
    Process supervisor;
    Path log;

    Host(int index, String ip, int httpPort) {
      this.index = index;
      this.ip = ip;
      this.httpPort = httpPort;
    }

    String url() {
      return "http://" + ip + ":" + httpPort;
    }

    String name() {
      return "host-" + index;
    }

    void start() throws IOException {
      List<String> command = new ArrayList<>(network != null ? network.exec(index) : List.of());
      command.addAll(List.of(javaCommand, "-jar", jar.toString(), "start", "--nodes", Integer.toString(nodesPerHost),
          "--http-host", ip, "--http-port", Integer.toString(httpPort), "--data-dir",
          dir.resolve(name() + "-data").toString()));
      log = dir.resolve(name() + ".log");
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().putAll(environment(this));
      supervisor = builder.start();
    }

    /** The node JVMs of this host's supervisor, now. */
    List<ProcessHandle> nodes() {
      Process s = supervisor;
      return s == null || !s.isAlive() ? List.of() : s.toHandle().children().filter(ProcessHandle::isAlive).toList();
    }
  }

  private final Path dir;
  private final Path jar;
  private final String javaCommand;
  private final int nodesPerHost;
  private final List<Host> hosts = new ArrayList<>();
  private final NetworkHosts network; // null on this machine alone
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Database database;

  /**
   * @param hostCount 3 on network namespaces (needs root and {@code ip netns}), or 1 on this machine
   * @param db {@code auto}, {@code postgres} or {@code h2}
   */
  ChaosCluster(Path dir, int hostCount, int nodesPerHost, String db) throws Exception {
    this.dir = dir;
    this.nodesPerHost = nodesPerHost;
    this.jar = Path.of(ChaosCluster.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    this.javaCommand = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
    this.network = hostCount > 1 ? NetworkHosts.create(hostCount) : null;
    if (network != null) {
      for (int h = 1; h <= hostCount; h++) {
        hosts.add(new Host(h, network.ip(h), 18080 + h));
      }
    } else {
      hosts.add(new Host(1, "127.0.0.1", freePort()));
    }
    this.database = Database.open(db, network != null ? network.bridgeIp() : "127.0.0.1", dir);
  }

  List<Host> hosts() {
    return hosts;
  }

  boolean namespaces() {
    return network != null;
  }

  String databaseName() {
    return database.describe();
  }

  void startAll() throws IOException {
    for (Host h : hosts) {
      h.start();
    }
  }

  /** Waits until every host answers and the cluster has every node Up. */
  boolean awaitUp(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int expected = hosts.size() * nodesPerHost;
    while (System.nanoTime() < deadline) {
      if (hosts.stream().allMatch(h -> upMembers(h) == expected)) {
        return true;
      }
      Thread.sleep(500); // polling a real cluster's start; each poll is one request
    }
    return false;
  }

  int upMembers(Host h) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(h.url() + "/health"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      var m = java.util.regex.Pattern.compile("\"members\"\\s*:\\s*(\\d+)").matcher(r.body());
      return r.statusCode() == 200 && m.find() ? Integer.parseInt(m.group(1)) : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Every node JVM of every host with its host, oldest (earliest started) first. */
  List<Map.Entry<Host, ProcessHandle>> nodes() {
    List<Map.Entry<Host, ProcessHandle>> all = new ArrayList<>();
    for (Host h : hosts) {
      h.nodes().forEach(p -> all.add(Map.entry(h, p)));
    }
    all.sort(Comparator.comparing(e -> e.getValue().info().startInstant().orElse(java.time.Instant.MAX)));
    return all;
  }

  /** Resident memory of a process in bytes, from /proc; empty once it is gone. */
  static Optional<Long> rss(ProcessHandle p) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Optional.of(Long.parseLong(line.replaceAll("\\D", "")) * 1024);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // the process ended
    }
    return Optional.empty();
  }

  // ---- faults: each injects, and returns what heals it ----

  static void signal(ProcessHandle p, String signal) throws IOException, InterruptedException {
    NetworkHosts.run(false, "kill", "-" + signal, Long.toString(p.pid()));
  }

  void cut(Host h) throws IOException, InterruptedException {
    network.cut(h.index);
  }

  void heal(Host h) throws IOException, InterruptedException {
    network.heal(h.index);
  }

  void stopDatabase() throws Exception {
    database.stop();
  }

  void startDatabase() throws Exception {
    database.start();
  }

  /**
   * {@code roll} of the host's supervisor, as a user runs it (through its control socket, so it works even when
   * the runner was started under nohup, which a SIGHUP would not); true once the roll ended done, false when it
   * stopped or did not end within {@code bound}.
   */
  boolean roll(Host h, Duration bound) throws IOException, InterruptedException {
    Process roll = new ProcessBuilder(javaCommand, "-jar", jar.toString(), "roll", "--http-port",
        Integer.toString(h.httpPort)).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(h.name() + "-roll.log").toFile())).start();
    if (!roll.waitFor(bound.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      roll.destroyForcibly().waitFor();
      return false;
    }
    return roll.exitValue() == 0;
  }

  /** kill -9 of the host's supervisor (its nodes must follow it), then waits for them to be gone. */
  List<ProcessHandle> killSupervisor(Host h, Duration bound) throws InterruptedException {
    List<ProcessHandle> nodes = h.nodes();
    h.supervisor.destroyForcibly().waitFor();
    long deadline = System.nanoTime() + bound.toNanos();
    while (System.nanoTime() < deadline && nodes.stream().anyMatch(ProcessHandle::isAlive)) {
      Thread.sleep(100); // waiting for the orphaned nodes to notice their supervisor is gone
    }
    return nodes.stream().filter(ProcessHandle::isAlive).toList();
  }

  private Map<String, String> environment(Host self) {
    Map<String, String> env = new HashMap<>(database.environment());
    env.put("ANVIL_API_TOKENS", TOKEN);
    if (network != null) {
      List<String> contactPoints = new ArrayList<>();
      for (Host h : hosts) {
        for (int n = 0; n < nodesPerHost; n++) {
          contactPoints.add(h.ip + ":" + (8558 + n));
        }
      }
      env.put("ANVIL_CLUSTER_HOSTNAME", self.ip);
      env.put("ANVIL_CLUSTER_DISCOVERY", "config");
      env.put("ANVIL_CONTACT_POINTS", String.join(",", contactPoints));
      env.put("ANVIL_REQUIRED_CONTACT_POINTS", Integer.toString(contactPoints.size()));
      env.put("ANVIL_MANAGEMENT_PORT", "8558");
    }
    return env;
  }

  /** Stops every supervisor (SIGTERM, then kill -9 after {@code grace}), the database, and the namespaces. */
  @Override
  public void close() throws Exception {
    for (Host h : hosts) {
      if (h.supervisor != null && h.supervisor.isAlive()) {
        h.supervisor.destroy();
      }
    }
    for (Host h : hosts) {
      if (h.supervisor != null && !h.supervisor.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
        h.nodes().forEach(ProcessHandle::destroyForcibly);
        h.supervisor.destroyForcibly().waitFor();
      }
    }
    database.close();
    if (network != null) {
      network.close();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * The jobs' database of the run, which the run can stop and start: a database of its own on the
   * PostgreSQL at {@code ANVIL_TEST_PG_URL} (default 127.0.0.1:5432, user postgres, password anvil)
   * when it answers at the address the nodes use, stopped by refusing its connections and ending
   * its sessions; else an H2 server in this process, stopped and started on the same port.
   */
  abstract static class Database implements AutoCloseable {
    abstract Map<String, String> environment();

    abstract void stop() throws Exception;

    abstract void start() throws Exception;

    abstract String describe();

    static Database open(String choice, String host, Path dir) throws Exception {
      if (!choice.equals("h2")) {
        Optional<Database> pg = Postgres.open(host);
        if (pg.isPresent()) {
          return pg.get();
        }
        if (choice.equals("postgres")) {
          throw new IllegalStateException("--db postgres: no PostgreSQL answers at " + host
              + ":5432 with the user and password of ANVIL_TEST_PG_USER / ANVIL_TEST_PG_PASSWORD");
        }
      }
      return new H2(host, dir.resolve("h2"));
    }
  }

  static final class H2 extends Database {
    private final String host;
    private final Path dir;
    private final int port;
    private Server server;

    H2(String host, Path dir) throws Exception {
      this.host = host;
      this.dir = dir;
      Files.createDirectories(dir);
      this.port = freePort();
      start();
    }

    @Override
    Map<String, String> environment() {
      return Map.of("ANVIL_JOURNAL_URL", "jdbc:h2:tcp://" + host + ":" + port + "/jobs;WRITE_DELAY=0",
          "ANVIL_JOURNAL_USER", "sa", "ANVIL_JOURNAL_PASSWORD", "chaos");
    }

    @Override
    synchronized void stop() {
      server.stop();
    }

    @Override
    synchronized void start() throws SQLException {
      server = Server.createTcpServer("-tcpPort", Integer.toString(port), "-baseDir", dir.toString(), "-ifNotExists",
          "-tcpAllowOthers").start();
    }

    @Override
    String describe() {
      return "H2 server on " + host + ":" + port;
    }

    @Override
    public void close() {
      stop();
    }
  }

  static final class Postgres extends Database {
    private final String adminUrl;
    private final String user;
    private final String password;
    private final String host;
    private final int port;
    private final String name = "anvil_chaos_" + Long.toHexString(System.nanoTime());

    private Postgres(String host, int port, String user, String password) {
      this.host = host;
      this.port = port;
      this.user = user;
      this.password = password;
      this.adminUrl = "jdbc:postgresql://" + host + ":" + port + "/postgres";
    }

    static Optional<Database> open(String host) {
      String url = Optional.ofNullable(System.getenv("ANVIL_TEST_PG_URL")).orElse("jdbc:postgresql://127.0.0.1:5432/");
      int port = 5432;
      var m = java.util.regex.Pattern.compile(":(\\d+)").matcher(url.replace("jdbc:postgresql://", ""));
      if (m.find()) {
        port = Integer.parseInt(m.group(1));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(host, port), 1000);
      } catch (IOException e) {
        return Optional.empty();
      }
      Postgres pg = new Postgres(host, port, Optional.ofNullable(System.getenv("ANVIL_TEST_PG_USER")).orElse("postgres"),
          Optional.ofNullable(System.getenv("ANVIL_TEST_PG_PASSWORD")).orElse("anvil"));
      try (Connection c = DriverManager.getConnection(pg.adminUrl, pg.user, pg.password);
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + pg.name);
        return Optional.of(pg);
      } catch (SQLException e) {
        return Optional.empty();
      }
    }

    @Override
    Map<String, String> environment() {
      return Map.of("ANVIL_JOURNAL_URL", "jdbc:postgresql://" + host + ":" + port + "/" + name, "ANVIL_JOURNAL_USER",
          user, "ANVIL_JOURNAL_PASSWORD", password);
    }

    @Override
    void stop() throws SQLException {
      try (Connection c = DriverManager.getConnection(adminUrl, user, password); Statement s = c.createStatement()) {
        s.execute("ALTER DATABASE " + name + " WITH ALLOW_CONNECTIONS false");
        s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
      }
    }

    @Override
    void start() throws SQLException {
      try (Connection c = DriverManager.getConnection(adminUrl, user, password); Statement s = c.createStatement()) {
        s.execute("ALTER DATABASE " + name + " WITH ALLOW_CONNECTIONS true");
      }
    }

    @Override
    String describe() {
      return "PostgreSQL database " + name + " on " + host + ":" + port;
    }

    @Override
    public void close() throws SQLException {
      try (Connection c = DriverManager.getConnection(adminUrl, user, password); Statement s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      }
    }
  }
}
