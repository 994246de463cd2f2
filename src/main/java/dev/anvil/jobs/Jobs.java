package dev.anvil.jobs;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariDataSource;
import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.local.TaskIntake;
import dev.anvil.jobs.JobRecord.Status;
import dev.anvil.metrics.AnvilMetrics;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's door to the jobs: the sharded job entities, this node's runner, the listing's
 * projection and the keeper. What {@link JobRoutes} calls.
 */
public final class Jobs {
  private static final Logger log = LoggerFactory.getLogger(Jobs.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration LISTING_RETRY_FIRST = Duration.ofMillis(250);
  private static final Duration LISTING_RETRY_MAX = Duration.ofSeconds(30);

  /** {@code anvil.jobs}, what the store needs of it. */
  public record Settings(Duration resultTtl, long maxResultBytes, long inlineBytes, int concurrency,
      Duration askTimeout, Duration resumeInterval, Duration sweepInterval) {

    public static Settings fromConfig(Config jobs, int workers) {
      return new Settings(jobs.getDuration("result-ttl"), jobs.getBytes("max-result-bytes"),
          jobs.getBytes("inline-bytes"), Math.max(1, workers) * jobs.getInt("concurrency-per-worker"),
          jobs.getDuration("ask-timeout"), jobs.getDuration("resume-interval"), jobs.getDuration("sweep-interval"));
    }
  }

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Cluster cluster;
  private final JobIndex index;
  private final JobPayloads payloads;
  private final Settings settings;
  private final String role;
  private final AtomicReference<String> lastRefusal = new AtomicReference<>();

  private Jobs(ActorSystem<?> system, JobIndex index, JobPayloads payloads, Settings settings, String role) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.cluster = Cluster.get(system);
    this.index = index;
    this.payloads = payloads;
    this.settings = settings;
    this.role = role;
  }

  /** Starts this node's part of the jobs: its runner, its shard region, its share of the projection. */
  public static Jobs start(ActorContext<?> ctx, String nodeId, TaskIntake scheduler, TaskCatalog catalog,
      Settings settings) {
    ActorSystem<?> system = ctx.getSystem();
    Config config = system.settings().config();
    JobJournal.Connection connection = JobJournal.connection(config);
    String role = config.getStringList("pekko.cluster.roles").stream()
        .filter(r -> r.startsWith(JobJournal.ROLE_PREFIX)).findFirst()
        .orElseThrow(() -> new IllegalStateException("the node has no journal role: start it with RunningNode"));
    HikariDataSource pool = JobJournal.pool(connection, "anvil-jobs-" + nodeId, 4);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-job-pool",
        () -> {
          pool.close();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    JobIndex index = new JobIndex(system, pool, connection.dialect());
    JobPayloads payloads = new JobPayloads(pool, index.blocking(), connection.dialect());

    AtomicIntegerArray byStatus = new AtomicIntegerArray(Status.values().length);
    AnvilMetrics.get(system).bindJobs(Status.class, s -> byStatus.get(s.ordinal()));
    ActorRef<JobRunner.Command> runner = ctx.spawn(JobRunner.create(nodeId, scheduler, catalog,
        new JobRunner.Settings(settings.maxResultBytes(), settings.inlineBytes(), settings.concurrency()), payloads,
        byStatus), "job-runner");
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "jobs-held", () -> {
      runner.tell(JobRunner.Stopping.INSTANCE);
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    ClusterSharding.get(system).init(Entity.of(JobEntity.KEY,
            entity -> JobEntity.create(entity, runner, config.getDuration("anvil.jobs.record-started-after")))
        .withRole(role));

    // Every node inits the same daemon processes, whatever happens: a node that leaves one out
    // and is the oldest never starts its coordinator, and then no node runs it.
    ShardedDaemonProcess.get(system).init(JobKeeper.Command.class, "anvil-jobs-keeper", 1,
        i -> JobKeeper.create(index, settings.resumeInterval(), settings.sweepInterval(), settings.resultTtl()),
        ShardedDaemonProcessSettings.create(system).withRole(role), Optional.empty());
    startListing(system, pool, index, JournalSource.Settings.fromConfig(config.getConfig("anvil.jobs.listing")), role,
        LISTING_RETRY_FIRST);
    return new Jobs(system, index, payloads, settings, role);
  }

  /**
   * Creates the projection's offset tables, then inits the listing's daemon processes. A failure
   * (nodes that start together race to create the tables, and PostgreSQL fails all but one; or
   * the database is down) is tried again, waiting twice as long each time up to 30 s.
   */
  private static void startListing(ActorSystem<?> system, HikariDataSource pool, JobIndex index,
      JournalSource.Settings listing, String role, Duration retryIn) {
    JdbcProjection.createTablesIfNotExists(() -> new JobIndex.Session(pool), system)
        .whenComplete((done, error) -> {
          if (error == null) {
            ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, "anvil-jobs-journal-listing",
                1, i -> ProjectionBehavior.create(index.projection(listing)),
                ShardedDaemonProcessSettings.create(system).withRole(role),
                Optional.of(ProjectionBehavior.stopMessage()));
            return;
          }
          if (system.getWhenTerminated().toCompletableFuture().isDone()) {
            return;
          }
          log.warn("Jobs: the listing's offset tables could not be created ({}); trying again in {} ms",
              String.valueOf(error.getMessage()).lines().findFirst().orElse(""), retryIn.toMillis());
          Duration doubled = retryIn.multipliedBy(2);
          Duration next = doubled.compareTo(LISTING_RETRY_MAX) > 0 ? LISTING_RETRY_MAX : doubled;
          system.scheduler().scheduleOnce(retryIn, () -> startListing(system, pool, index, listing, role, next),
              system.executionContext());
        });
  }

  public Settings settings() {
    return settings;
  }

  /**
   * Why this node refuses jobs now, if it does: a member of the cluster keeps its jobs in another
   * journal (entities of the same job would diverge). Logged once per cause.
   */
  public Optional<String> refusal() {
    for (Member m : cluster.state().getMembers()) {
      if ((m.status() == MemberStatus.up() || m.status() == MemberStatus.leaving()) && !m.hasRole(role)) {
        String reason = "node " + dev.anvil.compute.task.NodeIds.of(m.address()) + " keeps its jobs in another journal than this node (" + role + "); give every node the same"
            + " anvil.jobs.journal.url (ANVIL_JOURNAL_URL), or start them together with `start`";
        if (!reason.equals(lastRefusal.getAndSet(reason))) {
          log.error("Jobs refused: {}", reason);
        }
        return Optional.of(reason);
      }
    }
    lastRefusal.set(null);
    return Optional.empty();
  }

  /**
   * A new job's id; with an idempotency key, the key's own id within its tenant, so the key finds
   * its job after any restart and two tenants' equal keys name two jobs. Tenant {@code default}'s
   * ids are those of the keys before tenants, so its keys still find the jobs stored then.
   */
  static String newId(String tenant, String idempotencyKey) {
    if (idempotencyKey == null) {
      byte[] bytes = new byte[12];
      RANDOM.nextBytes(bytes);
      return HexFormat.of().formatHex(bytes);
    }
    try {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      String scoped = dev.anvil.security.Caller.DEFAULT_TENANT.equals(tenant) ? idempotencyKey
          : tenant + "\0" + idempotencyKey;
      byte[] digest = sha.digest(("idempotency-key\0" + scoped).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 12);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether {@code id} could be a job's: anything else is 404 without a look. */
  static boolean isId(String id) {
    return id.length() == 24 && id.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }

  /** Asks the job's entity to store it; a large input is stored beside it first, and the entity gets none. */
  CompletionStage<JobEntity.SubmitReply> submit(String tenant, String kind, byte[] input, long timeoutMs, String key,
      String hash) {
    String id = newId(tenant, key);
    boolean inline = input.length <= settings.inlineBytes();
    CompletionStage<Void> stored = inline ? CompletableFuture.completedFuture(null)
        : payloads.put(id, JobPayloads.input(hash), input);
    return stored.thenCompose(done -> sharding.entityRefFor(JobEntity.KEY, id).<JobEntity.SubmitReply>ask(
            replyTo -> new JobEntity.Submit(kind, inline ? input : null, timeoutMs, key, hash, tenant, deadline(),
                replyTo),
            settings.askTimeout()))
        .thenCompose(reply -> reply instanceof JobEntity.Accepted a && a.existing() // a key's job may have ended
            ? payloads.withResult(a.record()).thenApply(r -> (JobEntity.SubmitReply) new JobEntity.Accepted(r, true))
            : CompletableFuture.completedFuture(reply));
  }

  /** The job, with its result even when that is kept beside it rather than in its entity. */
  CompletionStage<JobEntity.Found> get(String id) {
    return sharding.entityRefFor(JobEntity.KEY, id).ask(JobEntity.Get::new, settings.askTimeout())
        .thenCompose(found -> payloads.withResult(found.record())).thenApply(JobEntity.Found::new);
  }

  /** The record with its result, when its entity told it without one because it is kept beside it. */
  CompletionStage<JobRecord> withResult(JobRecord record) {
    return payloads.withResult(record);
  }

  /** @param tenant who asks, and must own the job; null: an admin, who may cancel any */
  CompletionStage<JobEntity.Found> cancel(String id, String tenant) {
    return sharding.entityRefFor(JobEntity.KEY, id).ask(replyTo -> new JobEntity.Cancel(tenant, deadline(), replyTo),
        settings.askTimeout());
  }

  /**
   * When an entity must no longer act on a command asked now: a little before the ask times out,
   * so that a write it starts by then most likely ends before the client is told 503.
   */
  private long deadline() {
    long timeout = settings.askTimeout().toMillis();
    return System.currentTimeMillis() + timeout - Math.min(1_000, timeout / 5);
  }

  void watch(String id, ActorRef<JobRecord> subscriber) {
    sharding.entityRefFor(JobEntity.KEY, id).tell(new JobEntity.Watch(subscriber));
  }

  CompletionStage<JobRecord> awaitFinal(String id, Duration wait) {
    return sharding.entityRefFor(JobEntity.KEY, id).ask(JobEntity.AwaitFinal::new, wait)
        .thenCompose(payloads::withResult);
  }

  /** @param tenant only this tenant's jobs; null: every tenant's (an admin's listing) */
  CompletionStage<JobIndex.Page> list(String tenant, Status status, String kind, int limit, JobIndex.Cursor after) {
    return index.list(tenant, status, kind, limit, after);
  }

  /**
   * How many jobs {@code tenant} has stored, for its max-jobs: counted in the listing's table at
   * most once a second per tenant, plus the jobs this node accepted since (the table learns of a
   * job a moment after its entity does). Approximate by that moment, and by other nodes' jobs of
   * the last second.
   */
  CompletionStage<Long> stored(String tenant) {
    StoredCount count = storedCounts.computeIfAbsent(tenant, t -> new StoredCount());
    long now = System.nanoTime();
    synchronized (count) {
      if (count.counted != null && now - count.atNanos < 1_000_000_000L) {
        long since = count.acceptedSince;
        return count.counted.thenApply(n -> n + since);
      }
      count.atNanos = now;
      count.acceptedSince = 0;
      count.counted = index.count(tenant).toCompletableFuture();
      count.counted.exceptionally(error -> {
        synchronized (count) {
          count.counted = null; // the next submission counts again
        }
        return null;
      });
      return count.counted;
    }
  }

  /** A job of {@code tenant} was accepted here: counted until the next count of the table. */
  void acceptedHere(String tenant) {
    StoredCount count = storedCounts.get(tenant);
    if (count != null) {
      synchronized (count) {
        count.acceptedSince++;
      }
    }
  }

  private static final class StoredCount {
    CompletableFuture<Long> counted;
    long atNanos;
    long acceptedSince;
  }

  private final java.util.Map<String, StoredCount> storedCounts = new java.util.concurrent.ConcurrentHashMap<>();

  ActorSystem<?> system() {
    return system;
  }
}
