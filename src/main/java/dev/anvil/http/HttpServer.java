package dev.anvil.http;

import dev.anvil.config.HttpSettings;
import dev.anvil.metrics.AnvilMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import dev.anvil.security.TlsContexts;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Binds the API, with SO_REUSEPORT when configured, and takes it down without failing a
 * client on shutdown: stop accepting, then for a short linger keep serving open connections
 * but tell each client ({@code Connection: close}) to go elsewhere for its next request, then
 * wait for the requests still in flight.
 */
public final class HttpServer {

  private static final org.slf4j.Logger ACCESS = org.slf4j.LoggerFactory.getLogger("anvil.access");

  private final AtomicBoolean closing = new AtomicBoolean();
  private final AnvilMetrics metrics;

  private HttpServer(AnvilMetrics metrics) {
    this.metrics = metrics;
  }

  /** Serves {@code tasks} for task requests and {@code route} for everything else. */
  public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, HttpSettings http, Route route,
      TaskEndpoint tasks) {
    return new HttpServer(AnvilMetrics.get(system)).start(system, http, route, tasks);
  }

  private CompletionStage<ServerBinding> start(ActorSystem<?> system, HttpSettings http, Route route,
      TaskEndpoint tasks) {
    var server = Http.get(system).newServerAt(http.host(), http.port());
    if (http.reusePort()) {
      server = server.adaptSettings(s -> s.withSocketOptions(List.of(new ReusePort())));
    }
    if (http.keyStore().isPresent()) {
      server = server.enableHttps(ConnectionContext.httpsServer(
          TlsContexts.server(http.keyStore().get(), http.keyStorePassword())));
    }
    // A future from Scala (the routes', an ask's) runs thenApply and its kin on the common pool,
    // and where that pool has a single core (every node JVM of start) on a new thread per call:
    // it cost /health four fifths of its throughput. So each side adds the header where it makes
    // the response, and every continuation here is an *Async one on the completing thread.
    Function<HttpRequest, CompletionStage<HttpResponse>> routes =
        new AllDirectives() {}.mapResponse(this::closingAware, () -> route).handler(system);
    boolean observed = http.accessLog() || metrics.enabled();
    // Made once per connection: a client that closes its connection cancels the task it waits for.
    Flow<HttpRequest, HttpResponse, ?> handler = Flow.fromMaterializer((materializer, attributes) -> {
      ClientConnection connection = tasks.connection();
      return Flow.of(HttpRequest.class)
          .watchTermination((notUsed, done) -> {
            done.whenComplete((d, error) -> connection.closed());
            return notUsed;
          })
          .mapAsync(1, request -> {
            long start = observed ? System.nanoTime() : 0;
            String kind = TaskEndpoint.kindOf(request);
            CompletionStage<HttpResponse> response = kind != null
                ? tasks.handle(request, kind, connection).thenApplyAsync(this::closingAware, Runnable::run)
                : routes.apply(request.addAttribute(ClientConnection.KEY, connection));
            // on the thread that completes the response: a Scala future's plain thenApply hops threads
            return observed ? response.thenApplyAsync(r -> observe(request, r, start, http.accessLog()), Runnable::run)
                : response;
          });
    });
    return server.bindFlow(handler).thenApply(binding -> {
      drainOnShutdown(system, binding, http);
      return binding;
    });
  }

  private HttpResponse observe(HttpRequest request, HttpResponse response, long startNanos, boolean log) {
    long nanos = System.nanoTime() - startNanos;
    String path = request.getUri().path();
    metrics.request(request.method().value(), Endpoint.routeOf(request.method().value(), path), response.status().intValue(), nanos);
    if (log && ACCESS.isInfoEnabled()) {
      ACCESS.info("{} {} {} {} {}ms", request.method().value(), path, response.status().intValue(),
          response.entity().getContentLengthOption().orElse(-1), nanos / 1_000_000);
    }
    return response;
  }

  private HttpResponse closingAware(HttpResponse response) {
    return closing.get() ? response.addHeader(Connection.create("close")) : response;
  }

  private void drainOnShutdown(ActorSystem<?> system, ServerBinding binding, HttpSettings http) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "http-unbind-and-linger", () -> {
      closing.set(true);
      return binding.unbind().thenCompose(done -> after(http.shutdownLinger()));
    });
    shutdown.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "http-requests-done",
        () -> binding.terminate(http.shutdownDeadline()).thenApply(terminated -> Done.getInstance()));
  }

  private static CompletionStage<Done> after(Duration delay) {
    return CompletableFuture.supplyAsync(Done::getInstance,
        CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS));
  }
}
