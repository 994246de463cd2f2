import com.typesafe.config.Config;
import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.local.LocalScheduler;
import dev.anvil.compute.protocol.LoadProtocolStats;
import dev.anvil.compute.protocol.PoolProtocol;
import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskRun;
import dev.anvil.node.NodeConfig;
import dev.anvil.node.RunningNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * What the load protocol costs each node as the cluster grows, and how well tasks are placed:
 * clusters of N one-worker nodes (ActorSystems in this JVM, each a full Anvil node), under a
 * steady load of 50 ms naps (the {@code nap} kind: a worker held, no CPU, so 24 nodes fit on
 * two cores). Tasks enter each node's scheduler directly, as its HTTP layer would hand them.
 *
 * <p>Phase "idle": no tasks. Phase "spread": every node receives 70 % of its worker's capacity,
 * Poisson arrivals.
 * Phase "one-entry": all of 50 % of the cluster's capacity enters the first node.
 *
 * <p>Prints one JSON line per cluster size and phase: load-protocol messages (and bytes, from
 * each message type's serialized size, without Artery's framing) sent plus received per node
 * per second; the share of tasks that waited more than 20 ms while some worker was idle when
 * they arrived; completed tasks per node (max over mean); pools each router lists and follows.
 *
 * <p>Usage: java -cp target/anvil.jar:bench/kinds/sieve.jar:CLASSES LoadScaling SECONDS SAMPLE N...
 * (SAMPLE: anvil.compute.routing-sample; 1000 follows every pool, as Anvil did before it sampled)
 */
public class LoadScaling {
  static final int NAP_MS = 50;
  static final byte[] INPUT = ("{\"ms\":" + NAP_MS + "}").getBytes(StandardCharsets.UTF_8);

  public static void main(String[] args) throws Exception {
    double seconds = Double.parseDouble(args[0]);
    int sample = Integer.parseInt(args[1]);
    for (int i = 2; i < args.length; i++) {
      run(Integer.parseInt(args[i]), sample, seconds);
    }
    System.exit(0);
  }

  static void run(int n, int sample, double seconds) throws Exception {
    List<RunningNode> nodes = new ArrayList<>();
    try {
      startCluster(nodes, n, seed -> nodeConfig(sample, seed));
      long end = System.nanoTime() + 120_000_000_000L;
      while (!following(nodes, Math.min(sample, n - 1))) {
        if (System.nanoTime() > end) {
          throw new IllegalStateException(n + " nodes did not follow each other in 120 s");
        }
        Thread.sleep(100);
      }
      ComputeTask<?, ?> nap = TaskCatalog.load(new com.fasterxml.jackson.databind.ObjectMapper(),
          LoadScaling.class.getClassLoader()).find("nap").orElseThrow();
      print(n, sample, "idle", load(nodes, nap, 0, null, seconds), nodes, seconds);
      double perNode = 0.7 * 1000.0 / NAP_MS;
      load(nodes, nap, perNode, null, Math.min(2, seconds)); // warm-up
      print(n, sample, "spread", load(nodes, nap, perNode, null, seconds), nodes, seconds);
      load(nodes, nap, 0, null, 3); // quiet: routers let go of the pools they probed
      double all = 0.5 * n * 1000.0 / NAP_MS;
      print(n, sample, "one-entry", load(nodes, nap, all, nodes.get(0), seconds), nodes, seconds);
    } finally {
      stopAll(nodes);
    }
  }

  /**
   * Starts {@code n} Anvil nodes in this JVM into {@code nodes} (so a caller's finally stops those that started):
   * the first, then the others side by side (each start mostly waits: binding, joining), all joining the first;
   * returns once every node sees n members Up. {@code config} gets the seed's node id, null for the first.
   */
  static void startCluster(List<RunningNode> nodes, int n, java.util.function.Function<String, Config> config)
      throws Exception {
    nodes.add(RunningNode.start(config.apply(null)));
    String seed = nodes.get(0).nodeId();
    ExecutorService starter = Executors.newFixedThreadPool(4);
    try {
      List<Future<RunningNode>> started = new ArrayList<>();
      for (int i = 1; i < n; i++) {
        started.add(starter.submit(() -> RunningNode.start(config.apply(seed))));
      }
      for (Future<RunningNode> f : started) {
        nodes.add(f.get());
      }
    } finally {
      starter.shutdown();
    }
    long end = System.nanoTime() + 120_000_000_000L;
    while (!allUp(nodes, n)) {
      if (System.nanoTime() > end) {
        throw new IllegalStateException(n + " nodes did not form a cluster in 120 s");
      }
      Thread.sleep(100);
    }
  }

  static void stopAll(List<RunningNode> nodes) {
    for (RunningNode node : nodes) {
      node.system().terminate();
    }
    for (RunningNode node : nodes) {
      node.system().getWhenTerminated().toCompletableFuture().join();
    }
  }

  static Config nodeConfig(int sample, String seed) {
    Map<String, Object> o = new HashMap<>();
    o.put("anvil.http.port", 0);
    o.put("anvil.cluster.port", 0);
    o.put("anvil.management.port", 0);
    o.put("anvil.compute.workers", 1);
    o.put("anvil.compute.routing-sample", sample);
    if (seed != null) {
      o.put("anvil.cluster.seed-nodes", seed);
    }
    return NodeConfig.load(o);
  }

  static boolean allUp(List<RunningNode> nodes, int n) {
    for (RunningNode node : nodes) {
      int up = 0;
      for (org.apache.pekko.cluster.Member m : Cluster.get(node.system()).state().getMembers()) {
        up += m.status() == MemberStatus.up() ? 1 : 0;
      }
      if (up != n) {
        return false;
      }
    }
    return true;
  }

  static boolean following(List<RunningNode> nodes, int each) {
    return nodes.stream().allMatch(node -> LoadProtocolStats.get(node.system()).poolsFollowed() >= each);
  }

  record Result(long[] sent, long[] received, long[] loads, long[] completed, long tasks, long rejected,
      long missedFreeWorker, List<Long> queueMs, long probes, Map<String, Long> kinds) {}

  /** Poisson arrivals at {@code rate} a second into every node (or only {@code into}) for {@code seconds}. */
  static Result load(List<RunningNode> nodes, ComputeTask<?, ?> nap, double rate, RunningNode into, double seconds)
      throws InterruptedException {
    int n = nodes.size();
    long[] sent0 = new long[n];
    long[] received0 = new long[n];
    long[] loads0 = new long[n];
    long[] probes0 = new long[n];
    Map<String, Long> kinds0 = new java.util.TreeMap<>();
    for (int i = 0; i < n; i++) {
      LoadProtocolStats s = LoadProtocolStats.get(nodes.get(i).system());
      s.byKind().forEach((k, v) -> kinds0.merge(k, v, Long::sum));
      probes0[i] = s.probes();
      sent0[i] = s.messagesSent();
      received0[i] = s.messagesReceived();
      loads0[i] = s.loadReports();
    }
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < n; i++) {
      index.put(nodes.get(i).nodeId(), i);
    }
    AtomicLongArray completed = new AtomicLongArray(n);
    ConcurrentLinkedQueue<Long> queueMs = new ConcurrentLinkedQueue<>();
    long[] counts = new long[3]; // tasks, rejected, waited while a worker was free
    ConcurrentLinkedQueue<long[]> missed = new ConcurrentLinkedQueue<>();
    List<RunningNode> targets = into == null ? nodes : List.of(into);
    double[] next = new double[targets.size()];
    long start = System.nanoTime();
    long stop = start + (long) (seconds * 1e9);
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; i < next.length; i++) {
      next[i] = rate <= 0 ? Double.MAX_VALUE : start + exp(random, rate);
    }
    while (System.nanoTime() < stop) {
      long now = System.nanoTime();
      for (int i = 0; i < next.length; i++) {
        while (next[i] <= now) {
          next[i] += exp(random, rate);
          LocalScheduler scheduler = targets.get(i).scheduler();
          boolean freeSomewhere = nodes.stream().anyMatch(node -> {
            LocalScheduler.Load l = node.scheduler().load();
            return l.running() < l.workers();
          });
          TaskRun job = new TaskRun(scheduler.nextId(), nap, INPUT, null, 10_000, System.nanoTime(), outcome -> {
            if (outcome instanceof TaskOutcome.Completed c) {
              Integer at = index.get(c.node());
              if (at != null) {
                completed.incrementAndGet(at);
              }
              queueMs.add(c.queueMs());
              if (freeSomewhere && c.queueMs() > 20) {
                missed.add(new long[] {1});
              }
            }
          });
          counts[0]++;
          LocalScheduler.Admission admitted = scheduler.submit(job);
          if (admitted == LocalScheduler.Admission.REJECTED || admitted == LocalScheduler.Admission.UNAVAILABLE) {
            counts[1]++;
          }
        }
      }
      Thread.sleep(1);
    }
    Thread.sleep(NAP_MS * 3L); // the last tasks end
    long[] sent = new long[n];
    long[] received = new long[n];
    long[] loads = new long[n];
    long[] done = new long[n];
    long probes = 0;
    Map<String, Long> kinds = new java.util.TreeMap<>();
    for (int i = 0; i < n; i++) {
      LoadProtocolStats s = LoadProtocolStats.get(nodes.get(i).system());
      s.byKind().forEach((k, v) -> kinds.merge(k, v, Long::sum));
      probes += s.probes() - probes0[i];
      sent[i] = s.messagesSent() - sent0[i];
      received[i] = s.messagesReceived() - received0[i];
      loads[i] = s.loadReports() - loads0[i];
      done[i] = completed.get(i);
    }
    kinds0.forEach((k, v) -> kinds.merge(k, -v, Long::sum));
    return new Result(sent, received, loads, done, counts[0], counts[1], missed.size(), new ArrayList<>(queueMs),
        probes, kinds);
  }

  static double exp(ThreadLocalRandom random, double rate) {
    return -Math.log(1 - random.nextDouble()) / rate * 1e9;
  }

  static void print(int n, int sample, String phase, Result r, List<RunningNode> nodes, double seconds) {
    RunningNode first = nodes.get(0);
    Serialization serialization = SerializationExtension.get(first.system().classicSystem());
    PoolProtocol.PoolLoad load = new PoolProtocol.PoolLoad(first.pool(), first.pool(), first.nodeId(), 1, 1, 0,
        123_456, true, 1, 0, 123_456);
    int loadBytes = serialization.serialize(load).get().length;
    int watchBytes = serialization.serialize(new PoolProtocol.WatchLoad(first.router())).get().length;
    long msgs = 0;
    long maxMsgs = 0;
    long bytes = 0;
    long maxDone = 0;
    long sum = 0;
    for (int i = 0; i < n; i++) {
      long m = r.sent()[i] + r.received()[i];
      msgs += m;
      maxMsgs = Math.max(maxMsgs, m);
      bytes += r.loads()[i] * loadBytes + (m - r.loads()[i]) * watchBytes;
      maxDone = Math.max(maxDone, r.completed()[i]);
      sum += r.completed()[i];
    }
    long ran = 0;
    for (long c : r.completed()) {
      ran += c > 0 ? 1 : 0;
    }
    List<Long> q = r.queueMs();
    q.sort(Long::compare);
    long p99 = q.isEmpty() ? 0 : q.get(Math.min(q.size() - 1, (int) (q.size() * 0.99)));
    long listed = 0;
    long followed = 0;
    for (RunningNode node : nodes) {
      followed += LoadProtocolStats.get(node.system()).poolsFollowed();
      listed += n - 1;
    }
    System.out.printf(Locale.ROOT, "{\"nodes\":%d,\"sample\":%d,\"phase\":\"%s\",\"msgs_per_node_s\":%.1f,"
            + "\"max_msgs_per_node_s\":%.1f,\"bytes_per_node_s\":%.0f,\"tasks\":%d,\"completed\":%d,\"rejected\":%d,"
            + "\"waited_while_free_share\":%.4f,\"queue_p99_ms\":%d,\"busiest_over_mean\":%.2f,\"nodes_that_ran\":%d,"
            + "\"pools_listed_per_node\":%.1f,\"pools_followed_per_node\":%.1f,\"probes_per_node_s\":%.1f,"
            + "\"sent_per_node_s\":{%s}}%n",
        n, sample, phase, msgs / (double) n / seconds, maxMsgs / seconds, bytes / (double) n / seconds, r.tasks(),
        sum, r.rejected(), r.tasks() == 0 ? 0 : r.missedFreeWorker() / (double) r.tasks(), p99,
        sum == 0 ? 0 : maxDone / (sum / (double) n), ran, listed / (double) n, followed / (double) n,
        r.probes() / (double) n / seconds, r.kinds().entrySet().stream()
            .filter(e -> e.getKey().startsWith("sent "))
            .map(e -> String.format(Locale.ROOT, "\"%s\":%.1f", e.getKey().substring(5), e.getValue() / (double) n / seconds))
            .collect(java.util.stream.Collectors.joining(",")));
  }
}
