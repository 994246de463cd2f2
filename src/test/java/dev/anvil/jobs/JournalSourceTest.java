package dev.anvil.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.anvil.TestNodes;
import com.typesafe.config.ConfigFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The listing's source: the journal read in its order, held back at a hole in the orderings
 * (a write drawn its place but not committed) until the hole fills or is given up on.
 */
class JournalSourceTest {

  private static final long TIMEOUT = 10_000;
  private static final long STALE = 60_000;

  // --- Holes: pure, on a clock the test sets

  @Test
  void rowsInOrderWithoutHolesAreAllUsable() {
    JournalSource.Holes holes = new JournalSource.Holes(0, TIMEOUT, STALE);
    assertThat(holes.advance(new long[] {1, 2, 3}, written(3, 1_000), 1_000)).isEqualTo(3);
    assertThat(holes.last()).isEqualTo(3);
    assertThat(holes.waiting()).isFalse();
  }

  @Test
  void aHoleHoldsBackWhatComesAfterItUntilItFills() {
    JournalSource.Holes holes = new JournalSource.Holes(0, TIMEOUT, STALE);
    assertThat(holes.advance(new long[] {1, 3, 4}, written(3, 1_000), 1_000)).isEqualTo(1);
    assertThat(holes.waiting()).isTrue();
    assertThat(holes.advance(new long[] {3, 4}, written(2, 1_000), 5_000)).isZero();
    // 2 commits: everything goes on
    assertThat(holes.advance(new long[] {2, 3, 4}, written(3, 1_000), 6_000)).isEqualTo(3);
    assertThat(holes.last()).isEqualTo(4);
    assertThat(holes.waiting()).isFalse();
  }

  @Test
  void aHoleThatNeverFillsIsGivenUpOnAfterTheTimeoutWithEveryHoleDrawnBeforeIt() {
    JournalSource.Holes holes = new JournalSource.Holes(0, TIMEOUT, STALE);
    // 2 and 5 missing; the poll that met the hole saw up to 6
    assertThat(holes.advance(new long[] {1, 3, 4, 6}, written(4, 1_000), 1_000)).isEqualTo(1);
    assertThat(holes.advance(new long[] {3, 4, 6}, written(3, 1_000), 1_000 + TIMEOUT - 1)).isZero();
    assertThat(holes.advance(new long[] {3, 4, 6, 8}, written(4, 1_000), 1_000 + TIMEOUT)).isEqualTo(3);
    // 7 was drawn after that poll: it gets its own timeout
    assertThat(holes.last()).isEqualTo(6);
    assertThat(holes.waiting()).isTrue();
    assertThat(holes.advance(new long[] {8}, written(1, 1_000), 1_000 + TIMEOUT + 1)).isZero();
    assertThat(holes.advance(new long[] {8}, written(1, 1_000), 1_000 + 2 * TIMEOUT)).isEqualTo(1);
    assertThat(holes.last()).isEqualTo(8);
  }

  @Test
  void aHoleBelowARowWrittenLongAgoIsPassedAtOnce() {
    JournalSource.Holes holes = new JournalSource.Holes(0, TIMEOUT, STALE);
    long now = 100_000;
    // the rows of deleted jobs are gone from a journal read from its start
    assertThat(holes.advance(new long[] {1, 5, 9, 12}, new long[] {1, 2, 3, now}, now)).isEqualTo(3);
    assertThat(holes.last()).isEqualTo(9);
    assertThat(holes.advance(new long[] {10, 12}, new long[] {now, now}, now)).isEqualTo(1);
  }

  private static long[] written(int n, long at) {
    long[] w = new long[n];
    java.util.Arrays.fill(w, at);
    return w;
  }

  // --- the source, on a journal in H2

  private static ActorTestKit testKit;
  private static ExecutorService blocking;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create(ConfigFactory.parseString(
        "pekko.actor.provider = local\npekko.projection.jdbc.dialect = h2-dialect\n"
            + "pekko.actor.serialization-bindings { \"dev.anvil.serialization.CborSerializable\" = jackson-cbor }")
        .withFallback(ConfigFactory.load()));
    blocking = Executors.newFixedThreadPool(2);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    blocking.shutdownNow();
  }

  @Test
  void theSourceReadsTheJournalInOrderSkipsDeletedRowsAndWaitsAtAHole() throws Exception {
    String url = TestNodes.newJournal();
    JobJournal.prepare(new JobJournal.Connection(url, "", "", JobJournal.Dialect.H2), 10_000);
    JdbcDataSource pool = new JdbcDataSource();
    pool.setURL(url);
    try (Connection c = DriverManager.getConnection(url, "", "")) {
      insert(c, 1, "a", false);
      insert(c, 2, "b", true); // deleted: not read, but not a hole
      insert(c, 3, "c", false);
      insert(c, 5, "e", false); // 4 is in flight
    }
    JournalSource source = new JournalSource(testKit.system(), pool, blocking,
        new JournalSource.Settings(Duration.ofMillis(20), 2, Duration.ofMinutes(5), Duration.ofMinutes(5)), () -> 0L);
    SinkQueueWithCancel<EventEnvelope<JobEvent>> queue = source
        .source(() -> CompletableFuture.completedFuture(Optional.<Offset>empty()))
        .toCompletableFuture().get()
        .runWith(Sink.queue(), testKit.system());
    assertThat(List.of(next(queue), next(queue))).extracting(e -> ((JobEvent.Accepted) e.event()).id())
        .containsExactly("a", "c");
    CompletableFuture<Optional<EventEnvelope<JobEvent>>> held = queue.pull().toCompletableFuture();
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1)).until(() -> !held.isDone());
    try (Connection c = DriverManager.getConnection(url, "", "")) {
      insert(c, 4, "d", false);
    }
    EventEnvelope<JobEvent> d = held.get(5, java.util.concurrent.TimeUnit.SECONDS).orElseThrow();
    assertThat(d.offset()).isEqualTo(Offset.sequence(4));
    assertThat(d.persistenceId()).isEqualTo("anvil-job|d");
    assertThat(((JobEvent.Accepted) next(queue).event()).id()).isEqualTo("e");
    queue.cancel();
  }

  private static EventEnvelope<JobEvent> next(SinkQueueWithCancel<EventEnvelope<JobEvent>> queue) throws Exception {
    return queue.pull().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS).orElseThrow();
  }

  @Test
  void withNoStoredOffsetTheSourceStartsWhereItIsTold() throws Exception {
    String url = TestNodes.newJournal();
    JobJournal.prepare(new JobJournal.Connection(url, "", "", JobJournal.Dialect.H2), 10_000);
    JdbcDataSource pool = new JdbcDataSource();
    pool.setURL(url);
    try (Connection c = DriverManager.getConnection(url, "", "")) {
      for (int i = 1; i <= 4; i++) {
        insert(c, i, "j" + i, false);
      }
    }
    JournalSource source = new JournalSource(testKit.system(), pool, blocking,
        new JournalSource.Settings(Duration.ofMillis(20), 10, Duration.ofMinutes(5), Duration.ofMinutes(5)), () -> 2L);
    List<EventEnvelope<JobEvent>> read = source
        .source(() -> CompletableFuture.completedFuture(Optional.<Offset>empty()))
        .toCompletableFuture().get()
        .take(2)
        .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get();
    assertThat(read).extracting(e -> ((JobEvent.Accepted) e.event()).id()).containsExactly("j3", "j4");
    // a stored offset wins
    List<EventEnvelope<JobEvent>> fromStored = source
        .source(() -> CompletableFuture.completedFuture(Optional.of(Offset.sequence(3))))
        .toCompletableFuture().get()
        .take(1)
        .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get();
    assertThat(fromStored).extracting(e -> ((JobEvent.Accepted) e.event()).id()).containsExactly("j4");
  }

  @Test
  void aJournalThatTheTaggedProjectionsKeptGoesOnFromTheLowestOfTheirOffsets() throws Exception {
    String url = TestNodes.newJournal();
    JobJournal.prepare(new JobJournal.Connection(url, "", "", JobJournal.Dialect.H2), 10_000);
    JdbcDataSource pool = new JdbcDataSource();
    pool.setURL(url);
    JobIndex index = new JobIndex(testKit.system(), pool, JobJournal.Dialect.H2);
    JdbcProjection.createTablesIfNotExists(() -> new JobIndex.Session(pool), testKit.system())
        .toCompletableFuture().get();
    assertThat(index.taggedOffset()).isZero();
    try (Connection c = DriverManager.getConnection(url, "", "");
        PreparedStatement s = c.prepareStatement("INSERT INTO \"pekko_projection_offset_store\" (\"projection_name\","
            + " \"projection_key\", \"current_offset\", \"manifest\", \"mergeable\", \"last_updated\")"
            + " VALUES ('anvil-jobs', ?, ?, 'SEQ', false, 0)")) {
      long[] offsets = {812, 790, 815, 803};
      for (int tag = 0; tag < offsets.length; tag++) {
        s.setString(1, "job-" + tag);
        s.setString(2, Long.toString(offsets[tag]));
        s.executeUpdate();
      }
    }
    assertThat(index.taggedOffset()).isEqualTo(790);
  }

  private static void insert(Connection c, long ordering, String id, boolean deleted) throws Exception {
    Serialization serialization = SerializationExtension.get(testKit.system());
    JobEvent event = new JobEvent.Accepted(id, "primes", new byte[0], 1000, null, "h", "t", 1);
    try (PreparedStatement s = c.prepareStatement("INSERT INTO \"event_journal\" (\"ordering\", \"deleted\","
        + " \"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\","
        + " \"event_payload\", \"event_ser_id\", \"event_ser_manifest\") VALUES (?, ?, ?, 1, 'w', ?, '', ?, ?, ?)")) {
      s.setLong(1, ordering);
      s.setBoolean(2, deleted);
      s.setString(3, "anvil-job|" + id);
      s.setLong(4, System.currentTimeMillis());
      s.setBytes(5, serialization.serialize(event).get());
      s.setInt(6, serialization.findSerializerFor(event).identifier());
      s.setString(7, Serializers.manifestFor(serialization.findSerializerFor(event), event));
      s.executeUpdate();
    }
  }
}
