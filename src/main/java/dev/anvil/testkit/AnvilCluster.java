package dev.anvil.testkit;

import dev.anvil.node.NodeConfig;
import dev.anvil.node.RunningNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.remote.RemoteActorRefProvider;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter;

/**
 * An Anvil cluster of N nodes in this JVM, for testing kinds the way Anvil tests itself. Each node
 * is a real node (its own ActorSystem, cluster port, HTTP port, workers), and the kinds on the
 * test class path are its kinds. A scenario submits tasks and jobs to given nodes, over HTTP as
 * a client would, and makes nodes fail:
 *
 * <pre>{@code
 * try (AnvilCluster cluster = AnvilCluster.builder().nodes(3).start()) {
 *   TaskAnswer answer = cluster.node(0).submit("hash-chain", "{\"seed\":\"a\",\"rounds\":1000}");
 *   cluster.crash(2);               // as kill -9 would: no graceful leave
 *   cluster.awaitRemoved(2);        // the others noticed, and downed it
 * }
 * }</pre>
 *
 * <p>Waits use Pekko's ActorTestKit ({@link TestProbe#awaitAssert}); every node has Artery's test
 * transport on, which is how {@link #cut} and {@link #crash} drop messages.
 */
public final class AnvilCluster implements AutoCloseable {

  private static final Duration START = Duration.ofSeconds(30);
  private static final Duration POLL = Duration.ofMillis(50);

  /** How to start one: {@code AnvilCluster.builder().nodes(3).workersPerNode(2).start()}. */
  public static final class Builder {
    private int nodes = 3;
    private int workers = 2;
    private final Map<String, Object> config = new HashMap<>();

    private Builder() {}

    public Builder nodes(int nodes) {
      if (nodes < 1) {
        throw new IllegalArgumentException("nodes must be at least 1, was " + nodes);
      }
      this.nodes = nodes;
      return this;
    }

    /** Compute workers of each node (default 2). */
    public Builder workersPerNode(int workers) {
      if (workers < 1) {
        throw new IllegalArgumentException("workers must be at least 1, was " + workers);
      }
      this.workers = workers;
      return this;
    }

    /** Any setting (Anvil's, in reference.conf, or Pekko's), e.g. {@code config("anvil.compute.default-timeout", "5s")}. */
    public Builder config(String path, Object value) {
      config.put(path, value);
      return this;
    }

    /** Starts the nodes, the first as the seed, and returns once every node sees every other Up. */
    public AnvilCluster start() {
      return new AnvilCluster(this);
    }
  }

  private final List<AnvilNode> nodes = new ArrayList<>();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Path leases;
  private final Map<String, Object> config;

  public static Builder builder() {
    return new Builder();
  }

  private final String journal;

  private AnvilCluster(Builder builder) {
    try {
      leases = Files.createTempDirectory("anvil-testkit-leases");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    config = new HashMap<>(builder.config);
    journal = "jdbc:h2:mem:anvil-testkit-" + java.util.UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    try {
      for (int i = 0; i < builder.nodes; i++) {
        nodes.add(new AnvilNode(i, RunningNode.start(nodeConfig(i, builder.workers)), client));
      }
      awaitUp();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private com.typesafe.config.Config nodeConfig(int index, int workers) {
    Map<String, Object> o = new HashMap<>();
    o.put("anvil.http.port", 0);
    o.put("anvil.cluster.port", 0);
    o.put("anvil.management.port", 0);
    o.put("anvil.compute.workers", workers);
    o.put("anvil.compute.drain-timeout", "3s");
    o.put("anvil.cluster.seed-nodes", index == 0 ? "" : nodes.get(0).id());
    // this cluster's own downing lease, so that clusters of parallel tests never share one
    o.put("anvil.cluster.local-lease.dir", leases.toString());
    o.put("pekko.remote.artery.advanced.test-mode", "on");
    o.put("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off");
    // terminate() is a crash; a graceful stop runs coordinated shutdown itself (see stop)
    o.put("pekko.coordinated-shutdown.run-by-actor-system-terminate", "off");
    // a crashed node is downed 3 s after it is found unreachable, not 7 s: scenarios run faster
    o.put("pekko.cluster.split-brain-resolver.stable-after", "3s");
    // the cluster's own jobs journal, in memory, shared by its nodes (a test's jobs die with its JVM)
    o.put("anvil.jobs.journal.url", journal);
    o.putAll(config);
    return NodeConfig.load(o);
  }

  public AnvilNode node(int index) {
    return nodes.get(index);
  }

  /** Every node started, in order, the crashed and stopped ones too. */
  public List<AnvilNode> nodes() {
    return List.copyOf(nodes);
  }

  public List<AnvilNode> liveNodes() {
    return nodes.stream().filter(AnvilNode::isAlive).toList();
  }

  /**
   * Waits until every live node sees every live node Up, with its load: each node's router then
   * knows every other node's pool and may send tasks there.
   */
  public void awaitUp() {
    List<AnvilNode> live = liveNodes();
    await(START, () -> {
      for (AnvilNode node : live) {
        ClusterView view = ClusterView.read(node.uri());
        if (view.ready() != live.size() || view.size() != live.size()) {
          throw new AssertionError(node + ": " + view.ready() + " of " + live.size() + " nodes Up with their load: "
              + view);
        }
      }
    });
  }

  /** Waits until no live node lists node {@code index} as a member any more (it was downed and removed). */
  public void awaitRemoved(int index) {
    String gone = nodes.get(index).id();
    await(Duration.ofSeconds(60), () -> {
      for (AnvilNode node : liveNodes()) {
        ClusterView view = ClusterView.read(node.uri());
        if (view.size() == 0 || view.lists(gone)) {
          throw new AssertionError(node + " still lists " + gone + " as " + view.status(gone) + ": " + view);
        }
      }
    });
  }

  /**
   * Node {@code index} dies as under {@code kill -9}: it stops at once, without leaving the
   * cluster, draining or answering the tasks it runs; its clients' connections break. The others
   * find it unreachable (about 3 s), send the tasks it ran elsewhere, and down it.
   */
  public void crash(int index) {
    AnvilNode dead = nodes.get(index);
    for (AnvilNode other : liveNodes()) {
      if (other != dead) {
        blackhole(other, dead, true);
        blackhole(dead, other, true);
      }
    }
    dead.gone();
    dead.system().terminate();
    dead.system().getWhenTerminated().toCompletableFuture().join();
  }

  /** Node {@code index} stops gracefully: stops taking tasks, finishes its own, leaves the cluster. */
  public void stop(int index) {
    AnvilNode node = nodes.get(index);
    node.gone();
    CoordinatedShutdown.get(node.system()).run(CoordinatedShutdown.unknownReason());
    node.system().getWhenTerminated().toCompletableFuture().join();
  }

  /** Drops every message between nodes {@code a} and {@code b}, both ways, until {@link #heal}. */
  public void cut(int a, int b) {
    blackhole(nodes.get(a), nodes.get(b), true);
    blackhole(nodes.get(b), nodes.get(a), true);
  }

  public void heal(int a, int b) {
    blackhole(nodes.get(a), nodes.get(b), false);
    blackhole(nodes.get(b), nodes.get(a), false);
  }

  /**
   * Stops every live node gracefully: all but the oldest at once, then the oldest. Had all left at
   * once, the last of them would find no member left to take it out of the cluster, and wait out
   * coordinated shutdown's cluster-exiting phase (10 s); the oldest, which hosts the cluster's
   * singletons, leaves last so they do not move.
   */
  @Override
  public void close() {
    List<AnvilNode> live = liveNodes();
    List<AnvilNode> oldest = live.stream()
        .reduce((a, b) -> selfMember(b).isOlderThan(selfMember(a)) ? b : a).stream().toList();
    stopAll(live.stream().filter(node -> !oldest.contains(node)).toList());
    stopAll(oldest);
    dev.anvil.node.TempFolders.deleteQuietly(leases);
  }

  private static org.apache.pekko.cluster.Member selfMember(AnvilNode node) {
    return Cluster.get(node.system()).selfMember();
  }

  private void stopAll(List<AnvilNode> these) {
    CompletableFuture.allOf(these.stream()
            .map(node -> CompletableFuture.runAsync(() -> stop(node.index())))
            .toArray(CompletableFuture[]::new))
        .orTimeout(60, TimeUnit.SECONDS)
        .exceptionally(error -> null)
        .join();
  }

  /** On {@code from}'s transport: drop (or pass again) what it sends to and gets from {@code to}. */
  @SuppressWarnings("deprecation") // Artery takes the classic throttler's command for its test transport
  private static void blackhole(AnvilNode from, AnvilNode to, boolean drop) {
    ExtendedActorSystem system = (ExtendedActorSystem) Adapter.toClassic(from.system());
    Address address = Cluster.get(to.system()).selfMember().address();
    ((RemoteActorRefProvider) system.provider()).transport().managementCommand(new ThrottlerTransportAdapter.SetThrottle(
        address, ThrottlerTransportAdapter.bothDirection(),
        drop ? ThrottlerTransportAdapter.blackholeThrottleMode() : ThrottlerTransportAdapter.unthrottledThrottleMode()));
  }

  private void await(Duration max, Runnable assertion) {
    AnvilNode any = liveNodes().stream().findFirst().orElseThrow(() -> new IllegalStateException("no live node"));
    TestProbe<Object> probe = TestProbe.create(any.system());
    probe.awaitAssert(max, POLL, () -> {
      assertion.run();
      return null;
    });
  }
}
