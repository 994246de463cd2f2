package dev.anvil.http;

import dev.anvil.config.HttpSettings;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
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
public final class HttpServer extends AllDirectives {

  private final AtomicBoolean closing = new AtomicBoolean();

  private HttpServer() {}

  public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, HttpSettings http, Route route) {
    return new HttpServer().start(system, http, route);
  }

  private CompletionStage<ServerBinding> start(ActorSystem<?> system, HttpSettings http, Route route) {
    var server = Http.get(system).newServerAt(http.host(), http.port());
    if (http.reusePort()) {
      server = server.adaptSettings(s -> s.withSocketOptions(List.of(new ReusePort())));
    }
    if (http.keyStore().isPresent()) {
      server = server.enableHttps(ConnectionContext.httpsServer(
          TlsContexts.server(http.keyStore().get(), http.keyStorePassword())));
    }
    Route closingAware = mapResponse(
        response -> closing.get() ? response.addHeader(Connection.create("close")) : response, () -> route);
    return server.bind(closingAware).thenApply(binding -> {
      drainOnShutdown(system, binding, http);
      return binding;
    });
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
