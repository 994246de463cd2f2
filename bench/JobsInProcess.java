import dev.anvil.node.NodeConfig;
import dev.anvil.node.RunningNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The jobs' path on one node with nothing else in the way, for profiling (docs/jobs.md): one node
 * in this JVM on the given journal URL, and COUNT near-empty jobs submitted from 16 threads, three
 * rounds (the first ones warm the JIT); one line per round with the accepted rate. Add
 * {@code -XX:StartFlightRecording=filename=jobs.jfr,settings=profile} to profile it.
 *
 * <p>Usage: javac -cp target/anvil.jar -d CLASSES bench/JobsInProcess.java;
 * java -cp CLASSES:target/anvil.jar JobsInProcess 'jdbc:h2:file:/tmp/jobs;WRITE_DELAY=0' 4000
 */
public class JobsInProcess {
  public static void main(String[] args) throws Exception {
    Map<String, Object> config = new HashMap<>();
    config.put("anvil.http.port", 0);
    config.put("anvil.cluster.port", 0);
    config.put("anvil.management.port", 0);
    config.put("anvil.compute.workers", 1);
    config.put("anvil.jobs.journal.url", args[0]);
    config.put("anvil.jobs.journal.user", "sa");
    config.put("anvil.jobs.journal.password", "bench");
    int count = Integer.parseInt(args[1]);
    int threads = 16;
    try (RunningNode node = RunningNode.start(NodeConfig.load(config))) {
      HttpClient client = HttpClient.newHttpClient();
      HttpRequest submit = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/v1/jobs/primes"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"limit\":10}"))
          .build();
      for (int round = 1; round <= 3; round++) {
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          done.add(pool.submit(() -> {
            for (int i = 0; i < count / threads; i++) {
              try {
                int status = client.send(submit, HttpResponse.BodyHandlers.discarding()).statusCode();
                (status == 202 ? accepted : other).incrementAndGet();
              } catch (Exception e) {
                other.incrementAndGet();
              }
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("round %d: %d accepted, %d other, %.0f accepted/s%n", round, accepted.get(), other.get(),
            accepted.get() / seconds);
      }
    }
  }
}
