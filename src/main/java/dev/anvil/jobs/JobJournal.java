package dev.anvil.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.anvil.config.SettingsCheck;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Where the jobs are kept: the database of the journal (pekko-persistence-jdbc) and of the jobs'
 * listing, chosen by {@code anvil.jobs.journal.url}. Empty: an H2 file in {@code anvil.data-dir},
 * for a node on its own ({@code start} gives its nodes the URL of the H2 server it runs).
 *
 * <p>The schema is created before the node's ActorSystem starts, with plain JDBC, so a database
 * that cannot be reached stops the node with one line. Each database holds one journal id, made
 * when its schema is; a node carries it as its cluster role {@code journal-<id>}, and nodes whose
 * journal differs refuse jobs (their entities would diverge).
 */
public final class JobJournal {

  /** What the node needs to reach the journal. */
  public record Connection(String url, String user, String password, Dialect dialect) {}

  public enum Dialect {
    H2("slick.jdbc.H2Profile$", "h2-dialect", "h2"),
    POSTGRES("slick.jdbc.PostgresProfile$", "postgres-dialect", "postgres");

    final String slickProfile;
    final String projectionDialect;
    final String script;

    Dialect(String slickProfile, String projectionDialect, String script) {
      this.slickProfile = slickProfile;
      this.projectionDialect = projectionDialect;
      this.script = script;
    }
  }

  public static final String ROLE_PREFIX = "journal-";

  /**
   * H2's settings for the jobs' database: every commit written at once; and not closed by H2's
   * own JVM shutdown hook, which ran beside the graceful stop (the nodes' last writes, the
   * supervisor's stop of its nodes) and closed the database under them.
   */
  public static final String H2_SETTINGS = ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE";

  private JobJournal() {}

  /** The connection named by {@code anvil.jobs.journal.*}, or the H2 file in the data folder. */
  public static Connection connection(Config c) {
    String url = c.getString("anvil.jobs.journal.url");
    String user = c.getString("anvil.jobs.journal.user");
    String password = c.getString("anvil.jobs.journal.password");
    String passwordFile = c.getString("anvil.jobs.journal.password-file");
    if (!passwordFile.isBlank()) {
      try {
        password = Files.readString(Path.of(passwordFile), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new SettingsCheck.BadSetting("anvil.jobs.journal.password-file (ANVIL_JOURNAL_PASSWORD_FILE): "
            + "cannot read " + passwordFile + " (" + e.getMessage() + ")");
      }
    }
    if (url.isBlank()) {
      Path dir = Path.of(c.getString("anvil.data-dir")).toAbsolutePath().normalize();
      url = "jdbc:h2:file:" + dir.resolve("jobs") + H2_SETTINGS;
      user = "anvil";
      password = embeddedPassword(dir);
    }
    return new Connection(url, user, password, dialect(url));
  }

  private static Dialect dialect(String url) {
    if (url.startsWith("jdbc:h2:")) {
      return Dialect.H2;
    } else if (url.startsWith("jdbc:postgresql:")) {
      return Dialect.POSTGRES;
    }
    throw new SettingsCheck.BadSetting("anvil.jobs.journal.url (ANVIL_JOURNAL_URL) must be a jdbc:postgresql:"
        + " or jdbc:h2: URL, was '" + url + "'");
  }

  /** The settings of the journal plugin, its read side and the projection, for this connection. */
  static Map<String, Object> pluginConfig(Connection connection, int maxConnections) {
    Map<String, Object> m = new HashMap<>();
    String db = "pekko-persistence-jdbc.shared-databases.anvil.";
    m.put(db + "profile", connection.dialect().slickProfile);
    m.put(db + "db.url", connection.url());
    m.put(db + "db.user", connection.user());
    m.put(db + "db.password", connection.password());
    m.put(db + "db.driver", connection.dialect() == Dialect.H2 ? "org.h2.Driver" : "org.postgresql.Driver");
    m.put(db + "db.numThreads", maxConnections);
    m.put(db + "db.maxConnections", maxConnections);
    m.put(db + "db.minConnections", 1);
    m.put(db + "db.connectionTimeout", 3000); // a database that is down fails a write in seconds
    m.put(db + "db.validationTimeout", 2000);
    m.put("pekko.projection.jdbc.dialect", connection.dialect().projectionDialect);
    return m;
  }

  /** Checks the journal's URL when the config is loaded: one line for a database Anvil cannot use. */
  public static void check(Config resolved) {
    String url = resolved.getString("anvil.jobs.journal.url");
    if (!url.isBlank()) {
      dialect(url);
    }
  }

  /**
   * The node's config with the journal's plugins pointed at {@code connection}, its settings
   * resolved to it, and the journal's id among its cluster roles.
   */
  public static Config configure(Config config, Connection connection, String journalId) {
    List<String> roles = new java.util.ArrayList<>(config.getStringList("pekko.cluster.roles"));
    roles.removeIf(r -> r.startsWith(ROLE_PREFIX));
    roles.add(role(journalId));
    Map<String, Object> m = pluginConfig(connection, config.getInt("anvil.jobs.journal.max-connections"));
    m.put("pekko.cluster.roles", roles);
    // resolved once: the node's own pool (Jobs.start) reads them as they are, no file read again
    m.put("anvil.jobs.journal.url", connection.url());
    m.put("anvil.jobs.journal.user", connection.user());
    m.put("anvil.jobs.journal.password", connection.password());
    m.put("anvil.jobs.journal.password-file", "");
    return ConfigFactory.parseMap(m).withFallback(config);
  }

  /**
   * Creates what is missing of the schema and returns the journal's id. Waits up to
   * {@code timeoutMillis} for the database, for a node that starts beside it.
   */
  public static String prepare(Connection connection, long timeoutMillis) {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    SQLException last;
    int schemaTries = 0;
    do {
      try (java.sql.Connection lock = DriverManager.getConnection(connection.url(), connection.user(),
              connection.password());
          java.sql.Connection c = DriverManager.getConnection(connection.url(), connection.user(),
              connection.password())) {
        if (connection.dialect() == Dialect.H2) {
          holdH2SchemaLock(lock); // released when `lock` closes, its transaction rolled back
        }
        return createSchema(c, connection.dialect());
      } catch (SQLException e) {
        last = e;
        // a database that starts beside the node is waited for; a schema that another node creates
        // at the same moment is tried again (H2 has no lock to take for it)
        if (!isConnectFailure(e) && ++schemaTries >= 10) {
          break;
        }
        try {
          Thread.sleep(100 + java.util.concurrent.ThreadLocalRandom.current().nextInt(400));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    } while (System.currentTimeMillis() < deadline);
    throw new IllegalStateException("the jobs' database " + redact(connection.url()) + " cannot be used: "
        + last.getMessage().lines().findFirst().orElse("") + " (anvil.jobs.journal.url, ANVIL_JOURNAL_URL)", last);
  }

  private static boolean isConnectFailure(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.startsWith("08") || state.equals("90067") || state.equals("57P03"));
  }

  static String redact(String url) {
    return url.replaceAll("(?i)password=[^;&]*", "password=***");
  }

  /**
   * H2 has no advisory lock, and its DDL commits the transaction it runs in. So nodes that prepare
   * one H2 database at once take turns through a row lock held by a connection of their own that
   * runs no DDL. Without it, an {@code ALTER TABLE} that copies {@code anvil_jobs} (the tenant
   * column of an old database) let another node's {@code CREATE TABLE IF NOT EXISTS} make an empty
   * table in the gap, and the old rows were lost ({@code JobJournalTest}).
   */
  private static void holdH2SchemaLock(java.sql.Connection lock) throws SQLException {
    try (Statement s = lock.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS anvil_schema_lock (one INT PRIMARY KEY)");
      s.execute("MERGE INTO anvil_schema_lock KEY (one) VALUES (1)");
      s.execute("SET LOCK_TIMEOUT 30000"); // one node may be adding the tenant column to many rows
      lock.setAutoCommit(false);
      s.executeQuery("SELECT one FROM anvil_schema_lock WHERE one = 1 FOR UPDATE").close();
    }
  }

  private static String createSchema(java.sql.Connection c, Dialect dialect) throws SQLException {
    // the journal plugin's tables as each database spells them, then Anvil's own, alike on both
    String script = resource("/dev/anvil/jobs/schema-" + dialect.script + ".sql")
        + resource("/dev/anvil/jobs/schema-anvil.sql");
    try (Statement s = c.createStatement()) {
      if (dialect == Dialect.POSTGRES) {
        // nodes that start together create the schema one after the other (released with the session)
        s.execute("SELECT pg_advisory_lock(72657381)");
      }
      for (String statement : script.split(";\\s*\\n")) {
        if (!statement.isBlank()) {
          if (statement.contains("anvil_jobs_tenant")) {
            addTenantColumnIfMissing(s);
          }
          s.execute(statement);
        }
      }
      try (ResultSet r = s.executeQuery("SELECT journal_id FROM anvil_meta")) {
        if (r.next()) {
          return r.getString(1);
        }
      }
      String id = UUID.randomUUID().toString().substring(0, 8);
      try {
        s.executeUpdate("INSERT INTO anvil_meta (one, journal_id) VALUES (1, '" + id + "')");
      } catch (SQLException raced) {
        // another node made it first
      }
      try (ResultSet r = s.executeQuery("SELECT journal_id FROM anvil_meta")) {
        r.next();
        return r.getString(1);
      }
    }
  }

  /**
   * A database from before tenants has no {@code tenant} column: it gets it here, its jobs tenant
   * {@code default}. Only when it is missing, and on H2 under the schema lock: H2 copies the table
   * to add a column.
   */
  private static void addTenantColumnIfMissing(Statement s) throws SQLException {
    try (ResultSet r = s.executeQuery("SELECT tenant FROM anvil_jobs WHERE 1 = 0")) {
      return;
    } catch (SQLException missing) {
      s.execute("ALTER TABLE anvil_jobs ADD COLUMN IF NOT EXISTS tenant VARCHAR(64) DEFAULT 'default' NOT NULL");
    }
  }

  private static String resource(String name) {
    try (InputStream in = JobJournal.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("missing " + name, e);
    }
  }

  /** A small pool for the listing and the sweeps of retention, beside the journal's own. */
  static HikariDataSource pool(Connection connection, String name, int size) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(name);
    config.setJdbcUrl(connection.url());
    config.setUsername(connection.user());
    config.setPassword(connection.password());
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(3000);
    config.setValidationTimeout(2000);
    config.setAutoCommit(true);
    config.setInitializationFailTimeout(-1); // the node starts even when the database is down for now
    return new HikariDataSource(config);
  }

  /** The role that names this node's journal. */
  public static String role(String journalId) {
    return ROLE_PREFIX + journalId;
  }

  public static Path passwordFile(Path dataDir) {
    return dataDir.resolve("jobs.password");
  }

  /**
   * The password of the H2 database in {@code dataDir}, made on first use and kept in a file only
   * its owner may read: a local user who cannot read the folder cannot read the jobs either.
   */
  public static synchronized String embeddedPassword(Path dataDir) {
    Path file = passwordFile(dataDir);
    try {
      if (Files.exists(file)) {
        return Files.readString(file, StandardCharsets.UTF_8).strip();
      }
      Files.createDirectories(dataDir);
      byte[] bytes = new byte[18];
      new java.security.SecureRandom().nextBytes(bytes);
      String password = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
      Path tmp = Files.createTempFile(dataDir, "jobs.password", ".tmp",
          java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
              java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, password, StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        Files.deleteIfExists(tmp);
      }
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new SettingsCheck.BadSetting("anvil.data-dir (ANVIL_DATA_DIR, --data-dir): cannot keep the jobs'"
          + " database password in " + file + " (" + e.getMessage() + ")");
    }
  }
}
