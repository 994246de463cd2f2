import com.typesafe.config.Config;
import dev.anvil.node.NodeConfig;
import dev.anvil.node.RunningNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSelectionMessage;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.remote.artery.RemoteInstrument;

/**
 * What a job costs the cluster in messages between nodes as the cluster grows (issue 21: flat from
 * 3 to 24 nodes). Clusters of N one-worker Anvil nodes (ActorSystems in this JVM, as
 * {@code LoadScaling} runs them) on one H2 journal in memory. Artery calls {@link Counter}, a
 * {@link RemoteInstrument}, for every message a node sends to another, with its serialized size;
 * messages are counted by what they are: a job's own ({@code dev.anvil.jobs}, also inside a
 * sharding envelope), task routing ({@code dev.anvil.compute}), where shards live (their
 * allocation, kept in distributed data, and each region's lookups of a shard's home: once per
 * shard and per node, so they fall to nothing as the cluster warms), and the cluster's own
 * (gossip, heartbeats). Per N: JOBS near-empty jobs to warm up
 * (shard homes learnt, projections running), an idle phase for the background rate, then JOBS
 * jobs submitted round robin to every node's HTTP from 16 threads, waited for in the listing's
 * table (read over JDBC: no cluster messages). One JSON line per N: messages and bytes per job by
 * kind, the cluster's own minus its idle rate over the same time.
 *
 * <p>Usage: javac -cp target/anvil.jar -d CLASSES bench/LoadScaling.java bench/JobScaling.java;
 * ANVIL_LOG_LEVEL=WARN java -Xmx8g -cp CLASSES:target/anvil.jar JobScaling JOBS WARM N...
 */
public class JobScaling {

  /** Counts every message this JVM's nodes send to another node, by kind. */
  public static final class Counter extends RemoteInstrument {
    static final Map<String, LongAdder[]> SENT = new ConcurrentHashMap<>();
    static final Map<String, LongAdder> BY_CLASS = new ConcurrentHashMap<>();

    @Override
    public byte identifier() {
      return 21;
    }

    @Override
    public void remoteWriteMetadata(ActorRef recipient, Object message, ActorRef sender, ByteBuffer buffer) {}

    @Override
    public void remoteMessageSent(ActorRef recipient, Object message, ActorRef sender, int size, long time) {
      LongAdder[] counts = SENT.computeIfAbsent(kind(message), k -> new LongAdder[] {new LongAdder(), new LongAdder()});
      counts[0].increment();
      counts[1].add(size);
      Object inner = message instanceof ShardingEnvelope<?> e ? e.message()
          : message instanceof ActorSelectionMessage m ? m.msg() : message;
      BY_CLASS.computeIfAbsent(inner.getClass().getName(), k -> new LongAdder()).increment();
    }

    @Override
    public void remoteReadMetadata(ActorRef recipient, Object message, ActorRef sender, ByteBuffer buffer) {}

    @Override
    public void remoteMessageReceived(ActorRef recipient, Object message, ActorRef sender, int size, long time) {}

    static String kind(Object message) {
      Object inner = message instanceof ShardingEnvelope<?> e ? e.message()
          : message instanceof ActorSelectionMessage m ? m.msg() : message;
      String name = inner.getClass().getName();
      if (name.startsWith("dev.anvil.jobs.")) {
        return "job";
      } else if (name.startsWith("dev.anvil.")) {
        return "routing";
      } else if (name.startsWith("org.apache.pekko.cluster.sharding.")
          || name.startsWith("org.apache.pekko.cluster.ddata.")) {
        return "shards"; // where a shard lives: its allocation (kept in distributed data), and each region's lookups
      }
      return "cluster";
    }

    static Map<String, long[]> snapshotAndReset() {
      Map<String, long[]> out = new TreeMap<>();
      SENT.forEach((k, v) -> out.put(k, new long[] {v[0].sumThenReset(), v[1].sumThenReset()}));
      return out;
    }
  }

  public static void main(String[] args) throws Exception {
    int jobs = Integer.parseInt(args[0]);
    int warm = Integer.parseInt(args[1]);
    for (int i = 2; i < args.length; i++) {
      run(Integer.parseInt(args[i]), jobs, warm);
    }
    System.exit(0);
  }

  static void run(int n, int jobs, int warm) throws Exception {
    String url = "jdbc:h2:mem:jobscaling-" + n + ";DB_CLOSE_DELAY=-1";
    List<RunningNode> nodes = new ArrayList<>();
    try (Connection db = DriverManager.getConnection(url, "sa", "bench")) {
      LoadScaling.startCluster(nodes, n, seed -> nodeConfig(url, seed));
      HttpClient client = HttpClient.newHttpClient();
      int warmRefused = submitAll(client, nodes, warm, db, 0); // warm-up
      Thread.sleep(2_000);
      Counter.snapshotAndReset();
      long idleStart = System.nanoTime();
      Thread.sleep(5_000);
      Map<String, long[]> idle = Counter.snapshotAndReset();
      double idleSeconds = (System.nanoTime() - idleStart) / 1e9;

      long start = System.nanoTime();
      int refused = submitAll(client, nodes, jobs, db, warm - warmRefused);
      double seconds = (System.nanoTime() - start) / 1e9;
      Map<String, long[]> busy = Counter.snapshotAndReset();
      // the message classes sent most, warm-up and idle included, on stderr
      Counter.BY_CLASS.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().sum(), a.getValue().sum()))
          .limit(12).forEach(e -> System.err.println("N=" + n + " " + e.getValue().sum() + " " + e.getKey()));
      Counter.BY_CLASS.clear();

      StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
          "{\"nodes\":%d,\"warmUpJobs\":%d,\"jobs\":%d,\"refused\":%d,\"seconds\":%.1f,\"jobsPerSecond\":%.0f", n,
          warm, jobs, refused, seconds, jobs / seconds));
      double allMessages = 0;
      double allBytes = 0;
      for (String kind : List.of("job", "routing", "shards", "cluster")) {
        long[] b = busy.getOrDefault(kind, new long[2]);
        long[] i = idle.getOrDefault(kind, new long[2]);
        // what the cluster sends anyway, at its idle rate over the same time, is not the jobs'
        double messages = Math.max(0, b[0] - i[0] * seconds / idleSeconds) / jobs;
        double bytes = Math.max(0, b[1] - i[1] * seconds / idleSeconds) / jobs;
        allMessages += messages;
        allBytes += bytes;
        line.append(String.format(Locale.ROOT, ",\"%s\":{\"messagesPerJob\":%.2f,\"bytesPerJob\":%.0f,"
            + "\"idleMessagesPerSecond\":%.1f}", kind, messages, bytes, i[0] / idleSeconds));
      }
      line.append(String.format(Locale.ROOT, ",\"messagesPerJob\":%.2f,\"bytesPerJob\":%.0f}", allMessages, allBytes));
      System.out.println(line);
    } finally {
      LoadScaling.stopAll(nodes);
    }
  }

  /**
   * Submits {@code jobs} near-empty jobs round robin over the nodes, then waits until all that were
   * accepted succeeded; returns how many were not accepted (a cluster that just formed may answer
   * 503 for a moment).
   */
  static int submitAll(HttpClient client, List<RunningNode> nodes, int jobs, Connection db, int before)
      throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        done.add(pool.submit(() -> {
          for (int i = next.getAndIncrement(); i < jobs; i = next.getAndIncrement()) {
            RunningNode node = nodes.get(i % nodes.size());
            HttpRequest submit = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort()
                    + "/v1/jobs/primes")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"limit\":10}")).build();
            if (client.send(submit, HttpResponse.BodyHandlers.discarding()).statusCode() != 202) {
              refused.incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    long end = System.nanoTime() + 300_000_000_000L;
    while (succeeded(db) < before + jobs - refused.get()) {
      if (System.nanoTime() > end) {
        throw new IllegalStateException("jobs did not all succeed within 300 s: " + succeeded(db));
      }
      Thread.sleep(100);
    }
    return refused.get();
  }

  static int succeeded(Connection db) throws Exception {
    try (Statement s = db.createStatement();
        ResultSet r = s.executeQuery("SELECT COUNT(*) FROM anvil_jobs WHERE status = 'succeeded'")) {
      return r.next() ? r.getInt(1) : 0;
    } catch (java.sql.SQLException e) {
      return 0; // the table is not there before the first node made it
    }
  }

  static Config nodeConfig(String url, String seed) {
    Map<String, Object> o = new HashMap<>();
    o.put("anvil.http.port", 0);
    o.put("anvil.cluster.port", 0);
    o.put("anvil.management.port", 0);
    o.put("anvil.compute.workers", 1);
    o.put("anvil.jobs.journal.url", url);
    o.put("anvil.jobs.journal.user", "sa");
    o.put("anvil.jobs.journal.password", "bench");
    o.put("anvil.jobs.journal.max-connections", 2);
    o.put("pekko.remote.artery.advanced.instruments", List.of(Counter.class.getName()));
    if (seed != null) {
      o.put("anvil.cluster.seed-nodes", seed);
    }
    return NodeConfig.load(o);
  }
}
