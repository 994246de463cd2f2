package dev.anvil.config;

import com.typesafe.config.Config;
import java.time.Duration;

/** {@code anvil.compute}: the workers of one node, its queue, and task deadlines. */
public record ComputeSettings(
    int workers, int queuePerWorker, int prefetchPerWorker, Duration spillAfter, Duration admissionWait,
    Duration defaultTimeout, Duration maxTimeout, Duration drainTimeout, int threadNiceness, Duration stuckGrace,
    int maxStuckWorkers, int routingSample) {

  /** One thread per worker (a PinnedDispatcher), so a task never waits for a thread another task holds. */
  public static final String DISPATCHER = "anvil.compute.pinned-dispatcher";

  public static ComputeSettings fromConfig(Config anvil) {
    Config c = anvil.getConfig("compute");
    return new ComputeSettings(
        resolveWorkers(c.getInt("workers")),
        c.getInt("queue-per-worker"),
        c.getInt("prefetch-per-worker"),
        c.getDuration("spill-after"),
        c.getDuration("admission-wait"),
        c.getDuration("default-timeout"),
        c.getDuration("max-timeout"),
        c.getDuration("drain-timeout"),
        c.getInt("thread-niceness"),
        c.getDuration("stuck-grace"),
        c.getInt("max-stuck-workers"),
        c.getInt("routing-sample"));
  }

  /** {@code workers = 0} means one per core this JVM may use. */
  public static int resolveWorkers(int configured) {
    return configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
  }

  /** Waiting tasks this node holds beyond those running. */
  public int queueCapacity() {
    return Math.max(1, workers) * queuePerWorker;
  }
}
