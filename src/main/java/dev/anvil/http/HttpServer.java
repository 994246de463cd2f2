package dev.anvil.http;

import dev.anvil.config.HttpSettings;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;

/** Binds the API, with SO_REUSEPORT when configured, and unbinds it gracefully on shutdown. */
public final class HttpServer {
  private HttpServer() {}

  private static final Duration DRAIN = Duration.ofSeconds(10);

  public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, HttpSettings http, Route route) {
    var server = Http.get(system).newServerAt(http.host(), http.port());
    if (http.reusePort()) {
      server = server.adaptSettings(s -> s.withSocketOptions(List.of(new ReusePort())));
    }
    return server.bind(route).thenApply(binding -> binding.addToCoordinatedShutdown(DRAIN, system));
  }
}
