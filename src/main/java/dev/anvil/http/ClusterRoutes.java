package dev.anvil.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.compute.local.WorkerPool;
import dev.anvil.compute.protocol.PoolProtocol;
import dev.anvil.compute.routing.TaskRouter;
import dev.anvil.compute.task.NodeIds;
import dev.anvil.compute.task.TaskStats;
import dev.anvil.config.HttpSettings;
import dev.anvil.security.Caller;
import dev.anvil.metrics.LoadHistory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;

/**
 * {@code GET /v1/cluster}: every member, its status and roles, and the load its pool last reported;
 * {@code GET /v1/cluster/events}: the same with each node's task statistics, as server-sent events
 * once a second (what the dashboard shows); {@code GET /v1/cluster/history}: every node's last
 * five minutes, a sample a second (what the dashboard draws first).
 */
public final class ClusterRoutes extends AllDirectives {

  private static final Duration SNAPSHOT_INTERVAL = Duration.ofSeconds(1);
  /** Each open stream asks every node once a second: a bound, so clients cannot make that cost grow without end. */
  private static final int MAX_STREAMS = 32;
  private static final int MAX_FAILURES = 20;

  /**
   * One snapshot of the cluster for the dashboard.
   *
   * @param failures the latest failed tasks of the whole cluster, newest first
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Snapshot(long time, String self, List<MemberSnapshot> members,
      List<TaskStats.RecentFailure> failures, JsonNode supervisor) {}

  /**
   * @param load and @param stats absent when the node did not answer in time
   * @param tenants running and waiting tasks by tenant: every tenant's for an admin, else the caller's own
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record MemberSnapshot(String node, String status, Set<String> roles, boolean reachable, Load load,
      NodeStats stats, Map<String, PoolProtocol.TenantLoad> tenants) {}

  /**
   * @param computeP50Ms of the tasks run on the node in the last minute; null when none ran
   * @param tasks tasks the node answered to its clients, by outcome
   * @param batches batches the node reads now
   * @param batchItems items of the node's batches answered since it started
   */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record NodeStats(Double computeP50Ms, Double computeP99Ms, Map<String, Long> tasks, int batches,
      long batchItems) {}

  /** @param supervisor the slots of the `start` this node belongs to, when it runs under one */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ClusterResponse(String self, List<MemberInfo> members, JsonNode supervisor) {}

  /** @param tenants as in {@link MemberSnapshot}; absent when the node did not answer in time */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record MemberInfo(String node, String status, Set<String> roles, boolean reachable, Load load,
      Map<String, PoolProtocol.TenantLoad> tenants) {}

  /** @param stuck worker threads replaced because their task ignores cancellation, still running it */
  public record Load(int workers, int running, int queued, long completed, int stuck) {}

  private final ActorSystem<?> system;
  private final ActorRef<PoolProtocol.RouterCommand> router;
  private final JsonResponses json;
  private final String node;
  private final Path supervisorStatus;
  private final AtomicInteger streams = new AtomicInteger();
  private final Duration askTimeout;
  private final Duration peerQueryTimeout;

  /**
   * @param supervisorStatus the status file of the supervisor that started this node, or null
   * @param http where the routes' waits come from: for this node's router ({@code ask-timeout}) and
   *     for the other nodes' answers ({@code peer-query-timeout})
   */
  public ClusterRoutes(ActorSystem<?> system, ActorRef<PoolProtocol.RouterCommand> router, JsonResponses json, String node,
      Path supervisorStatus, HttpSettings http) {
    this.system = system;
    this.askTimeout = http.askTimeout();
    this.peerQueryTimeout = http.peerQueryTimeout();
    this.supervisorStatus = supervisorStatus;
    this.router = router;
    this.json = json;
    this.node = node;
  }

  public Route routes() {
    return concat(Endpoint.CLUSTER_EVENTS.route(() -> get(() -> extractRequest(r -> events(Caller.of(r))))),
        Endpoint.CLUSTER_HISTORY.route(() -> get(() -> completeWithFuture(
            history().thenApplyAsync(json::ok, Runnable::run)))),
        Endpoint.CLUSTER.route(() -> get(() -> extractRequest(r -> completeWithFuture(cluster(Caller.of(r)))))));
  }

  private CompletionStage<HttpResponse> cluster(Caller caller) {
    CompletableFuture<Map<String, Map<String, PoolProtocol.TenantLoad>>> tenants = askEvery(WorkerPool.KEY,
        PoolProtocol.QueryStats::new).toCompletableFuture().thenApplyAsync(answers -> {
          Map<String, Map<String, PoolProtocol.TenantLoad>> byNode = new HashMap<>();
          answers.forEach(s -> byNode.put(s.node(), visible(s.tenants(), caller)));
          return byNode;
        }, Runnable::run);
    return AskPattern.<PoolProtocol.RouterCommand, TaskRouter.View>ask(router, TaskRouter.GetView::new, askTimeout,
            system.scheduler())
        .toCompletableFuture()
        .thenComposeAsync(this::withTheOthers, Runnable::run)
        .thenCombine(tenants.exceptionally(error -> Map.of()), (loads, byNode) -> describe(loads, byNode))
        .handleAsync((described, error) -> described != null ? json.ok(described)
            : json.problem(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", "the task router did not answer"),
            Runnable::run);
  }

  /** A tenant sees its own load only; an admin every tenant's. */
  private static Map<String, PoolProtocol.TenantLoad> visible(Map<String, PoolProtocol.TenantLoad> tenants,
      Caller caller) {
    if (tenants == null) {
      return null;
    }
    if (caller.admin()) {
      return tenants;
    }
    PoolProtocol.TenantLoad own = tenants.get(caller.tenant());
    return own == null ? Map.of() : Map.of(caller.tenant(), own);
  }

  private Route events(Caller caller) {
    if (streams.incrementAndGet() > MAX_STREAMS) {
      streams.decrementAndGet();
      return complete(json.problem(StatusCodes.SERVICE_UNAVAILABLE, "too-many-streams", "this node serves "
          + MAX_STREAMS + " event streams already; close one or ask another node"));
    }
    Source<ServerSentEvent, NotUsed> events = Source.tick(Duration.ZERO, SNAPSHOT_INTERVAL, NotUsed.getInstance())
        .mapAsync(1, tick -> snapshot(caller))
        .map(snapshot -> ServerSentEvent.create(json.mapper().writeValueAsString(snapshot), "snapshot"))
        .watchTermination((notUsed, done) -> {
          done.whenComplete((d, error) -> streams.decrementAndGet());
          return NotUsed.getInstance();
        })
        .mapMaterializedValue(cancellable -> NotUsed.getInstance());
    return completeOK(events, EventStreamMarshalling.toEventStream());
  }

  /**
   * The last minutes of every node, each as its node keeps them ({@link LoadHistory}): what the
   * dashboard draws first, before the live stream's snapshots. A node that does not answer within
   * a second is left out.
   *
   * @param nodes by node, oldest sample first
   */
  public record HistoryResponse(String self, int intervalMs, List<LoadHistory.History> nodes) {}

  private CompletionStage<HistoryResponse> history() {
    return askEvery(LoadHistory.KEY, LoadHistory.Query::new).thenApplyAsync(nodes -> {
      List<LoadHistory.History> sorted = new ArrayList<>(nodes);
      sorted.sort(java.util.Comparator.comparing(LoadHistory.History::node));
      return new HistoryResponse(node, (int) LoadHistory.INTERVAL.toMillis(), sorted);
    }, Runnable::run);
  }

  /** Every actor registered under {@code key} in the cluster, asked with {@code query}: see {@link #askAll}. */
  private <C, R> CompletionStage<List<R>> askEvery(ServiceKey<C> key,
      org.apache.pekko.japi.function.Function<ActorRef<R>, C> query) {
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            replyTo -> Receptionist.find(key, replyTo), peerQueryTimeout, system.scheduler())
        .thenComposeAsync(listing -> askAll(listing.getServiceInstances(key), query), Runnable::run);
  }

  /**
   * {@code actors} asked with {@code query} at once: the answers that came within {@link #peerQueryTimeout},
   * in no order (one that does not answer is left out).
   */
  private <C, R> CompletableFuture<List<R>> askAll(java.util.Collection<ActorRef<C>> actors,
      org.apache.pekko.japi.function.Function<ActorRef<R>, C> query) {
    List<R> answers = java.util.Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<?>[] asked = actors.stream()
        .map(each -> AskPattern.<C, R>ask(each, query, peerQueryTimeout, system.scheduler())
            .toCompletableFuture()
            .handleAsync((answer, error) -> answer != null && answers.add(answer), Runnable::run))
        .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(asked).thenApplyAsync(done -> List.copyOf(answers), Runnable::run);
  }

  /** Every pool of the cluster asked for its load and statistics; a node that does not answer in time shows without. */
  private CompletionStage<Snapshot> snapshot(Caller caller) {
    return askEvery(WorkerPool.KEY, PoolProtocol.QueryStats::new).thenApplyAsync(answers -> {
      Map<String, PoolProtocol.PoolStats> stats = new HashMap<>();
      answers.forEach(s -> stats.put(s.node(), s));
      return snapshotOf(stats, caller);
    }, Runnable::run);
  }

  private Snapshot snapshotOf(Map<String, PoolProtocol.PoolStats> stats, Caller caller) {
    Cluster cluster = Cluster.get(system);
    Set<Member> unreachable = cluster.state().getUnreachable();
    List<MemberSnapshot> members = new ArrayList<>();
    List<TaskStats.RecentFailure> failures = new ArrayList<>();
    for (Member member : cluster.state().getMembers()) {
      String id = NodeIds.of(member.address());
      PoolProtocol.PoolStats s = stats.get(id);
      members.add(new MemberSnapshot(id, member.status().toString(), new TreeSet<>(member.getRoles()),
          !unreachable.contains(member),
          s == null ? null : new Load(s.workers(), s.running(), s.queued(), s.completed(), s.stuck()),
          s == null ? null : new NodeStats(s.computeP50Ms(), s.computeP99Ms(), s.tasks(), s.batchesRunning(),
              s.batchItems()),
          s == null ? null : visible(s.tenants(), caller)));
      if (s != null) {
        s.failures().stream().filter(f -> caller.sees(f.tenant())).forEach(failures::add);
      }
    }
    failures.sort(java.util.Comparator.comparingLong(TaskStats.RecentFailure::time).reversed());
    return new Snapshot(System.currentTimeMillis(), node, members,
        failures.subList(0, Math.min(MAX_FAILURES, failures.size())), supervisor());
  }

  /**
   * The loads the router follows, and those of the other pools asked now (the router follows only
   * a few, so that routing costs the same in any size of cluster; this view is asked for rarely).
   * A pool that does not answer within a second shows without a load.
   */
  private CompletableFuture<Map<String, TaskRouter.PoolView>> withTheOthers(TaskRouter.View view) {
    return askAll(view.withoutLoad(), PoolProtocol.QueryLoad::new).thenApplyAsync(answers -> {
      Map<String, TaskRouter.PoolView> loads = new HashMap<>();
      for (TaskRouter.PoolView pool : view.pools()) {
        loads.put(pool.node(), pool);
      }
      answers.forEach(load -> loads.put(load.node(), TaskRouter.PoolView.of(load, true)));
      return loads;
    }, Runnable::run);
  }

  private ClusterResponse describe(Map<String, TaskRouter.PoolView> loads,
      Map<String, Map<String, PoolProtocol.TenantLoad>> tenants) {
    Cluster cluster = Cluster.get(system);
    Set<Member> unreachable = cluster.state().getUnreachable();
    List<MemberInfo> members = new ArrayList<>();
    for (Member member : cluster.state().getMembers()) {
      String id = NodeIds.of(member.address());
      TaskRouter.PoolView load = loads.get(id);
      members.add(new MemberInfo(id, member.status().toString(), new TreeSet<>(member.getRoles()),
          !unreachable.contains(member),
          load == null ? null : new Load(load.workers(), load.running(), load.queued(), load.completed(),
              load.stuck()),
          tenants.get(id)));
    }
    return new ClusterResponse(node, members, supervisor());
  }

  /** What the supervisor last wrote of its slots (a node given up is not a member, but shows here). */
  private JsonNode supervisor() {
    if (supervisorStatus == null) {
      return null;
    }
    try {
      return json.mapper().readTree(Files.readString(supervisorStatus));
    } catch (IOException | RuntimeException e) {
      return null; // between two writes, or the supervisor is gone
    }
  }
}
