package dev.anvil.http;

import dev.anvil.compute.local.NodeHealth;
import dev.anvil.compute.protocol.PoolProtocol;
import dev.anvil.compute.routing.TaskRouter;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /health} (the process answers; never touches compute) and {@code GET /ready}
 * (this node is Up in the cluster, not leaving, and some worker in the cluster can take tasks).
 */
public final class HealthRoutes extends AllDirectives {

  public record Health(String status, String node, int members) {}

  private final ActorSystem<?> system;
  private final Cluster cluster;
  private final ActorRef<PoolProtocol.RouterCommand> router;
  private final JsonResponses json;
  private final String node;
  private final NodeHealth health;
  private final Duration askTimeout;

  public HealthRoutes(ActorSystem<?> system, ActorRef<PoolProtocol.RouterCommand> router, JsonResponses json, String node,
      NodeHealth health, Duration askTimeout) {
    this.system = system;
    this.askTimeout = askTimeout;
    this.health = health;
    this.cluster = Cluster.get(system);
    this.router = router;
    this.json = json;
    this.node = node;
  }

  public Route routes() {
    return concat(
        Endpoint.HEALTH.route(() -> get(() -> complete(health()))),
        Endpoint.READY.route(() -> get(() -> completeWithFuture(ready()))));
  }

  private int upMembers() {
    return (int) StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up())
        .count();
  }

  /** UP while the process can serve; a node whose JVM is unfit says so at once, before it stops. */
  private HttpResponse health() {
    return health.unfitReason()
        .map(reason -> json.problem(StatusCodes.SERVICE_UNAVAILABLE, "node-unfit", "the node is restarting: " + reason))
        .orElseGet(() -> json.ok(new Health("UP", node, upMembers())));
  }

  private CompletionStage<HttpResponse> ready() {
    if (health.unfitReason().isPresent()) {
      return done(notReady("the node is restarting: " + health.unfitReason().get()));
    }
    if (CoordinatedShutdown.get(system).getShutdownReason().isPresent()) {
      return done(notReady("the node is shutting down"));
    }
    if (cluster.selfMember().status() != MemberStatus.up()) {
      return done(notReady("the node is " + cluster.selfMember().status() + " in the cluster, not Up"));
    }
    return AskPattern.<PoolProtocol.RouterCommand, TaskRouter.View>ask(router, TaskRouter.GetView::new, askTimeout,
            system.scheduler())
        // a future from Scala: its plain handle() would run on a new thread where the common pool
        // has one core (every node JVM of start), so continue on the thread that completes it
        .handleAsync((view, error) -> {
          if (view == null) {
            return notReady("the task router did not answer");
          }
          boolean canWork = view.pools().stream().anyMatch(p -> p.reachable() && p.accepting() && p.workers() > 0);
          return canWork ? json.ok(new Health("READY", node, upMembers()))
              : notReady("no node of the cluster has a worker that takes tasks");
        }, Runnable::run);
  }

  private HttpResponse notReady(String detail) {
    return json.problem(StatusCodes.SERVICE_UNAVAILABLE, "not-ready", detail);
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return java.util.concurrent.CompletableFuture.completedFuture(response);
  }
}
