import com.example.Sieve;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.compute.spi.TaskContext;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import com.typesafe.config.ConfigFactory;

/**
 * The floor: the least a Pekko HTTP server needs to run a CPU task off its I/O threads. One
 * JVM, no cluster, no actors for the work: the route parses the body and completes with a
 * CompletableFuture run on a fixed dispatcher of THREADS threads, the way the Pekko HTTP docs
 * suggest for blocking or CPU-heavy work. Same contract as Anvil for the benchmark's kind.
 *
 * Usage: java -cp target/anvil.jar:bench/kinds/sieve.jar bench/Floor.java PORT THREADS
 */
public class Floor extends AllDirectives {
  static final ObjectMapper JSON = new ObjectMapper();
  static final TaskContext NO_DEADLINE = new TaskContext() {
    @Override public Duration remaining() { return Duration.ofHours(1); }
    @Override public boolean isCancelled() { return false; }
    @Override public void checkCancelled() {}
    @Override public void reportProgress(double fraction) {}
  };

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    int threads = Integer.parseInt(args[1]);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "floor", ConfigFactory.parseString(
        "pekko.loglevel = WARNING\n"
            + "work { type = Dispatcher, executor = thread-pool-executor,"
            + " thread-pool-executor.fixed-pool-size = " + threads + ", throughput = 1 }")
        .withFallback(ConfigFactory.load()));
    Executor work = system.dispatchers().lookup(DispatcherSelector.fromConfig("work"));
    Http.get(system).newServerAt("127.0.0.1", port).bind(new Floor().route(work))
        .thenAccept(b -> System.out.println("floor serving http://127.0.0.1:" + port + " with " + threads
            + " threads"));
  }

  Route route(Executor work) {
    String node = "floor";
    return concat(
        path("health", () -> get(() -> complete(HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON,
            "{\"status\":\"UP\",\"node\":\"floor\",\"members\":1}")))),
        path(PathMatchers.segment("v1").slash("tasks").slash("sieve"), () -> post(() -> entity(
            org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller.entityToString(), body -> {
              int limit;
              try {
                JsonNode in = JSON.readTree(body);
                limit = in.get("limit").intValue();
              } catch (Exception e) {
                return complete(org.apache.pekko.http.javadsl.model.StatusCodes.BAD_REQUEST, "bad input");
              }
              long received = System.nanoTime();
              return completeWithFuture(CompletableFuture.supplyAsync(() -> {
                long start = System.nanoTime();
                long count = Sieve.count(limit, NO_DEADLINE);
                long end = System.nanoTime();
                return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON,
                    "{\"kind\":\"sieve\",\"result\":{\"limit\":" + limit + ",\"count\":" + count + "},\"node\":\""
                        + node + "\",\"receivedBy\":\"" + node + "\",\"queueMs\":" + (start - received) / 1_000_000
                        + ",\"computeMs\":" + (end - start) / 1_000_000 + "}");
              }, work));
            }))));
  }
}
