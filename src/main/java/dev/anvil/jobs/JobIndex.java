package dev.anvil.jobs;

import dev.anvil.jobs.JobRecord.Problem;
import dev.anvil.jobs.JobRecord.Status;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.GroupedProjection;
import org.apache.pekko.projection.jdbc.JdbcSession;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * The jobs' listing: a table of one row per job ({@code anvil_jobs}, without inputs and results),
 * kept by a projection of the journal's events (pekko-projection-jdbc, exactly once: each batch
 * of rows commits with its offset). It answers {@code GET /v1/jobs} with keyset pagination on
 * (submitted_at, id), so a page costs the same with a million jobs stored; and it tells the
 * keeper which jobs are unfinished (to resume) and which are past their retention (to delete).
 */
public final class JobIndex {

  /** One page of the listing; {@code next} is null on the last page. */
  public record Page(List<JobRecord> jobs, String next) {}

  /** Where a page starts: after the job submitted at {@code submittedAt} with {@code id}. */
  record Cursor(long submittedAt, String id) {
    String encode() {
      return Base64.getUrlEncoder().withoutPadding().encodeToString((submittedAt + ":" + id)
          .getBytes(StandardCharsets.UTF_8));
    }

    /** @throws IllegalArgumentException for a cursor this listing did not make */
    static Cursor parse(String text) {
      String decoded;
      try {
        decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("cursor is not one this listing gave");
      }
      if (!decoded.matches("[0-9]{1,19}:[0-9a-f]{1,32}")) {
        throw new IllegalArgumentException("cursor is not one this listing gave");
      }
      int colon = decoded.indexOf(':');
      return new Cursor(Long.parseLong(decoded.substring(0, colon)), decoded.substring(colon + 1));
    }
  }

  /** Results up to this size are in the listing too; larger ones only in the job's own view. */
  static final int MAX_LISTED_RESULT = 16 * 1024;

  private final ActorSystem<?> system;
  private final DataSource pool;
  private final Executor blocking;
  private final JobJournal.Dialect dialect;

  JobIndex(ActorSystem<?> system, DataSource pool, JobJournal.Dialect dialect) {
    this.system = system;
    this.pool = pool;
    this.dialect = dialect;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("anvil.jobs.db-dispatcher"));
  }

  // --- the projection

  /** A JDBC session of the projection: one pooled connection, one transaction. */
  static final class Session implements JdbcSession {
    private final Connection connection;

    Session(DataSource pool) {
      try {
        connection = pool.getConnection();
        connection.setAutoCommit(false);
      } catch (SQLException e) {
        throw new IllegalStateException("the jobs' database cannot be reached: " + e.getMessage(), e);
      }
    }

    @Override
    public <R> R withConnection(org.apache.pekko.japi.function.Function<Connection, R> f) throws Exception {
      return f.apply(connection);
    }

    @Override
    public void commit() throws SQLException {
      connection.commit();
    }

    @Override
    public void rollback() throws SQLException {
      connection.rollback();
    }

    @Override
    public void close() throws SQLException {
      connection.close();
    }
  }

  /** The projection's name, and the one its key had while it read four tags (before 2026-12-07). */
  static final ProjectionId PROJECTION = ProjectionId.of("anvil-jobs-journal", "all");
  private static final String TAGGED_PROJECTION = "anvil-jobs";

  /** The listing's projection: the whole journal in its order, rows written with their offset. */
  GroupedProjection<Offset, EventEnvelope<JobEvent>> projection(JournalSource.Settings settings) {
    JournalSource source = new JournalSource(system, pool, blocking, settings, this::taggedOffset);
    return JdbcProjection.groupedWithin(PROJECTION, source, () -> new Session(pool), () -> new RowWriter(dialect),
            system)
        .withGroup(settings.batchSize(), Duration.ofMillis(50));
  }

  /**
   * Where a journal that the tagged projections kept goes on from: the lowest of their offsets
   * (orderings of the same journal), so an upgrade neither lists jobs again from the start nor
   * misses any. 0 for a new journal.
   */
  long taggedOffset() {
    try (Connection c = pool.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT \"current_offset\" FROM"
            + " \"pekko_projection_offset_store\" WHERE \"projection_name\" = ?")) {
      s.setString(1, TAGGED_PROJECTION);
      long lowest = Long.MAX_VALUE;
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          lowest = Math.min(lowest, Long.parseLong(r.getString(1).trim()));
        }
      }
      return lowest == Long.MAX_VALUE ? 0 : lowest;
    } catch (SQLException e) {
      throw new IllegalStateException("the listing's offsets could not be read: " + e.getMessage(), e);
    }
  }

  /** The status of a deleted job's row until the sweep removes it: never listed. */
  static final String DELETED = "deleted";

  /** Applies events to rows, in the journal's order (a job's events come in the order they were stored). */
  static final class RowWriter extends JdbcHandler<List<EventEnvelope<JobEvent>>, Session> {
    private final JobJournal.Dialect dialect;

    RowWriter(JobJournal.Dialect dialect) {
      this.dialect = dialect;
    }

    @Override
    public void process(Session session, List<EventEnvelope<JobEvent>> envelopes) throws Exception {
      session.withConnection(c -> {
        String insert = dialect == JobJournal.Dialect.H2
            ? "MERGE INTO anvil_jobs (id, kind, status, attempts, node, submitted_at, started_at, finished_at,"
                + " queue_ms, compute_ms, tenant) KEY (id) VALUES (?, ?, 'queued', 1, NULL, ?, 0, 0, 0, 0, ?)"
            : "INSERT INTO anvil_jobs (id, kind, status, attempts, node, submitted_at, started_at, finished_at,"
                + " queue_ms, compute_ms, tenant) VALUES (?, ?, 'queued', 1, NULL, ?, 0, 0, 0, 0, ?) ON CONFLICT (id) DO"
                + " UPDATE SET tenant = EXCLUDED.tenant,"
                + " kind = EXCLUDED.kind, status = 'queued', attempts = 1, node = NULL, submitted_at ="
                + " EXCLUDED.submitted_at, started_at = 0, finished_at = 0, queue_ms = 0, compute_ms = 0, error_type ="
                + " NULL, error_title = NULL, error_status = NULL, error_detail = NULL, result = NULL"
                + " WHERE anvil_jobs.status = 'deleted'"; // its key used again after a DELETE
        try (PreparedStatement accepted = c.prepareStatement(insert);
            PreparedStatement started = c.prepareStatement("UPDATE anvil_jobs SET status = 'running', attempts = ?,"
                + " node = ?, started_at = ? WHERE id = ? AND status IN ('queued', 'running')");
            PreparedStatement finished = c.prepareStatement("UPDATE anvil_jobs SET status = ?, node = COALESCE(?, node),"
                + " started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END, finished_at = ?, queue_ms = ?,"
                + " compute_ms = ?, error_type = ?, error_title = ?, error_status = ?, error_detail = ?, result = ?"
                + " WHERE id = ? AND status IN ('queued', 'running')");
            // hidden from the listing at once, and past its retention: the keeper's next sweep removes its rows
            PreparedStatement deleted = c.prepareStatement("UPDATE anvil_jobs SET status = '" + DELETED + "',"
                + " finished_at = 1, result = NULL WHERE id = ?")) {
          for (EventEnvelope<JobEvent> envelope : envelopes) {
            String id = envelope.persistenceId().substring(envelope.persistenceId().indexOf('|') + 1);
            JobEvent event = envelope.event();
            if (event instanceof JobEvent.Accepted a) {
              accepted.setString(1, id);
              accepted.setString(2, a.kind());
              accepted.setLong(3, a.submittedAt());
              accepted.setString(4, a.submitter() == null || a.submitter().isEmpty()
                  ? dev.anvil.security.Caller.DEFAULT_TENANT : a.submitter());
              accepted.executeUpdate();
            } else if (event instanceof JobEvent.Started s) {
              started.setInt(1, s.attempt());
              started.setString(2, s.node());
              started.setLong(3, s.at());
              started.setString(4, id);
              started.executeUpdate();
            } else if (event instanceof JobEvent.Finished f) {
              finish(finished, id, f.status(), f.node(), f.at(), f.queueMs(), f.computeMs(), f.error(),
                  f.result() != null && f.result().length <= MAX_LISTED_RESULT ? f.result() : null);
            } else if (event instanceof JobEvent.Cancelled x) {
              finish(finished, id, Status.CANCELLED, null, x.at(), 0, 0, null, null);
            } else if (event instanceof JobEvent.Deleted) {
              deleted.setString(1, id);
              deleted.executeUpdate();
            }
          }
        }
        return null;
      });
    }

    private static void finish(PreparedStatement s, String id, Status status, String node, long at, long queueMs,
        long computeMs, Problem error, byte[] result) throws SQLException {
      s.setString(1, status.json());
      s.setString(2, node);
      s.setLong(3, at);
      s.setLong(4, at);
      s.setLong(5, queueMs);
      s.setLong(6, computeMs);
      s.setString(7, error == null ? null : error.type());
      s.setString(8, error == null ? null : error.title());
      if (error == null) {
        s.setNull(9, java.sql.Types.INTEGER);
      } else {
        s.setInt(9, error.status());
      }
      s.setString(10, error == null ? null : truncate(error.detail()));
      s.setBytes(11, result);
      s.setString(12, id);
      s.executeUpdate();
    }
  }

  private static String truncate(String s) {
    return s == null || s.length() <= 4000 ? s : s.substring(0, 4000);
  }

  // --- the listing

  /**
   * Newest first, after {@code after} (from the previous page's {@code next}; null: from the newest).
   */
  CompletionStage<Page> list(String tenant, Status status, String kind, int limit, Cursor after) {
    return CompletableFuture.supplyAsync(() -> {
      String sql = listQuery(tenant != null, status != null, kind != null, after != null);
      List<Object> args = new ArrayList<>();
      if (tenant != null) {
        args.add(tenant);
      }
      if (status != null) {
        args.add(status.json());
      }
      if (kind != null) {
        args.add(kind);
      }
      if (after != null) {
        args.add(after.submittedAt());
        args.add(after.id());
      }
      args.add(limit + 1);
      try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
        for (int i = 0; i < args.size(); i++) {
          s.setObject(i + 1, args.get(i));
        }
        List<JobRecord> jobs = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            jobs.add(row(r));
          }
        }
        String next = null;
        if (jobs.size() > limit) {
          jobs.remove(limit);
          JobRecord last = jobs.get(limit - 1);
          next = new Cursor(last.submittedAt(), last.id()).encode();
        }
        return new Page(jobs, next);
      } catch (SQLException e) {
        throw new JobStoreUnavailable("the jobs' database did not answer: " + e.getMessage(), e);
      }
    }, blocking);
  }

  /**
   * The listing's query: newest first, optionally by status, by kind, and after a cursor's
   * (submitted_at, id); its parameters in that order, then the limit.
   * Public for the listing's benchmark (bench/JobListing.java), which times this very query.
   */
  public static String listQuery(boolean byStatus, boolean byKind, boolean afterCursor) {
    return listQuery(false, byStatus, byKind, afterCursor);
  }

  /** As above, first by tenant (a tenant that is not admin lists only its own jobs). */
  public static String listQuery(boolean byTenant, boolean byStatus, boolean byKind, boolean afterCursor) {
    StringBuilder sql = new StringBuilder("SELECT id, kind, status, attempts, node, submitted_at, started_at,"
        + " finished_at, queue_ms, compute_ms, error_type, error_title, error_status, error_detail, result, tenant"
        + " FROM anvil_jobs WHERE 1 = 1");
    if (byTenant) {
      sql.append(" AND tenant = ?");
    }
    if (byStatus) {
      sql.append(" AND status = ?");
    } else {
      sql.append(" AND status <> '" + DELETED + "'");
    }
    if (byKind) {
      sql.append(" AND kind = ?");
    }
    if (afterCursor) {
      // a row value, so PostgreSQL and H2 start an index range scan at the cursor rather than filter
      sql.append(" AND (submitted_at, id) < (?, ?)");
    }
    // the filter's column leads the ORDER BY (it is one value, so the order is the same): H2 then
    // reads its index in order instead of sorting every row of the kind (1.4 s at a million rows)
    String lead = byStatus ? "status, " : byKind ? "kind, " : byTenant ? "tenant, " : "";
    return sql.append(" ORDER BY ").append(lead).append("submitted_at DESC, id DESC LIMIT ?").toString();
  }

  private static JobRecord row(ResultSet r) throws SQLException {
    String errorType = r.getString(11);
    Problem error = errorType == null ? null : new Problem(errorType, r.getString(12), r.getInt(13), r.getString(14));
    return new JobRecord(r.getString(1), r.getString(2), null, 0, null, null, Status.parse(r.getString(3)), 
        Status.parse(r.getString(3)) == Status.SUCCEEDED ? 1.0 : 0, r.getInt(4), r.getString(5), r.getLong(6),
        r.getLong(7), r.getLong(8), r.getLong(9), r.getLong(10), r.getBytes(15), error, r.getString(16));
  }

  /** How many jobs {@code tenant} has stored (deleted ones aside): for its max-jobs. */
  CompletionStage<Long> count(String tenant) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(
          "SELECT COUNT(*) FROM anvil_jobs WHERE tenant = ? AND status <> '" + DELETED + "'")) {
        s.setString(1, tenant);
        try (ResultSet r = s.executeQuery()) {
          r.next();
          return r.getLong(1);
        }
      } catch (SQLException e) {
        throw new JobStoreUnavailable("the jobs' database did not answer: " + e.getMessage(), e);
      }
    }, blocking);
  }

  // --- for the keeper

  /** Up to {@code limit} unfinished jobs with an id after {@code afterId}, in id order. */
  List<String> unfinished(String afterId, int limit) throws SQLException {
    return ids("SELECT id FROM anvil_jobs WHERE status IN ('queued', 'running') AND id > ? ORDER BY id LIMIT ?",
        afterId, limit);
  }

  /** Up to {@code limit} finished jobs that ended before {@code before} (epoch ms). */
  List<String> expired(long before, int limit) throws SQLException {
    try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(
        "SELECT id FROM anvil_jobs WHERE finished_at > 0 AND finished_at < ? ORDER BY finished_at LIMIT ?")) {
      s.setLong(1, before);
      s.setInt(2, limit);
      return read(s);
    }
  }

  /** Deletes the jobs' events and rows: they are gone, their idempotency keys free again. */
  void delete(List<String> ids) throws SQLException {
    if (ids.isEmpty()) {
      return;
    }
    String marks = String.join(",", java.util.Collections.nCopies(ids.size(), "?"));
    String journal = dialect == JobJournal.Dialect.H2
        ? "DELETE FROM \"event_journal\" WHERE \"persistence_id\" IN (" + marks + ")"
        : "DELETE FROM event_journal WHERE persistence_id IN (" + marks + ")";
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement events = c.prepareStatement(journal);
          PreparedStatement rows = c.prepareStatement("DELETE FROM anvil_jobs WHERE id IN (" + marks + ")");
          PreparedStatement payloads = c.prepareStatement("DELETE FROM anvil_payloads WHERE id IN (" + marks + ")")) {
        for (int i = 0; i < ids.size(); i++) {
          events.setString(i + 1, JobEntity.KEY.name() + "|" + ids.get(i));
          rows.setString(i + 1, ids.get(i));
          payloads.setString(i + 1, ids.get(i));
        }
        events.executeUpdate();
        rows.executeUpdate();
        payloads.executeUpdate();
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    }
  }

  /**
   * Deletes stored inputs that no job has, written before {@code before} (epoch ms): submissions
   * whose entity never stored them (the database failed between the two writes, or a key reused
   * with another body). Returns how many.
   */
  int deleteOrphanPayloads(long before) throws SQLException {
    try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(
        "DELETE FROM anvil_payloads WHERE created_at < ? AND NOT EXISTS"
            + " (SELECT 1 FROM anvil_jobs j WHERE j.id = anvil_payloads.id)")) {
      s.setLong(1, before);
      return s.executeUpdate();
    }
  }

  private List<String> ids(String sql, String after, int limit) throws SQLException {
    try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, after);
      s.setInt(2, limit);
      return read(s);
    }
  }

  private static List<String> read(PreparedStatement s) throws SQLException {
    List<String> ids = new ArrayList<>();
    try (ResultSet r = s.executeQuery()) {
      while (r.next()) {
        ids.add(r.getString(1));
      }
    }
    return ids;
  }

  Executor blocking() {
    return blocking;
  }
}
