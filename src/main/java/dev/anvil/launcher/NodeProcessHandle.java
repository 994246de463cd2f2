package dev.anvil.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One node JVM the supervisor started: its process, its ports, and what its management port
 * says about it. Readiness and liveness come from Pekko Management's {@code /ready} and
 * {@code /alive} on the node's own port, never from its log lines, so they hold at any log
 * level. Its output is copied, prefixed, to ours.
 */
final class NodeProcessHandle {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private static final Duration POLL = Duration.ofMillis(200);

  private final int slot;
  private final int clusterPort;
  private final int managementPort;
  private final String host;
  private final Process process;
  private final CompletableFuture<Void> up = new CompletableFuture<>();
  private volatile ScheduledFuture<?> watch;

  private NodeProcessHandle(int slot, int clusterPort, int managementPort, String host, Process process) {
    this.slot = slot;
    this.clusterPort = clusterPort;
    this.managementPort = managementPort;
    this.host = host;
    this.process = process;
  }

  static NodeProcessHandle start(int slot, int clusterPort, int managementPort, List<String> seeds,
      LauncherSettings settings, List<String> extraJvmOptions, PrintStream out) throws IOException {
    List<String> command = command(clusterPort, managementPort, seeds, settings, extraJvmOptions);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    // glibc gives each thread that allocates its own malloc arena (64 MiB reserved, pages kept
    // after free): two arenas are plenty for a JVM, whose heap is not malloc's.
    builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
    // The supervisor itself reports a node that does not come Up; its join retries are noise.
    builder.environment().putIfAbsent("ANVIL_JOIN_LOG_LEVEL", "ERROR");
    // the node ends when this process does, even by kill -9: its stdin is a pipe from here (SupervisorWatch)
    builder.environment().put(dev.anvil.node.SupervisorWatch.ENV, "1");
    Process process = builder.start();
    NodeProcessHandle handle = new NodeProcessHandle(slot, clusterPort, managementPort, settings.clusterHost(),
        process);
    handle.copyOutput(out);
    return handle;
  }

  /** The command line of a node JVM: this JVM's java, the configured options, then the node's own. */
  static List<String> command(int clusterPort, int managementPort, List<String> seeds, LauncherSettings settings,
      List<String> extraJvmOptions) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse(
        System.getProperty("java.home") + "/bin/java"));
    command.addAll(settings.jvmOptions());
    command.add("-XX:ActiveProcessorCount=" + settings.coresPerNode());
    // The JIT and the rest of the JVM's native side free what they malloc, but glibc keeps the
    // pages: after a warm-up a node holds ~20 MiB it no longer uses. The JVM gives them back
    // every few seconds with this option (JDK 17.0.9 and later; older ones would refuse to start).
    if (TRIM_SUPPORTED && settings.jvmOptions().stream().noneMatch(o -> o.contains("TrimNativeHeapInterval"))) {
      command.add("-XX:TrimNativeHeapInterval=" + TRIM_INTERVAL_MS);
    }
    // the classes of a node's first seconds mapped from the archive, not loaded and verified one by
    // one: a node is ready in about half the time (ClassDataArchive.resolve)
    settings.classDataArchive().ifPresent(archive -> command.add("-XX:SharedArchiveFile=" + archive));
    command.addAll(extraJvmOptions);
    if (settings.discovery()) {
      // the nodes find each other through discovery; these are only the ones that share the HTTP port
      command.add("-Danvil.cluster.port-peers=" + String.join(",", seeds));
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.anvil.Main", "node",
        "--http-host", settings.http().host(),
        "--http-port", Integer.toString(settings.http().port()),
        "--cluster-host", settings.clusterHost(),
        "--cluster-port", Integer.toString(clusterPort),
        "--management-port", Integer.toString(managementPort)));
    if (!settings.discovery()) {
      command.addAll(List.of("--seed-nodes", String.join(",", seeds)));
    }
    return command;
  }

  static final long TRIM_INTERVAL_MS = 5000;
  /** Whether this JVM (and so each node's, the same java) knows -XX:TrimNativeHeapInterval. */
  static final boolean TRIM_SUPPORTED = vmOptionExists("TrimNativeHeapInterval");

  private static boolean vmOptionExists(String name) {
    var hotspot = java.lang.management.ManagementFactory.getPlatformMXBean(
        com.sun.management.HotSpotDiagnosticMXBean.class);
    if (hotspot == null) {
      return false; // not HotSpot
    }
    try {
      hotspot.getVMOption(name);
      return true;
    } catch (IllegalArgumentException e) {
      return false; // not an option of this JVM
    }
  }

  private void copyOutput(PrintStream out) {
    Thread copier = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          out.println("[node-" + slot + "] " + line);
        }
      } catch (IOException ignored) {
        // the node's output closed: it has exited
      }
    }, "node-" + slot + "-output");
    copier.setDaemon(true);
    copier.start();
  }

  int slot() {
    return slot;
  }

  int clusterPort() {
    return clusterPort;
  }

  int managementPort() {
    return managementPort;
  }

  boolean isUp() {
    return up.isDone() && !up.isCompletedExceptionally() && process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  CompletableFuture<Process> onExit() {
    return process.onExit();
  }

  /**
   * Completes when the node's management port answers {@code /ready} with 200 (it serves HTTP,
   * is Up in the cluster and fit); fails if it exits first or takes longer than {@code timeout}.
   */
  CompletableFuture<Void> awaitUp(Duration timeout, ScheduledExecutorService timer) {
    process.onExit().thenRun(() -> up.completeExceptionally(
        new IllegalStateException("node-" + slot + " exited with " + process.exitValue() + " before it was Up")));
    pollReady(timer);
    return up.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void pollReady(ScheduledExecutorService timer) {
    if (up.isDone()) {
      return;
    }
    check("ready").whenComplete((ok, error) -> {
      if (Boolean.TRUE.equals(ok)) {
        up.complete(null);
      } else if (!up.isDone()) {
        timer.schedule(() -> pollReady(timer), POLL.toMillis(), TimeUnit.MILLISECONDS);
      }
    });
  }

  /**
   * Asks {@code /alive} every {@code interval}; when no answer has been 200 for {@code timeout}
   * (the JVM is frozen, or too starved to answer), calls {@code onUnresponsive} once.
   */
  void watchHealth(ScheduledExecutorService timer, Duration interval, Duration timeout, Runnable onUnresponsive) {
    long[] lastOk = {System.nanoTime()};
    boolean[] fired = {false};
    watch = timer.scheduleWithFixedDelay(() -> {
      if (!process.isAlive() || fired[0]) {
        return;
      }
      if (System.nanoTime() - lastOk[0] > timeout.toNanos()) {
        fired[0] = true;
        onUnresponsive.run();
        return;
      }
      check("alive").thenAccept(ok -> {
        if (ok) {
          lastOk[0] = System.nanoTime();
        }
      });
    }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    process.onExit().thenRun(() -> watch.cancel(false));
  }

  private CompletableFuture<Boolean> check(String path) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + authority() + "/" + path))
        .timeout(Duration.ofSeconds(1)).GET().build();
    return HTTP.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .handle((response, error) -> response != null && response.statusCode() == 200);
  }

  private String authority() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + managementPort;
  }

  /**
   * SIGTERM, so the node drains and leaves the cluster; SIGKILL if it takes longer than {@code timeout}.
   *
   * @return whether it left by itself within the timeout
   */
  boolean stop(Duration timeout) {
    // ProcessHandle's SIGTERM, not Process.destroy(): that also closes the pipe of the node's output, so every
    // line the node logged while it drained and left (what it stopped with, how long it took) was lost
    process.toHandle().destroy();
    try {
      if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return true;
      }
      process.destroyForcibly().waitFor();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    return false;
  }

  /** SIGKILL: for a node that no longer answers. */
  void kill() {
    process.destroyForcibly();
  }
}
