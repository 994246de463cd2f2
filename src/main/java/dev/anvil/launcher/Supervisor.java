package dev.anvil.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;

/**
 * The {@code start} process: runs one node JVM per core on this machine, all in one cluster and
 * on one HTTP port; starts a node again when it dies (with backoff, giving up on a crash loop);
 * rolls the nodes one at a time on SIGHUP; stops them all gracefully on SIGTERM or SIGINT.
 * It runs no Pekko itself: it only starts, watches and signals processes.
 */
final class Supervisor {

  private final LauncherSettings settings;
  private final PrintStream out;
  private final NodeProcessHandle[] nodes;
  private final RestartPolicy[] policies;
  private final boolean[] givenUp;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "supervisor");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean rolling = new AtomicBoolean();
  private final CountDownLatch finished = new CountDownLatch(1);
  private volatile boolean stopping;
  private volatile int exitCode;
  private boolean everyNodeUp;
  private boolean bannerPrinted;

  Supervisor(LauncherSettings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
    this.nodes = new NodeProcessHandle[settings.nodes()];
    this.policies = new RestartPolicy[settings.nodes()];
    this.givenUp = new boolean[settings.nodes()];
    for (int i = 0; i < nodes.length; i++) {
      policies[i] = new RestartPolicy(settings.restartBackoff(), settings.restartBackoffMax(),
          settings.maxRestarts(), settings.restartWindow());
    }
  }

  /** Starts the nodes and returns only when the supervisor is done: the process exit code. */
  int run() throws InterruptedException {
    Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "supervisor-stop"));
    Signal.handle(new Signal("HUP"), signal -> scheduler.execute(this::rollingRestart));
    migrateQueuedConnections();

    log("Starting " + nodes.length + " node(s), " + settings.coresPerNode() + " core(s) each");
    List<String> seeds = new ArrayList<>();
    for (int i = 0; i < nodes.length; i++) {
      seeds.add(address(primaryPort(i)));
    }
    for (int i = 0; i < nodes.length; i++) {
      try {
        watchUp(launch(i, primaryPort(i), seeds));
      } catch (IOException e) {
        log("Could not start node-" + i + ": " + e.getMessage());
        return 1;
      }
    }
    finished.await();
    return exitCode;
  }

  private synchronized NodeProcessHandle launch(int slot, int port, List<String> seeds) throws IOException {
    NodeProcessHandle node = NodeProcessHandle.start(slot, port, seeds, settings, out);
    if (nodes[slot] == null || !nodes[slot].isAlive()) {
      nodes[slot] = node;
    }
    node.onExit().thenRun(() -> onExit(node));
    return node;
  }

  private void onExit(NodeProcessHandle node) {
    synchronized (this) {
      if (stopping || nodes[node.slot()] != node) {
        return; // stopped on purpose: shutdown, or replaced in a rolling restart
      }
    }
    Duration delay = policies[node.slot()].onCrash(System.nanoTime());
    if (delay == null) {
      log("node-" + node.slot() + " died " + settings.maxRestarts() + " times within "
          + settings.restartWindow().toSeconds() + " s; giving up on it");
      giveUp(node.slot());
      return;
    }
    log("node-" + node.slot() + " (pid " + node.pid() + ") exited unexpectedly; starting it again in "
        + delay.toMillis() + " ms");
    scheduler.schedule(() -> restart(node.slot(), node.clusterPort()), delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void restart(int slot, int port) {
    if (stopping) {
      return;
    }
    try {
      NodeProcessHandle fresh;
      synchronized (this) {
        nodes[slot] = null;
        fresh = launch(slot, port, seedsFor(slot, port));
      }
      watchUp(fresh);
    } catch (IOException e) {
      log("Could not start node-" + slot + " again: " + e.getMessage());
      giveUp(slot);
    }
  }

  /** Logs a node that comes Up, and prints the banner the first time every slot has one. */
  private void watchUp(NodeProcessHandle node) {
    node.awaitUp(settings.nodeUpTimeout()).whenComplete((ok, error) -> {
      if (error != null) {
        log("node-" + node.slot() + " did not come Up: " + rootMessage(error));
        return;
      }
      boolean printBanner;
      synchronized (this) {
        if (everyNodeUp) {
          log("node-" + node.slot() + " is Up again (pid " + node.pid() + ")");
        }
        everyNodeUp = java.util.Arrays.stream(nodes).allMatch(n -> n != null && n.isUp());
        printBanner = everyNodeUp && !bannerPrinted;
        bannerPrinted |= printBanner;
      }
      if (printBanner) {
        banner();
      }
    });
  }

  private synchronized void giveUp(int slot) {
    givenUp[slot] = true;
    for (boolean g : givenUp) {
      if (!g) {
        return;
      }
    }
    log("Every node was given up; stopping");
    exitCode = 1;
    finished.countDown();
  }

  /** Seeds for a node that joins a running cluster: the nodes that are alive, or itself alone. */
  private synchronized List<String> seedsFor(int slot, int port) {
    List<String> seeds = new ArrayList<>();
    for (NodeProcessHandle node : nodes) {
      if (node != null && node.slot() != slot && node.isAlive()) {
        seeds.add(address(node.clusterPort()));
      }
    }
    if (seeds.isEmpty()) {
      seeds.add(address(port));
    }
    return seeds;
  }

  /**
   * SIGHUP: one node at a time, start its replacement on the other port of its slot, wait until
   * it is Up, then stop the old one gracefully. Capacity never drops by more than one node.
   */
  void rollingRestart() {
    if (stopping || !rolling.compareAndSet(false, true)) {
      log("Rolling restart ignored: " + (stopping ? "stopping" : "one is already running"));
      return;
    }
    try {
      log("Rolling restart of " + nodes.length + " node(s)");
      for (int slot = 0; slot < nodes.length && !stopping; slot++) {
        NodeProcessHandle old;
        synchronized (this) {
          old = nodes[slot];
        }
        if (old == null || !old.isAlive()) {
          continue; // a dead node is being restarted already
        }
        int port = old.clusterPort() == primaryPort(slot) ? primaryPort(slot) + nodes.length : primaryPort(slot);
        NodeProcessHandle fresh = NodeProcessHandle.start(slot, port, liveSeeds(), settings, out);
        try {
          fresh.awaitUp(settings.nodeUpTimeout()).get();
        } catch (Exception e) {
          log("Rolling restart stopped: the new node-" + slot + " did not come Up: " + rootMessage(e));
          fresh.stop(settings.nodeStopTimeout());
          return;
        }
        synchronized (this) {
          nodes[slot] = fresh;
        }
        fresh.onExit().thenRun(() -> onExit(fresh));
        log("node-" + slot + " replaced by pid " + fresh.pid() + "; stopping pid " + old.pid());
        old.stop(settings.nodeStopTimeout());
      }
      log("Rolling restart done");
    } catch (IOException e) {
      log("Rolling restart stopped: " + e.getMessage());
    } finally {
      rolling.set(false);
    }
  }

  private synchronized List<String> liveSeeds() {
    List<String> seeds = new ArrayList<>();
    for (NodeProcessHandle node : nodes) {
      if (node != null && node.isAlive()) {
        seeds.add(address(node.clusterPort()));
      }
    }
    return seeds;
  }

  /** SIGTERM or SIGINT: every node drains and leaves, in parallel; then the supervisor exits. */
  private void stopAll() {
    List<NodeProcessHandle> alive = new ArrayList<>();
    synchronized (this) {
      stopping = true;
      for (NodeProcessHandle node : nodes) {
        if (node != null && node.isAlive()) {
          alive.add(node);
        }
      }
    }
    if (!alive.isEmpty()) {
      log("Stopping " + alive.size() + " node(s) gracefully");
    }
    CompletableFuture.allOf(alive.stream()
        .map(node -> CompletableFuture.runAsync(() -> node.stop(settings.nodeStopTimeout())))
        .toArray(CompletableFuture[]::new)).join();
    log("Stopped");
    finished.countDown();
  }

  /**
   * When a node closes its listener, connections still in its accept queue would be reset;
   * Linux (5.14+) can move them to another listener of the same port instead.
   */
  private void migrateQueuedConnections() {
    if (!settings.migrateQueuedConnections()) {
      return;
    }
    Path sysctl = Path.of("/proc/sys/net/ipv4/tcp_migrate_req");
    try {
      if (Files.exists(sysctl) && Files.readString(sysctl).trim().equals("0")) {
        Files.writeString(sysctl, "1", StandardCharsets.US_ASCII);
        log("Enabled net.ipv4.tcp_migrate_req, so a stopping node hands its queued connections to another");
      }
    } catch (IOException | SecurityException e) {
      log("Note: net.ipv4.tcp_migrate_req is 0 and could not be set (" + e.getMessage() + "); a stopping node"
          + " may reset connections it had not yet accepted. 'sysctl -w net.ipv4.tcp_migrate_req=1' avoids it.");
    }
  }

  private void banner() {
    StringBuilder nodeList = new StringBuilder();
    synchronized (this) {
      for (NodeProcessHandle node : nodes) {
        if (node != null) {
          nodeList.append(nodeList.length() == 0 ? "" : ", ").append(address(node.clusterPort()))
              .append(" (pid ").append(node.pid()).append(')');
        }
      }
    }
    long pid = ProcessHandle.current().pid();
    String line = "=".repeat(72);
    out.println(line);
    out.println(" Anvil is up: " + settings.http().scheme() + "://" + settings.http().host() + ":" + settings.http().port());
    out.println(" " + nodes.length + " node(s) in one cluster: " + nodeList);
    out.println(" Stop: Ctrl-C or 'kill " + pid + "'.  Rolling restart: 'kill -HUP " + pid + "'.");
    out.println(line);
  }

  private int primaryPort(int slot) {
    return settings.baseClusterPort() + slot;
  }

  private String address(int port) {
    return settings.clusterHost() + ":" + port;
  }

  private void log(String message) {
    out.println(LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss.SSS")) + " [supervisor] " + message);
  }

  private static String rootMessage(Throwable e) {
    while (e.getCause() != null) {
      e = e.getCause();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
