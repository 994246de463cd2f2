package dev.anvil.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The listing's source: every job event of the journal, in the order of its {@code ordering}
 * column, read with one indexed range query per poll ({@code ordering > ? ORDER BY ordering
 * LIMIT ?}). It replaces the plugin's {@code eventsByTag}: events carry no tags, so the journal
 * inserts them in batches (a tagged event is inserted alone, to learn its ordering for the tag
 * row), and no query joins the tag table, which H2 scanned whole on every poll (48 ms a poll
 * with 18,000 events, growing with every job kept).
 *
 * <p>An ordering is drawn when a row is inserted, not when it commits, so a poll can see
 * ordering 11 committed while 10 is still in flight. The source does not read past such a hole
 * until it fills, or until {@link Holes} gives up on it: after {@code hole-timeout} (a write that
 * rolled back leaves a hole forever), or at once when the row after it was written more than
 * {@code stale-hole} ago (a journal read from its start, with the rows of deleted jobs gone).
 */
final class JournalSource extends SourceProvider<Offset, EventEnvelope<JobEvent>> {

  /** The listing's settings ({@code anvil.jobs.listing}). */
  record Settings(Duration pollInterval, int batchSize, Duration holeTimeout, Duration staleHole) {
    static Settings fromConfig(com.typesafe.config.Config listing) {
      return new Settings(listing.getDuration("poll-interval"), listing.getInt("batch-size"),
          listing.getDuration("hole-timeout"), listing.getDuration("stale-hole"));
    }
  }

  private final ActorSystem<?> system;
  private final DataSource pool;
  private final Executor blocking;
  private final Settings settings;
  private final Serialization serialization;
  private final LongSupplier initialOffset;

  /** @param initialOffset where to start when no offset is stored (run on {@code blocking}) */
  JournalSource(ActorSystem<?> system, DataSource pool, Executor blocking, Settings settings,
      LongSupplier initialOffset) {
    this.system = system;
    this.pool = pool;
    this.blocking = blocking;
    this.settings = settings;
    this.serialization = SerializationExtension.get(system);
    this.initialOffset = initialOffset;
  }

  @Override
  public CompletionStage<Source<EventEnvelope<JobEvent>, NotUsed>> source(
      Supplier<CompletionStage<Optional<Offset>>> offset) {
    return offset.get()
        .thenCompose(stored -> stored.isPresent()
            ? CompletableFuture.completedFuture(((Sequence) stored.get()).value())
            : CompletableFuture.supplyAsync(initialOffset::getAsLong, blocking))
        .thenApply(from -> Source.unfoldAsync(new Holes(from, settings.holeTimeout().toMillis(),
                settings.staleHole().toMillis()), this::poll)
            .mapConcat(events -> events));
  }

  /** One poll: the next contiguous rows, at once when the last poll was full, else after poll-interval. */
  private CompletionStage<Optional<Pair<Holes, List<EventEnvelope<JobEvent>>>>> poll(Holes holes) {
    return CompletableFuture.supplyAsync(() -> read(holes), blocking)
        .thenCompose(read -> {
          Optional<Pair<Holes, List<EventEnvelope<JobEvent>>>> next = Optional.of(Pair.create(holes, read.events()));
          if (read.full()) {
            return CompletableFuture.completedFuture(next);
          }
          return Patterns.after(settings.pollInterval(), system.classicSystem().scheduler(),
              system.executionContext(), () -> CompletableFuture.completedFuture(next));
        });
  }

  private record Read(List<EventEnvelope<JobEvent>> events, boolean full) {}

  private record Row(long ordering, String persistenceId, long sequenceNr, boolean deleted, long writtenAt,
      int serializerId, String manifest, byte[] payload) {}

  private Read read(Holes holes) {
    List<Row> rows = new ArrayList<>(settings.batchSize());
    try (Connection c = pool.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT \"ordering\", \"persistence_id\", \"sequence_number\","
            + " \"deleted\", \"write_timestamp\", \"event_ser_id\", \"event_ser_manifest\", \"event_payload\""
            + " FROM \"event_journal\" WHERE \"ordering\" > ? ORDER BY \"ordering\" LIMIT ?")) {
      s.setLong(1, holes.last());
      s.setInt(2, settings.batchSize());
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          rows.add(new Row(r.getLong(1), r.getString(2), r.getLong(3), r.getBoolean(4), r.getLong(5), r.getInt(6),
              r.getString(7), r.getBytes(8)));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("the journal could not be read: " + e.getMessage(), e);
    }
    long[] orderings = rows.stream().mapToLong(Row::ordering).toArray();
    long[] writtenAt = rows.stream().mapToLong(Row::writtenAt).toArray();
    int usable = holes.advance(orderings, writtenAt, System.currentTimeMillis());
    List<EventEnvelope<JobEvent>> events = new ArrayList<>(usable);
    for (Row row : rows.subList(0, usable)) {
      if (row.deleted()) {
        continue;
      }
      JobEvent event = (JobEvent) serialization.deserialize(row.payload(), row.serializerId(), row.manifest()).get();
      events.add(EventEnvelope.create(Offset.sequence(row.ordering()), row.persistenceId(), row.sequenceNr(), event,
          row.writtenAt()));
    }
    return new Read(events, rows.size() == settings.batchSize() && usable == rows.size());
  }

  @Override
  public Offset extractOffset(EventEnvelope<JobEvent> envelope) {
    return envelope.offset();
  }

  @Override
  public long extractCreationTime(EventEnvelope<JobEvent> envelope) {
    return envelope.timestamp();
  }

  /**
   * How far the source has read, and the holes it waits on. Each poll's rows (their orderings,
   * ascending, all above {@link #last()}) go through {@link #advance}, which says how many of them
   * may be emitted now. A hole is waited on from the poll that first meets it; when it has not
   * filled after the timeout, every missing ordering up to the highest one that poll saw is given
   * up on (each was drawn before that poll, so it has had the whole timeout to commit).
   */
  static final class Holes {
    private final long timeoutMs;
    private final long staleMs;
    private long last;
    private boolean waiting;
    private long waitingSince;
    private long waitingUpTo;
    private long givenUpTo;

    Holes(long last, long timeoutMs, long staleMs) {
      this.last = last;
      this.timeoutMs = timeoutMs;
      this.staleMs = staleMs;
    }

    /** The ordering of the last row read; the next poll reads above it. */
    long last() {
      return last;
    }

    boolean waiting() {
      return waiting;
    }

    /**
     * @param orderings this poll's rows, ascending, all above {@link #last()}
     * @param writtenAt when each was written (ms since the epoch; 0 when unknown)
     * @return how many of them, from the first, may be emitted now
     */
    int advance(long[] orderings, long[] writtenAt, long now) {
      int usable = 0;
      for (int i = 0; i < orderings.length; i++) {
        long ordering = orderings[i];
        if (ordering != last + 1 && !passable(ordering, writtenAt[i], orderings[orderings.length - 1], now)) {
          break;
        }
        last = ordering;
        usable++;
      }
      if (usable == orderings.length) {
        waiting = false; // no hole left below what this poll saw
      }
      return usable;
    }

    /** Whether the hole below {@code ordering} (from last + 1 to ordering - 1) may be passed. */
    private boolean passable(long ordering, long writtenAt, long highestSeen, long now) {
      if (ordering - 1 <= givenUpTo) {
        return true;
      }
      if (writtenAt > 0 && now - writtenAt >= staleMs) {
        return true; // written long ago: whatever was drawn below it has long committed or rolled back
      }
      if (waiting && last + 1 <= waitingUpTo && now - waitingSince >= timeoutMs) {
        givenUpTo = waitingUpTo;
        waiting = false;
        if (ordering - 1 <= givenUpTo) {
          return true;
        }
      }
      if (!waiting || last + 1 > waitingUpTo) {
        waiting = true;
        waitingSince = now;
        waitingUpTo = highestSeen;
      }
      return false;
    }
  }
}
