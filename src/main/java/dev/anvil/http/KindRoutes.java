package dev.anvil.http;

import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.spi.ComputeTask;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code GET /v1/kinds}: the kinds this node runs, each with an example input. */
public final class KindRoutes extends AllDirectives {

  public record KindInfo(String kind, String description, Object example) {}

  private final HttpResponse kinds;

  public KindRoutes(TaskCatalog catalog, JsonResponses json) {
    List<KindInfo> list = catalog.all().stream().map(KindRoutes::info).toList();
    this.kinds = json.ok(list); // the catalog never changes while a node runs
  }

  private static KindInfo info(ComputeTask<?, ?> task) {
    return new KindInfo(task.kind(), task.description(), task.exampleInput());
  }

  public Route routes() {
    return Endpoint.KINDS.route(() -> get(() -> complete(kinds)));
  }
}
