package dev.anvil.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The {@code start} process: runs one node JVM per core on this machine, all in one cluster and
 * on one HTTP port. It learns that a node is ready, and that it still answers, from the node's
 * management port ({@code /ready}, {@code /alive}); kills and restarts a node that stops
 * answering (frozen), restarts one that dies (with backoff, giving up on a crash loop and trying
 * again after the restart window); rolls the nodes one at a time on {@code roll} or SIGHUP; stops
 * them all gracefully on {@code stop}, SIGTERM or SIGINT. It runs no Pekko itself.
 *
 * <p>Longer than most classes on purpose: its state (the slots, their restart policies, what a roll
 * has replaced) is guarded by this one monitor, and every path that starts or replaces a node goes
 * through {@link #spawn} here; split over several classes, that lock and that path would be too.
 */
final class Supervisor {

  /** Exit status when stopped while a slot was given up: capacity was lost. */
  static final int EXIT_CAPACITY_LOST = 3;

  private final LauncherSettings settings;
  private final PrintStream out;
  private final NodeProcessHandle[] nodes;
  private final RestartPolicy[] policies;
  private final boolean[] givenUp;
  /** Per slot: its primary cluster and management ports, and (at index nodes + slot) its alternates. */
  private final int[] clusterPorts;
  private final int[] managementPorts;
  private final Path statusFile;
  private final List<String> nodeOptions;
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "supervisor");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean rolling = new AtomicBoolean();
  private final AtomicBoolean stopStarted = new AtomicBoolean();
  private final CountDownLatch finished = new CountDownLatch(1);
  private volatile boolean stopping;
  private volatile int exitCode;
  private boolean everyNodeUp;
  private boolean bannerPrinted;

  /** @param nodeOptions JVM options for every node (how to reach the jobs' database) */
  Supervisor(LauncherSettings settings, int[] clusterPorts, int[] managementPorts, Path statusFile,
      List<String> nodeOptions, PrintStream out) {
    this.settings = settings;
    this.nodeOptions = nodeOptions;
    this.out = out;
    this.nodes = new NodeProcessHandle[settings.nodes()];
    this.policies = new RestartPolicy[settings.nodes()];
    this.givenUp = new boolean[settings.nodes()];
    this.clusterPorts = clusterPorts;
    this.managementPorts = managementPorts;
    this.statusFile = statusFile;
    for (int i = 0; i < nodes.length; i++) {
      policies[i] = new RestartPolicy(settings.restartBackoff(), settings.restartBackoffMax(),
          settings.maxRestarts(), settings.restartWindow());
    }
  }

  /** Starts the nodes and returns only when the supervisor is done: the process exit code. */
  int run(ControlSocket control) throws InterruptedException {
    Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "supervisor-stop"));
    SignalHandler stop = signal -> scheduler.execute(this::stopAll);
    Signal.handle(new Signal("TERM"), stop); // a graceful stop exits 0, not 143
    Signal.handle(new Signal("INT"), stop);
    SignalHandler previousHup = Signal.handle(new Signal("HUP"), signal -> scheduler.execute(() -> rollingRestart(this::log)));
    if (previousHup == SignalHandler.SIG_IGN) {
      log("Note: SIGHUP is ignored in this process (started under nohup?), so 'kill -HUP' will not roll the nodes;"
          + " use '" + Commands.self() + " roll --http-port " + settings.http().port() + "'");
    }
    control.serve(this);
    migrateQueuedConnections();

    log("Starting " + nodes.length + " node(s), " + settings.coresPerNode() + " core(s) each; cluster ports "
        + clusterPorts[0] + "-" + clusterPorts[nodes.length - 1] + ", management ports " + managementPorts[0] + "-"
        + managementPorts[nodes.length - 1]);
    List<String> seeds = new ArrayList<>();
    for (int i = 0; i < nodes.length; i++) {
      seeds.add(address(clusterPorts[i]));
    }
    for (int i = 0; i < nodes.length; i++) {
      try {
        watchUp(launch(i, i, seeds));
      } catch (IOException e) {
        log("Could not start node-" + i + ": " + e.getMessage());
        return 1;
      }
    }
    writeStatus();
    finished.await();
    control.close();
    return exitCode;
  }

  /** Starts a node JVM for a slot, on its primary ports or (a rolling restart's) alternates, and makes it the slot's. */
  private synchronized NodeProcessHandle launch(int slot, int portIndex, List<String> seeds) throws IOException {
    NodeProcessHandle node = spawn(slot, portIndex, seeds);
    if (nodes[slot] == null || !nodes[slot].isAlive()) {
      nodes[slot] = node;
    }
    node.onExit().thenRun(() -> onExit(node));
    return node;
  }

  /**
   * The one way a node JVM is started, at start-up, after a crash and in a rolling restart alike,
   * so every node gets the same options.
   */
  private NodeProcessHandle spawn(int slot, int portIndex, List<String> seeds) throws IOException {
    return NodeProcessHandle.start(slot, clusterPorts[portIndex], managementPorts[portIndex], seeds, settings,
        // the kinds folder always, even empty: the nodes load what this supervisor checked
        java.util.stream.Stream.concat(nodeOptions.stream(), java.util.stream.Stream.of(
            "-Danvil.launcher.status-file=" + statusFile, "-Danvil.kinds-dir=" + settings.kindsDir())).toList(), out);
  }

  private void onExit(NodeProcessHandle node) {
    synchronized (this) {
      if (stopping || nodes[node.slot()] != node) {
        return; // stopped on purpose: shutdown, or replaced in a rolling restart
      }
    }
    writeStatus();
    Duration delay = policies[node.slot()].onCrash(System.nanoTime());
    if (delay == null) {
      log("node-" + node.slot() + " died " + settings.maxRestarts() + " times within "
          + settings.restartWindow().toSeconds() + " s; giving up on it for " + settings.restartWindow().toSeconds()
          + " s (or until a roll)");
      giveUp(node.slot());
      return;
    }
    log("node-" + node.slot() + " (pid " + node.pid() + ") exited unexpectedly; starting it again in "
        + delay.toMillis() + " ms");
    scheduler.schedule(() -> restart(node.slot()), delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void restart(int slot) {
    if (stopping) {
      return;
    }
    try {
      NodeProcessHandle fresh;
      synchronized (this) {
        NodeProcessHandle old = nodes[slot];
        int index = old != null && old.clusterPort() == clusterPorts[nodes.length + slot] ? nodes.length + slot : slot;
        nodes[slot] = null;
        fresh = launch(slot, index, seedsFor(slot, clusterPorts[index]));
      }
      watchUp(fresh);
      writeStatus();
    } catch (IOException e) {
      log("Could not start node-" + slot + " again: " + e.getMessage());
      giveUp(slot);
    }
  }

  /** Logs a node that comes Up, prints the banner the first time every slot has one, then watches its health. */
  private void watchUp(NodeProcessHandle node) {
    node.awaitUp(settings.nodeUpTimeout(), scheduler).whenComplete((ok, error) -> {
      if (error != null) {
        if (node.isAlive()) {
          log("node-" + node.slot() + " did not come Up within " + settings.nodeUpTimeout().toSeconds()
              + " s; stopping it");
          node.kill();
        }
        return;
      }
      watchHealth(node);
      boolean printBanner;
      synchronized (this) {
        if (everyNodeUp) {
          log("node-" + node.slot() + " is Up again (pid " + node.pid() + ")");
        }
        everyNodeUp = java.util.Arrays.stream(nodes).allMatch(n -> n != null && n.isUp());
        printBanner = everyNodeUp && !bannerPrinted;
        bannerPrinted |= printBanner;
      }
      writeStatus();
      if (printBanner) {
        banner();
      }
    });
  }

  /** Kills a node that stops answering its health check, so its share of new connections goes to the others. */
  private void watchHealth(NodeProcessHandle node) {
    node.watchHealth(scheduler, settings.healthInterval(), settings.healthTimeout(), () -> {
      log("node-" + node.slot() + " (pid " + node.pid() + ") has not answered its health check for "
          + settings.healthTimeout().toSeconds() + " s; killing it (its connections go to the other nodes)");
      node.kill();
    });
  }

  private void giveUp(int slot) {
    synchronized (this) {
      givenUp[slot] = true;
      nodes[slot] = null;
    }
    writeStatus();
    synchronized (this) {
      for (boolean g : givenUp) {
        if (!g) {
          scheduler.schedule(() -> retry(slot), settings.restartWindow().toMillis(), TimeUnit.MILLISECONDS);
          return;
        }
      }
    }
    log("Every node was given up; stopping");
    exitCode = 1;
    finished.countDown();
  }

  /** A slot given up is tried again, afresh, after the restart window or on a roll. */
  private void retry(int slot) {
    synchronized (this) {
      if (stopping || !givenUp[slot]) {
        return;
      }
      givenUp[slot] = false;
    }
    policies[slot].reset();
    log("Trying node-" + slot + " again after giving up on it");
    restart(slot);
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
   * One node at a time: start its replacement on the other ports of its slot, wait until it is
   * ready, then stop the old one gracefully. Capacity never drops by more than one node. A slot
   * that was given up is started afresh. Every step has a limit and says when it ends: a
   * replacement not ready within {@code node-up-timeout} is killed and the roll stops there, with
   * one line naming the node and why, the old node still serving; an old node that has not left
   * within {@code node-stop-timeout} is killed and the roll goes on. So a roll of N nodes ends
   * within N x (node-up-timeout + node-stop-timeout).
   *
   * @return true when every slot was rolled
   */
  boolean rollingRestart(Consumer<String> report) {
    if (stopping || !rolling.compareAndSet(false, true)) {
      report.accept("Rolling restart ignored: " + (stopping ? "stopping" : "one is already running"));
      return false;
    }
    long rollStarted = System.nanoTime();
    try {
      report.accept("Rolling restart of " + nodes.length + " node(s): each replacement may take "
          + settings.nodeUpTimeout().toSeconds() + " s to be ready, each old node "
          + settings.nodeStopTimeout().toSeconds() + " s to leave");
      for (int slot = 0; slot < nodes.length && !stopping; slot++) {
        NodeProcessHandle old;
        boolean wasGivenUp;
        synchronized (this) {
          old = nodes[slot];
          wasGivenUp = givenUp[slot];
        }
        if (wasGivenUp) {
          report.accept("node-" + slot + " was given up; starting it afresh");
          retry(slot);
          continue;
        }
        if (old == null || !old.isAlive()) {
          continue; // a dead node is being restarted already
        }
        String stopped = replace(slot, old, report);
        if (stopped != null) {
          report.accept("Rolling restart stopped at node-" + slot + ": " + stopped + "; node-" + slot
              + " keeps serving as pid " + old.pid() + (slot == 0 ? "" : ", the nodes before it were replaced"));
          return false;
        }
      }
      report.accept("Rolling restart done in " + secondsSince(rollStarted) + " s");
      return true;
    } catch (IOException e) {
      report.accept("Rolling restart stopped: could not start a node JVM: " + e.getMessage());
      return false;
    } finally {
      rolling.set(false);
    }
  }

  /** Replaces one slot's node; returns why it could not, or null once the replacement serves and the old one is gone. */
  private String replace(int slot, NodeProcessHandle old, Consumer<String> report) throws IOException {
    int index = old.clusterPort() == clusterPorts[slot] ? nodes.length + slot : slot;
    long started = System.nanoTime();
    NodeProcessHandle fresh = spawn(slot, index, liveSeeds());
    report.accept("node-" + slot + ": replacement pid " + fresh.pid() + " started on cluster port "
        + clusterPorts[index] + "; waiting for it to be ready");
    try {
      fresh.awaitUp(settings.nodeUpTimeout(), scheduler).get();
    } catch (ExecutionException e) {
      // Not ready in time may mean frozen or stuck in start-up: SIGTERM might never end it.
      fresh.kill();
      return "its replacement, pid " + fresh.pid() + ", " + (e.getCause() instanceof TimeoutException
          ? "was not ready within " + settings.nodeUpTimeout().toSeconds() + " s (killed)"
          : "failed: " + rootMessage(e));
    } catch (InterruptedException e) {
      fresh.kill();
      Thread.currentThread().interrupt();
      return "interrupted";
    }
    synchronized (this) {
      nodes[slot] = fresh;
    }
    fresh.onExit().thenRun(() -> onExit(fresh));
    watchHealth(fresh);
    report.accept("node-" + slot + " replaced by pid " + fresh.pid() + " (ready in " + secondsSince(started)
        + " s); stopping pid " + old.pid());
    long stopAsked = System.nanoTime();
    boolean left = old.stop(settings.nodeStopTimeout());
    report.accept(left ? "node-" + slot + ": pid " + old.pid() + " left in " + secondsSince(stopAsked) + " s"
        : "node-" + slot + ": pid " + old.pid() + " had not left within " + settings.nodeStopTimeout().toSeconds()
            + " s; killed it");
    writeStatus();
    return null;
  }

  private static String secondsSince(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - nanos) / 1e9);
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

  /** stop, SIGTERM or SIGINT: every node drains and leaves, in parallel; then the supervisor exits. */
  void stopAll() {
    if (!stopStarted.compareAndSet(false, true)) {
      try {
        finished.await(); // the shutdown hook waits for the stop that a signal began
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    List<NodeProcessHandle> alive = new ArrayList<>();
    boolean capacityLost = false;
    synchronized (this) {
      stopping = true;
      for (int i = 0; i < nodes.length; i++) {
        capacityLost |= givenUp[i];
        if (nodes[i] != null && nodes[i].isAlive()) {
          alive.add(nodes[i]);
        }
      }
    }
    if (!alive.isEmpty()) {
      log("Stopping " + alive.size() + " node(s) gracefully");
    }
    CompletableFuture.allOf(alive.stream()
        .map(node -> CompletableFuture.runAsync(() -> node.stop(settings.nodeStopTimeout())))
        .toArray(CompletableFuture[]::new)).join();
    if (capacityLost && exitCode == 0) {
      exitCode = EXIT_CAPACITY_LOST;
      log("Stopped, with a node given up: exit status " + EXIT_CAPACITY_LOST);
    } else {
      log("Stopped");
    }
    try {
      Files.deleteIfExists(statusFile);
    } catch (IOException ignored) {
      // a stale status file names a supervisor that is gone; nodes read it only while it runs
    }
    finished.countDown();
  }

  /** What each slot is doing, as JSON: for the nodes' /v1/cluster and for 'status'. */
  synchronized String status() {
    StringBuilder json = new StringBuilder("{\"supervisor\":").append(ProcessHandle.current().pid())
        .append(",\"slots\":[");
    for (int i = 0; i < nodes.length; i++) {
      NodeProcessHandle node = nodes[i];
      String state = givenUp[i] ? "given-up" : node == null || !node.isAlive() ? "restarting"
          : node.isUp() ? "up" : "starting";
      json.append(i == 0 ? "" : ",").append("{\"slot\":").append(i).append(",\"state\":\"").append(state).append('"');
      if (node != null && node.isAlive()) {
        json.append(",\"pid\":").append(node.pid()).append(",\"node\":\"").append(address(node.clusterPort()))
            .append('"');
      }
      json.append('}');
    }
    return json.append("]}").toString();
  }

  // Synchronized: two threads sharing the .tmp file could otherwise leave the older snapshot as the last one
  // written (computed first, moved last), and the file is rewritten only on the next change.
  private synchronized void writeStatus() {
    try {
      Path tmp = statusFile.resolveSibling(statusFile.getFileName() + ".tmp");
      Files.writeString(tmp, status(), StandardCharsets.UTF_8);
      Files.move(tmp, statusFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      log("Could not write " + statusFile + ": " + e.getMessage());
    }
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
    String command = Commands.self() + " %s --http-port " + settings.http().port();
    String line = "=".repeat(72);
    out.println(line);
    out.println(" Anvil is up: " + settings.http().scheme() + "://" + settings.http().host() + ":" + settings.http().port());
    out.println(" " + nodes.length + " node(s) in one cluster: " + nodeList);
    out.println(" Stop: Ctrl-C, 'kill " + pid + "' or '" + String.format(command, "stop") + "'");
    out.println(" Rolling restart: '" + String.format(command, "roll") + "' (or 'kill -HUP " + pid + "')");
    out.println(line);
  }

  private String address(int port) {
    return settings.clusterHost() + ":" + port;
  }

  void log(String message) {
    out.println(LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss.SSS")) + " [supervisor] " + message);
  }

  private static String rootMessage(Throwable e) {
    while (e.getCause() != null) {
      e = e.getCause();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
