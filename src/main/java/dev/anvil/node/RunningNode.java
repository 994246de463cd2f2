package dev.anvil.node;

import com.typesafe.config.Config;
import dev.anvil.compute.local.LocalScheduler;
import dev.anvil.compute.protocol.PoolProtocol;
import dev.anvil.config.AnvilSettings;
import dev.anvil.config.ExposurePolicy;
import dev.anvil.jobs.JobJournal;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One started node: its ActorSystem and where it serves. For {@code Main} and for tests. */
public final class RunningNode implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RunningNode.class);
  public static final String SYSTEM_NAME = "anvil";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final ActorSystem<Void> system;
  private final NodeGuardian.Started started;

  private RunningNode(ActorSystem<Void> system, NodeGuardian.Started started) {
    this.system = system;
    this.started = started;
  }

  /**
   * Starts a node and waits until its HTTP port is bound; a node that cannot bind is stopped.
   *
   * @throws dev.anvil.compute.catalog.BadKind when a kind cannot be loaded or run, before anything starts
   */
  public static RunningNode start(Config nodeConfig) {
    Config config = nodeConfig;
    AnvilSettings settings = AnvilSettings.fromConfig(config);
    PortOwnership.conflict(settings.http(), settings.cluster()).ifPresent(conflict -> {
      throw new IllegalStateException(conflict);
    });
    String warning = ExposurePolicy.check(settings.http());
    if (warning != null) {
      log.warn(warning);
    }
    // before the ActorSystem: a bad kind is one line, with no port bound and no cluster joined
    NodeKinds kinds = NodeKinds.load(config);
    // and the jobs' database: reachable, its schema made, its journal named in this node's roles
    try {
      JobJournal.Connection journal = JobJournal.connection(config);
      String journalId = JobJournal.prepare(journal,
          config.getDuration("anvil.jobs.journal.connect-timeout").toMillis());
      config = JobJournal.configure(config, journal, journalId);
    } catch (RuntimeException e) {
      kinds.close();
      throw e;
    }
    CompletableFuture<NodeGuardian.Started> started = new CompletableFuture<>();
    // Pekko's threads, the workers' among them, get the folder's loader as their context class
    // loader, so a kind's libraries that look classes up through it find the kind's own.
    ActorSystem<Void> system = ActorSystem.create(NodeGuardian.create(settings, kinds, started), SYSTEM_NAME,
        BootstrapSetup.create(kinds.folderLoader(), Optional.of(config), Optional.empty()));
    try {
      NodeGuardian.Started s = started.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      log.info("Anvil node {} serving {}://{}:{} with {} workers, management on port {} (JVM up {} ms)",
          s.nodeId(), settings.http().scheme(), settings.http().host(), s.binding().localAddress().getPort(),
          s.workers(), s.managementPort(), ManagementFactory.getRuntimeMXBean().getUptime());
      return new RunningNode(system, s);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      system.terminate();
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IllegalStateException("could not start the node: " + cause.getMessage(), cause);
    }
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public int httpPort() {
    return started.binding().localAddress().getPort();
  }

  /** Pekko Management's port: /alive, /ready, read-only /cluster/members. */
  public int managementPort() {
    return started.managementPort();
  }

  public String nodeId() {
    return started.nodeId();
  }

  public LocalScheduler scheduler() {
    return started.scheduler();
  }

  public ActorRef<PoolProtocol.PoolCommand> pool() {
    return started.pool();
  }

  public ActorRef<PoolProtocol.RouterCommand> router() {
    return started.router();
  }

  /**
   * Leaves the cluster gracefully and stops; returns when the ActorSystem has terminated, or after
   * {@link #CLOSE_TIMEOUT} with a warning (a test's teardown must not hang on a system that does
   * not finish terminating: seen once with Artery TLS while a plain node kept dialling it).
   */
  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(CLOSE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      log.warn("Anvil node {} did not finish terminating within {} s", nodeId(), CLOSE_TIMEOUT.toSeconds());
    } catch (ExecutionException e) {
      log.warn("Anvil node {} terminated with a failure", nodeId(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(60);
}
