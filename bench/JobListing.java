import dev.anvil.jobs.JobIndex;
import dev.anvil.jobs.JobJournal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The jobs' listing with a million jobs stored: fills {@code anvil_jobs} (the table the listing's
 * projection keeps) with ROWS rows (kinds primes/spin/stats, statuses as a busy day leaves them,
 * one submission a millisecond), then times the listing's own query ({@link JobIndex#listQuery})
 * for a first page, a filtered page, and a page a cursor reaches half-way down: the median and
 * the worst of 25 each. One JSON line per query.
 *
 * <p>Usage (bench/listing.sh runs it): java -cp CLASSES:target/anvil.jar JobListing JDBC_URL USER PASSWORD ROWS
 */
public class JobListing {
  public static void main(String[] args) throws Exception {
    String url = args[0];
    int rows = Integer.parseInt(args[3]);
    JobJournal.Dialect dialect = url.startsWith("jdbc:h2:") ? JobJournal.Dialect.H2 : JobJournal.Dialect.POSTGRES;
    JobJournal.prepare(new JobJournal.Connection(url, args[1], args[2], dialect), 10_000);
    try (Connection c = DriverManager.getConnection(url, args[1], args[2])) {
      long start = System.nanoTime();
      fill(c, rows);
      System.err.printf("JobListing: %d rows in %.1f s%n", rows, (System.nanoTime() - start) / 1e9);
      if (dialect == JobJournal.Dialect.POSTGRES) {
        c.createStatement().execute("ANALYZE anvil_jobs");
      }
      long base = 1_700_000_000_000L;
      time(c, "first page, limit 100", JobIndex.listQuery(false, false, false), 101);
      time(c, "status=running, limit 100", JobIndex.listQuery(true, false, false), "running", 101);
      time(c, "kind=stats, limit 100", JobIndex.listQuery(false, true, false), "stats", 101);
      long middle = base + rows / 2;
      time(c, "cursor half-way down, limit 100", JobIndex.listQuery(false, false, true), middle,
          "ffffffffffffffffffffffff", 101);
      time(c, "status=failed after a cursor half-way down, limit 100", JobIndex.listQuery(true, false, true),
          "failed", middle, "ffffffffffffffffffffffff", 101);
    }
  }

  private static void fill(Connection c, int rows) throws Exception {
    try (ResultSet r = c.createStatement().executeQuery("SELECT COUNT(*) FROM anvil_jobs")) {
      r.next();
      if (r.getLong(1) >= rows) {
        return;
      }
    }
    c.setAutoCommit(false);
    String[] kinds = {"primes", "spin", "stats"};
    long base = 1_700_000_000_000L;
    try (PreparedStatement s = c.prepareStatement("INSERT INTO anvil_jobs (id, kind, status, attempts, node,"
        + " submitted_at, started_at, finished_at, queue_ms, compute_ms, result) VALUES (?, ?, ?, 1, 'n1', ?, ?, ?, 0, 3, ?)")) {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      for (int i = 0; i < rows; i++) {
        int roll = random.nextInt(1000);
        String status = roll < 2 ? "running" : roll < 5 ? "queued" : roll < 15 ? "failed" : roll < 20 ? "cancelled"
            : "succeeded";
        long at = base + i;
        s.setString(1, String.format("%016x%08x", random.nextLong(), random.nextInt()));
        s.setString(2, kinds[i % 3]);
        s.setString(3, status);
        s.setLong(4, at);
        s.setLong(5, status.equals("queued") ? 0 : at + 1);
        s.setLong(6, status.equals("queued") || status.equals("running") ? 0 : at + 4);
        s.setBytes(7, status.equals("succeeded") ? "{\"count\":25}".getBytes() : null);
        s.addBatch();
        if (i % 5000 == 4999) {
          s.executeBatch();
          c.commit();
        }
      }
      s.executeBatch();
      c.commit();
    }
    c.setAutoCommit(true);
  }

  private static void time(Connection c, String what, String sql, Object... params) throws Exception {
    double[] ms = new double[25];
    int found = 0;
    for (int round = 0; round < ms.length; round++) {
      long start = System.nanoTime();
      try (PreparedStatement s = c.prepareStatement(sql)) {
        for (int i = 0; i < params.length; i++) {
          s.setObject(i + 1, params[i]);
        }
        try (ResultSet r = s.executeQuery()) {
          found = 0;
          while (r.next()) {
            found++;
          }
        }
      }
      ms[round] = (System.nanoTime() - start) / 1e6;
    }
    Arrays.sort(ms);
    System.out.printf("{\"query\":\"%s\",\"rows_returned\":%d,\"median_ms\":%.2f,\"max_ms\":%.2f}%n", what, found,
        ms[ms.length / 2], ms[ms.length - 1]);
  }
}
