package dev.anvil.compute.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lowers the scheduling priority of the calling thread (Linux: a thread id is a valid target
 * of setpriority, so {@code renice} on it touches that thread alone). Compute threads run at a
 * higher nice value than the threads that serve HTTP and the cluster, so a busy machine still
 * runs those first: /health and heartbeats stay prompt, and the work that feeds the workers is
 * not kept waiting behind them. With nothing else to run, a niced thread gets the whole core.
 */
public final class ThreadNice {
  private static final Logger log = LoggerFactory.getLogger(ThreadNice.class);
  private static final ThreadLocal<Boolean> DONE = ThreadLocal.withInitial(() -> false);
  private static volatile boolean failed;

  private ThreadNice() {}

  /** Best effort, once per thread; does nothing where it cannot (not Linux, no renice). */
  public static void lowerCurrentThread(int niceness) {
    if (niceness <= 0 || failed || DONE.get()) {
      return;
    }
    DONE.set(true);
    Path self = Path.of("/proc/thread-self");
    try {
      if (!Files.exists(self)) {
        return;
      }
      String tid = Files.readSymbolicLink(self).getFileName().toString();
      Process renice = new ProcessBuilder("renice", "-n", Integer.toString(niceness), "-p", tid)
          .redirectErrorStream(true).start();
      renice.getInputStream().readAllBytes();
      if (!renice.waitFor(5, TimeUnit.SECONDS) || renice.exitValue() != 0) {
        throw new IOException("renice exited with " + (renice.isAlive() ? "a timeout" : renice.exitValue()));
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      failed = true;
      log.info("Compute threads keep normal priority: {}", e.getMessage());
    }
  }
}
