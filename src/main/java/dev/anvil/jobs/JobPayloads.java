package dev.anvil.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * Inputs and results too large to travel in cluster messages and to sit in a job's events
 * ({@code anvil.jobs.inline-bytes}): kept in {@code anvil_payloads}, by job id and part, and read
 * straight from the database by the node that needs them. The job's event then holds no bytes: an
 * {@code Accepted} without input, a succeeded {@code Finished} without result (see {@link JobEvent}).
 * So a 16 MiB result is written once, read once per request, and never crosses the cluster.
 */
final class JobPayloads {

  static final String RESULT = "result";

  private final DataSource pool;
  private final Executor blocking;
  private final JobJournal.Dialect dialect;

  JobPayloads(DataSource pool, Executor blocking, JobJournal.Dialect dialect) {
    this.pool = pool;
    this.blocking = blocking;
    this.dialect = dialect;
  }

  /** The part that holds a job's input, by its hash: a key reused with another body never overwrites it. */
  static String input(String inputHash) {
    return "input-" + inputHash;
  }

  /** Stores (or stores again, the same bytes) one part of a job. */
  CompletionStage<Void> put(String id, String part, byte[] data) {
    String sql = dialect == JobJournal.Dialect.H2
        ? "MERGE INTO anvil_payloads (id, part, created_at, data) KEY (id, part) VALUES (?, ?, ?, ?)"
        : "INSERT INTO anvil_payloads (id, part, created_at, data) VALUES (?, ?, ?, ?)"
            + " ON CONFLICT (id, part) DO UPDATE SET data = EXCLUDED.data";
    return CompletableFuture.runAsync(() -> {
      try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
        s.setString(1, id);
        s.setString(2, part);
        s.setLong(3, System.currentTimeMillis());
        s.setBytes(4, data);
        s.executeUpdate();
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
  }

  /** One part of a job; empty when there is none (the job was deleted meanwhile). */
  CompletionStage<Optional<byte[]>> get(String id, String part) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(
          "SELECT data FROM anvil_payloads WHERE id = ? AND part = ?")) {
        s.setString(1, id);
        s.setString(2, part);
        try (ResultSet r = s.executeQuery()) {
          return r.next() ? Optional.of(r.getBytes(1)) : Optional.empty();
        }
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
  }

  /** The record with its result read from here, when its entity keeps it here; else the record as it is. */
  CompletionStage<JobRecord> withResult(JobRecord record) {
    if (record == null || !record.resultStored()) {
      return CompletableFuture.completedFuture(record);
    }
    return get(record.id(), RESULT).thenApply(data -> data.map(record::withResult).orElse(record));
  }
}
