package dev.anvil.http;

import dev.anvil.metrics.AnvilMetrics;
import dev.anvil.security.AccessControl;
import java.util.Optional;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;

/**
 * {@code GET /metrics} on this node's management port too: the HTTP port of {@code start} is
 * shared by its nodes (a scrape there reaches any one of them), the management port is the
 * node's own, so Prometheus scrapes each node there. Same tokens as the HTTP API.
 * Named in {@code pekko.management.http.routes}.
 */
public final class ManagementMetricsRoutes extends AllDirectives implements ManagementRouteProvider {

  private final MetricsRoutes metrics;
  private final BearerAuth auth;

  public ManagementMetricsRoutes(ExtendedActorSystem system) {
    JsonResponses json = new JsonResponses(JacksonObjectMapperProvider.get(system).getOrCreate("anvil-http",
        Optional.empty()));
    this.metrics = new MetricsRoutes(AnvilMetrics.get(Adapter.toTyped(system)), json);
    this.auth = new BearerAuth(AccessControl.get(Adapter.toTyped(system)), json, AnvilMetrics.get(Adapter.toTyped(system)));
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return pathPrefixTest("metrics", () -> extractRequest(request -> {
      BearerAuth.Gate gate = auth.admit(request);
      return gate.passed() ? metrics.routes() : complete(gate.refusal());
    }));
  }
}
