package dev.anvil.http;

import dev.anvil.metrics.AnvilMetrics;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code GET /metrics}: this node's meters in Prometheus text format (version 0.0.4). */
public final class MetricsRoutes extends AllDirectives {

  public static final ContentType PROMETHEUS_TEXT = MediaTypes.customWithOpenCharset("text", "plain",
      java.util.Map.of("version", "0.0.4"), true).toContentType(HttpCharsets.UTF_8);

  private final AnvilMetrics metrics;
  private final JsonResponses json;

  public MetricsRoutes(AnvilMetrics metrics, JsonResponses json) {
    this.metrics = metrics;
    this.json = json;
  }

  public Route routes() {
    return Endpoint.METRICS.route(() -> get(() -> complete(scrape())));
  }

  private HttpResponse scrape() {
    if (!metrics.enabled()) {
      return json.problem(StatusCodes.NOT_FOUND, "metrics-off", "metrics are off on this node (anvil.metrics.enabled)");
    }
    return HttpResponse.create().withEntity(PROMETHEUS_TEXT, metrics.scrape().getBytes(StandardCharsets.UTF_8));
  }
}
