package dev.anvil.node;

import static org.apache.pekko.http.javadsl.server.Directives.concat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import dev.anvil.batch.BatchDispatcher;
import dev.anvil.batch.BatchRoutes;
import dev.anvil.batch.BatchRunner;
import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.local.LocalScheduler;
import dev.anvil.compute.local.NodeHealth;
import dev.anvil.compute.local.WorkerPool;
import dev.anvil.compute.protocol.PoolProtocol;
import dev.anvil.compute.routing.TaskRouter;
import dev.anvil.compute.task.NodeIds;
import dev.anvil.compute.task.TaskStats;
import dev.anvil.config.AnvilSettings;
import dev.anvil.http.ApiRoutes;
import dev.anvil.http.BearerAuth;
import dev.anvil.http.ClusterRoutes;
import dev.anvil.http.DashboardRoutes;
import dev.anvil.http.HealthRoutes;
import dev.anvil.http.HttpServer;
import dev.anvil.http.JsonResponses;
import dev.anvil.http.KindRoutes;
import dev.anvil.http.MetricsRoutes;
import dev.anvil.http.OpenApiRoutes;
import dev.anvil.http.SubmissionBody;
import dev.anvil.http.TaskEndpoint;
import dev.anvil.jobs.JobRoutes;
import dev.anvil.jobs.Jobs;
import dev.anvil.metrics.AnvilMetrics;
import dev.anvil.security.AccessControl;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires one node together: the worker pool, the task router, the HTTP API, joining the
 * cluster, and the graceful drain on shutdown. The user guardian of each node's ActorSystem.
 */
public final class NodeGuardian {
  private static final Logger log = LoggerFactory.getLogger(NodeGuardian.class);

  private NodeGuardian() {}

  /** What a started node tells whoever started it: where it serves, and its parts, for tests and tools. */
  public record Started(ServerBinding binding, String nodeId, int workers, LocalScheduler scheduler,
      ActorRef<PoolProtocol.PoolCommand> pool, ActorRef<PoolProtocol.RouterCommand> router, int managementPort) {}

  /** @param kinds the kinds this node runs, already checked (see {@link NodeKinds}) */
  public static Behavior<Void> create(AnvilSettings settings, NodeKinds kinds, CompletableFuture<Started> started) {
    return Behaviors.setup(ctx -> {
      ActorSystem<Void> system = ctx.getSystem();
      Cluster cluster = Cluster.get(system);
      Address self = cluster.selfMember().address();
      String nodeId = NodeIds.of(self);

      ObjectMapper mapper = JacksonObjectMapperProvider.get(system).getOrCreate(NodeKinds.JSON_BINDING, Optional.empty());
      TaskCatalog catalog = TaskCatalog.load(mapper, kinds.tasks());
      int workers = settings.compute().workers();
      LocalScheduler scheduler = new LocalScheduler(new LocalScheduler.Limits(settings.compute().queueCapacity(),
          1 + settings.compute().prefetchPerWorker(), settings.compute().spillAfter(),
          settings.compute().admissionWait(), settings.http().maxConnections()),
          AccessControl.get(system).quotas().policies()::weight);
      AnvilMetrics metrics = AnvilMetrics.get(system);
      metrics.bindScheduler(scheduler);
      metrics.bindTenants(scheduler::byTenant);
      TaskStats.get(system).meters(metrics); // before any task runs
      NodeHealth health = new NodeHealth();
      NodeChecks.State checks = NodeChecks.state(Adapter.toClassic(system));
      checks.health(health);
      health.onUnfit(reason -> {
        log.error("Anvil node {} is unfit to go on and restarts: {}", nodeId, reason);
        CoordinatedShutdown.get(system).runAll(NodeUnfit.INSTANCE);
      });
      ActorRef<PoolProtocol.PoolCommand> pool = ctx.spawn(
          WorkerPool.create(nodeId, workers, scheduler, catalog, new WorkerPool.Settings(
              settings.compute().threadNiceness(),
              system.settings().config().getBytes("pekko.remote.artery.advanced.maximum-large-frame-size"),
              settings.compute().stuckGrace(), settings.compute().maxStuckWorkers()), health),
          "pool");
      ActorRef<PoolProtocol.RouterCommand> router = ctx.spawn(TaskRouter.create(nodeId, scheduler, pool,
          settings.compute().routingSample()), "router");

      boolean bootstrap = !system.settings().config().getString("anvil.cluster.discovery").equals("seed-nodes");
      if (!bootstrap) {
        join(cluster, self, settings);
      }
      // The supervisor waits for this line before it takes the next node down in a rolling restart.
      org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> log.info(
          "Anvil node {} is Up in the cluster", nodeId));
      drainOnShutdown(system, pool, settings.compute().drainTimeout());
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "log-stopping", () -> {
        log.info("Anvil node {} is stopping ({})", nodeId,
            CoordinatedShutdown.get(system).getShutdownReason().map(Object::toString).orElse("asked to"));
        return CompletableFuture.completedFuture(Done.getInstance());
      });
      system.getWhenTerminated().thenRun(() -> log.info("Anvil node {} stopped", nodeId));

      ctx.spawn(dev.anvil.metrics.LoadHistory.create(nodeId, scheduler), "load-history");

      Config jobsConfig = system.settings().config().getConfig("anvil.jobs");
      JobRoutes.Settings jobSettings = new JobRoutes.Settings(jobsConfig.getDuration("default-timeout"),
          jobsConfig.getDuration("max-timeout"), jobsConfig.getBytes("max-input-bytes"),
          Jobs.Settings.fromConfig(jobsConfig, workers));
      Jobs jobStore = Jobs.start(ctx, nodeId, scheduler, catalog, jobSettings.jobs());

      JsonResponses json = new JsonResponses(mapper);
      BatchRoutes batches = startBatches(ctx, system, nodeId, scheduler, catalog, json, settings, metrics);
      BearerAuth auth = new BearerAuth(AccessControl.get(system), json, metrics);
      JobRoutes jobs = new JobRoutes(system, jobStore, catalog, json, auth, jobSettings, nodeId,
          settings.http().bodyReadTimeout());
      TaskEndpoint tasks = new TaskEndpoint(catalog, scheduler, system, json, auth, settings.http(),
          settings.compute(), nodeId, jobs::preferAsync);
      ApiRoutes api = new ApiRoutes(json, auth,
          concat(new HealthRoutes(system, router, json, nodeId, health, settings.http().askTimeout()).routes(),
              new OpenApiRoutes(mapper, catalog).routes(),
              new DashboardRoutes().routes()),
          new MetricsRoutes(metrics, json).routes(),
          new KindRoutes(catalog, json).routes(),
          tasks.routes(),
          jobs.routes(),
          batches.routes(),
          new ClusterRoutes(system, router, json, nodeId, supervisorStatus(system), settings.http()).routes());
      // The management port first: it is how a supervisor learns that this node is ready.
      PekkoManagement.get(Adapter.toClassic(system)).start()
          .exceptionally(error -> {
            throw new IllegalStateException("the management port " + settings.management().port() + " on "
                + settings.cluster().hostname() + " cannot be bound (" + rootMessage(error)
                + "); give another with ANVIL_MANAGEMENT_PORT or --management-port", error);
          })
          .thenApply(management -> {
            if (bootstrap) {
              // finds the others' management endpoints through discovery, then forms or joins
              ClusterBootstrap.get(Adapter.toClassic(system)).start();
            }
            return management;
          })
          .thenCompose(management -> HttpServer.bind(system, settings.http(), api.routes(), tasks)
              .thenApply(binding -> {
                checks.serving(true);
                return new Started(binding, nodeId, workers, scheduler, pool, router, management.port());
              }))
          .whenComplete((s, error) -> {
            if (error != null) {
              started.completeExceptionally(error);
            } else {
              started.complete(s);
            }
          });
      return Behaviors.empty();
    });
  }

  /** Every node runs batch items ({@code /user/batch-runner}) and reads batches ({@code /user/batch-dispatcher}). */
  private static BatchRoutes startBatches(ActorContext<Void> ctx, ActorSystem<Void> system, String nodeId,
      LocalScheduler scheduler, TaskCatalog catalog, JsonResponses json, AnvilSettings settings, AnvilMetrics metrics) {
    Config batch = system.settings().config().getConfig("anvil.batch");
    ctx.spawn(BatchRunner.create(scheduler, catalog, nodeId), "batch-runner");
    BatchDispatcher.Handle dispatcher = BatchDispatcher.start(ctx, nodeId, new BatchDispatcher.Settings(
        batch.getInt("items-per-worker"), batch.getDuration("answer-grace")));
    return new BatchRoutes(system, catalog, dispatcher, json,
        new SubmissionBody(system, json, catalog, settings.http().bodyReadTimeout(), nodeId), settings.compute(),
        settings.http().bodyReadTimeout(),
        new BatchRoutes.Settings(batch.getInt("group-size"), batch.getBytes("group-bytes"),
            Math.toIntExact(batch.getBytes("max-line-bytes")), batch.getInt("max-groups-in-flight"),
            batch.getDuration("group-within"), batch.getInt("stream-niceness")),
        metrics, nodeId);
  }

  private static java.nio.file.Path supervisorStatus(ActorSystem<Void> system) {
    String file = system.settings().config().getString("anvil.launcher.status-file");
    return file.isBlank() ? null : java.nio.file.Path.of(file);
  }

  private static String rootMessage(Throwable e) {
    while (e.getCause() != null) {
      e = e.getCause();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static void join(Cluster cluster, Address self, AnvilSettings settings) {
    if (settings.cluster().seedNodes().isEmpty()) {
      cluster.manager().tell(Join.create(self));
    } else {
      cluster.manager().tell(new JoinSeedNodes(settings.cluster().seedNodes().stream()
          .map(seed -> new Address(self.protocol(), self.system(), seed.host(), seed.port()))
          .toList()));
    }
  }

  /**
   * Before HTTP unbinds, the pool stops taking tasks (routers send new ones elsewhere) and the
   * tasks it already has run to the end; those left at the drain timeout are cancelled.
   */
  private static void drainOnShutdown(ActorSystem<Void> system, ActorRef<PoolProtocol.PoolCommand> pool,
      Duration timeout) {
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "drain-worker-pool",
        () -> AskPattern.<PoolProtocol.PoolCommand, WorkerPool.Drained>ask(pool,
                replyTo -> new WorkerPool.Drain(timeout, replyTo), timeout.plusSeconds(5), system.scheduler())
            .handle((drained, error) -> Done.getInstance()));
  }
}
