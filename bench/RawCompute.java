import com.example.Sieve;
import dev.anvil.compute.spi.TaskContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The raw compute limit of Java: the benchmark's sieve (the same code Anvil runs as a user's
 * kind) in a tight loop on THREADS threads of one JVM, with no HTTP, actors or routing.
 * Warms up the JIT on each limit first, as a running server would be. Prints one JSON line
 * per limit: {"limit":..,"tasksPerSecond":..}.
 *
 * Usage: java -cp target/anvil.jar:bench/kinds/sieve.jar bench/RawCompute.java THREADS SECONDS LIMIT...
 */
public class RawCompute {
  static final TaskContext NO_DEADLINE = new TaskContext() {
    @Override public Duration remaining() { return Duration.ofHours(1); }
    @Override public boolean isCancelled() { return false; }
    @Override public void checkCancelled() {}
    @Override public void reportProgress(double fraction) {}
  };

  public static void main(String[] args) throws Exception {
    int threads = Integer.parseInt(args[0]);
    double seconds = Double.parseDouble(args[1]);
    for (int i = 2; i < args.length; i++) {
      int limit = Integer.parseInt(args[i]);
      run(limit, 1.5, threads); // warm-up
      System.out.printf("{\"limit\":%d,\"threads\":%d,\"tasksPerSecond\":%.1f}%n", limit, threads,
          run(limit, seconds, threads));
    }
  }

  static double run(int limit, double seconds, int threads) throws InterruptedException {
    AtomicBoolean running = new AtomicBoolean(true);
    LongAdder done = new LongAdder();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      workers.add(new Thread(() -> {
        while (running.get()) {
          if (Sieve.count(limit, NO_DEADLINE) >= 0) {
            done.increment();
          }
        }
      }));
    }
    long start = System.nanoTime();
    workers.forEach(Thread::start);
    Thread.sleep((long) (seconds * 1000));
    running.set(false);
    for (Thread t : workers) {
      t.join();
    }
    return done.sum() / ((System.nanoTime() - start) / 1e9);
  }
}
