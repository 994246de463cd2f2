package dev.anvil.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.anvil.compute.NodeIds;
import dev.anvil.compute.TaskRouter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import dev.anvil.compute.PoolProtocol;
import dev.anvil.compute.WorkerPool;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code GET /v1/cluster}: every member, its status and roles, and the load its pool last reported. */
public final class ClusterRoutes extends AllDirectives {

  private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(1);

  /** @param supervisor the slots of the `start` this node belongs to, when it runs under one */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ClusterResponse(String self, List<MemberInfo> members, JsonNode supervisor) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record MemberInfo(String node, String status, Set<String> roles, boolean reachable, Load load) {}

  /** @param stuck worker threads replaced because their task ignores cancellation, still running it */
  public record Load(int workers, int running, int queued, long completed, int stuck) {}

  private final ActorSystem<?> system;
  private final ActorRef<TaskRouter.Command> router;
  private final JsonResponses json;
  private final String node;
  private final Path supervisorStatus;

  /** @param supervisorStatus the status file of the supervisor that started this node, or null */
  public ClusterRoutes(ActorSystem<?> system, ActorRef<TaskRouter.Command> router, JsonResponses json, String node,
      Path supervisorStatus) {
    this.system = system;
    this.supervisorStatus = supervisorStatus;
    this.router = router;
    this.json = json;
    this.node = node;
  }

  public Route routes() {
    return path(PathMatchers.segment("v1").slash("cluster"), () -> get(() -> completeWithFuture(
        AskPattern.<TaskRouter.Command, TaskRouter.View>ask(router, TaskRouter.GetView::new, Duration.ofSeconds(3),
                system.scheduler())
            .toCompletableFuture()
            .thenComposeAsync(this::withTheOthers, Runnable::run)
            .handleAsync((loads, error) -> loads != null ? json.ok(describe(loads))
                : json.problem(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", "the task router did not answer"),
                Runnable::run))));
  }

  /**
   * The loads the router follows, and those of the other pools asked now (the router follows only
   * a few, so that routing costs the same in any size of cluster; this view is asked for rarely).
   * A pool that does not answer within a second shows without a load.
   */
  private CompletableFuture<Map<String, TaskRouter.PoolView>> withTheOthers(TaskRouter.View view) {
    Map<String, TaskRouter.PoolView> loads = new ConcurrentHashMap<>();
    for (TaskRouter.PoolView pool : view.pools()) {
      loads.put(pool.node(), pool);
    }
    CompletableFuture<?>[] asked = view.withoutLoad().stream()
        .map(pool -> AskPattern.<WorkerPool.Command, PoolProtocol.PoolLoad>ask(pool, PoolProtocol.QueryLoad::new,
                QUERY_TIMEOUT, system.scheduler())
            .toCompletableFuture()
            .handleAsync((load, error) -> load == null ? null : loads.put(load.node(),
                TaskRouter.PoolView.of(load, true)), Runnable::run))
        .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(asked).thenApplyAsync(done -> loads, Runnable::run);
  }

  private ClusterResponse describe(Map<String, TaskRouter.PoolView> loads) {
    Cluster cluster = Cluster.get(system);
    Set<Member> unreachable = cluster.state().getUnreachable();
    List<MemberInfo> members = new ArrayList<>();
    for (Member member : cluster.state().getMembers()) {
      String id = NodeIds.of(member.address());
      TaskRouter.PoolView load = loads.get(id);
      members.add(new MemberInfo(id, member.status().toString(), new TreeSet<>(member.getRoles()),
          !unreachable.contains(member),
          load == null ? null : new Load(load.workers(), load.running(), load.queued(), load.completed(),
              load.stuck())));
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
