import dev.anvil.compute.kinds.Primes;
import dev.anvil.compute.spi.TaskContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The raw compute limit: Anvil's own primes kind called in a tight loop on every core of one
 * JVM, with no HTTP, actors or routing. Prints {"tasksPerSecond":...}.
 *
 * Usage: java -cp target/anvil.jar bench/RawCompute.java THREADS SECONDS LIMIT
 */
public class RawCompute {
  public static void main(String[] args) throws Exception {
    int threads = Integer.parseInt(args[0]);
    double seconds = Double.parseDouble(args[1]);
    int limit = Integer.parseInt(args[2]);
    Primes primes = new Primes();
    TaskContext context = new TaskContext() {
      @Override public Duration remaining() { return Duration.ofHours(1); }
      @Override public boolean isCancelled() { return false; }
      @Override public void checkCancelled() {}
      @Override public void reportProgress(double fraction) {}
    };
    // warm up the JIT first, as a running server would be
    long warmEnd = System.nanoTime() + 2_000_000_000L;
    while (System.nanoTime() < warmEnd) {
      primes.run(new Primes.Input(limit), context);
    }
    AtomicBoolean running = new AtomicBoolean(true);
    LongAdder done = new LongAdder();
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(() -> {
        while (running.get()) {
          if (primes.run(new Primes.Input(limit), context).count() > 0) {
            done.increment();
          }
        }
      });
      workers.add(t);
    }
    long start = System.nanoTime();
    workers.forEach(Thread::start);
    Thread.sleep((long) (seconds * 1000));
    running.set(false);
    for (Thread t : workers) {
      t.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    System.out.printf("{\"tasksPerSecond\":%.1f,\"threads\":%d,\"limit\":%d,\"seconds\":%.2f}%n",
        done.sum() / elapsed, threads, limit, elapsed);
  }
}
