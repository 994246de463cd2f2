package dev.anvil.metrics;

import dev.anvil.compute.local.TaskIntake;
import dev.anvil.compute.task.TaskStats;
import dev.anvil.serialization.CborSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * The last five minutes of one node's throughput and compute latency, a sample a second, kept
 * whether or not anyone looks: the dashboard draws them as soon as it opens (as Grafana or
 * Flower do) instead of starting from an empty chart. Each node keeps its own, in memory (300
 * samples); a page asks every node once when it loads ({@code GET /v1/cluster/history}), then
 * follows the live stream.
 */
public final class LoadHistory {
  private LoadHistory() {}

  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "anvil-load-history");
  public static final Duration INTERVAL = Duration.ofSeconds(1);
  public static final int SAMPLES = 300;

  public sealed interface Command permits Query, Tick {}

  /** Anyone to a node's history: its samples, oldest first. */
  public record Query(ActorRef<History> replyTo) implements Command, CborSerializable {}

  private enum Tick implements Command { INSTANCE }

  /**
   * One second of a node.
   *
   * @param time when it was taken, in ms since the epoch
   * @param rate tasks its workers completed per second since the sample before
   * @param computeP50Ms of the tasks run on the node in the minute before; null when none ran
   */
  public record Sample(long time, double rate, Double computeP50Ms, Double computeP99Ms) implements CborSerializable {}

  public record History(String node, List<Sample> samples) implements CborSerializable {}

  public static Behavior<Command> create(String node, TaskIntake scheduler) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      TaskStats stats = TaskStats.get(ctx.getSystem());
      Ring ring = new Ring();
      return Behaviors.withTimers(timers -> {
        timers.startTimerWithFixedDelay(Tick.INSTANCE, INTERVAL);
        return Behaviors.receive(Command.class)
            .onMessageEquals(Tick.INSTANCE, () -> {
              TaskStats.Stats s = stats.stats();
              ring.record(System.currentTimeMillis(), scheduler.load().completed(), s.computeP50Ms(),
                  s.computeP99Ms());
              return Behaviors.same();
            })
            .onMessage(Query.class, q -> {
              q.replyTo().tell(new History(node, ring.samples()));
              return Behaviors.same();
            })
            .build();
      });
    });
  }

  /** The samples, in a ring of {@link #SAMPLES}; rates from the completed count's deltas. */
  static final class Ring {
    private final Sample[] samples = new Sample[SAMPLES];
    private int next;
    private int size;
    private long lastTime = -1;
    private long lastCompleted;

    void record(long time, long completed, Double p50, Double p99) {
      if (lastTime >= 0 && time > lastTime && completed >= lastCompleted) {
        samples[next] = new Sample(time, (completed - lastCompleted) * 1000.0 / (time - lastTime), p50, p99);
        next = (next + 1) % SAMPLES;
        size = Math.min(SAMPLES, size + 1);
      }
      lastTime = time;
      lastCompleted = completed;
    }

    List<Sample> samples() {
      List<Sample> list = new ArrayList<>(size);
      for (int i = 0; i < size; i++) {
        list.add(samples[Math.floorMod(next - size + i, SAMPLES)]);
      }
      return list;
    }
  }
}
