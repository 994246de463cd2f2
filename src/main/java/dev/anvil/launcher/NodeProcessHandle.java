package dev.anvil.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One node JVM the supervisor started: its process, its cluster port, and a future that
 * completes when it logs that it is Up in the cluster. Its output is copied, prefixed, to ours.
 */
final class NodeProcessHandle {

  static final String UP_MARKER = "is Up in the cluster";
  static final String SERVING_MARKER = " serving http";

  private final int slot;
  private final int clusterPort;
  private final Process process;
  private final CompletableFuture<Void> up = new CompletableFuture<>();

  private NodeProcessHandle(int slot, int clusterPort, Process process) {
    this.slot = slot;
    this.clusterPort = clusterPort;
    this.process = process;
  }

  static NodeProcessHandle start(int slot, int clusterPort, List<String> seeds, LauncherSettings settings,
      PrintStream out) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse(
        System.getProperty("java.home") + "/bin/java"));
    command.addAll(settings.jvmOptions());
    command.add("-XX:ActiveProcessorCount=" + settings.coresPerNode());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.anvil.Main", "node",
        "--http-host", settings.http().host(),
        "--http-port", Integer.toString(settings.http().port()),
        "--cluster-host", settings.clusterHost(),
        "--cluster-port", Integer.toString(clusterPort),
        "--seed-nodes", String.join(",", seeds)));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    // glibc gives each thread that allocates its own malloc arena (64 MiB reserved, pages kept
    // after free): two arenas are plenty for a JVM, whose heap is not malloc's.
    builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
    // The supervisor itself reports a node that does not come Up; its join retries are noise.
    builder.environment().putIfAbsent("ANVIL_JOIN_LOG_LEVEL", "ERROR");
    Process process = builder.start();
    NodeProcessHandle handle = new NodeProcessHandle(slot, clusterPort, process);
    handle.copyOutput(out);
    return handle;
  }

  private boolean memberUp;
  private boolean serving;

  private void copyOutput(PrintStream out) {
    Thread copier = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          out.println("[node-" + slot + "] " + line);
          memberUp |= line.contains(UP_MARKER);
          serving |= line.contains(SERVING_MARKER);
          if (memberUp && serving && !up.isDone()) {
            up.complete(null);
          }
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
   * Completes when the node serves HTTP and is Up in the cluster; fails if it exits first or
   * takes too long.
   */
  CompletableFuture<Void> awaitUp(Duration timeout) {
    process.onExit().thenRun(() -> up.completeExceptionally(
        new IllegalStateException("node-" + slot + " exited with " + process.exitValue() + " before it was Up")));
    return up.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** SIGTERM, so the node drains and leaves the cluster; SIGKILL if it takes longer than {@code timeout}. */
  void stop(Duration timeout) {
    process.destroy();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
