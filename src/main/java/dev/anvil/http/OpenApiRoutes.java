package dev.anvil.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.compute.catalog.TaskCatalog;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code GET /openapi.json}: see {@link OpenApiDocument}; made once, as the kinds never change while a node runs. */
public final class OpenApiRoutes extends AllDirectives {

  private final HttpResponse document;

  public OpenApiRoutes(ObjectMapper mapper, TaskCatalog catalog) {
    String version = OpenApiRoutes.class.getPackage().getImplementationVersion();
    try {
      byte[] json = mapper.writeValueAsBytes(OpenApiDocument.build(mapper, catalog, version == null ? "dev" : version));
      this.document = HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the OpenAPI document", e);
    }
  }

  public Route routes() {
    return Endpoint.OPENAPI.route(() -> get(() -> complete(document)));
  }
}
