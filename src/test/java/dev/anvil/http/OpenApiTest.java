package dev.anvil.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.InputFormat;
import dev.anvil.HttpTestClient;
import dev.anvil.OpenApiConformance;
import dev.anvil.TestNodes;
import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.node.RunningNode;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code /openapi.json}: a valid OpenAPI 3.1 document of every route, with every kind's schemas. */
class OpenApiTest {

  private static final List<String> BUILT_IN = List.of("primes", "pbkdf2", "mandelbrot", "stats", "spin");

  private static RunningNode node;
  private static HttpTestClient http;
  private static JsonNode doc;

  @BeforeAll
  static void start() {
    node = TestNodes.start();
    http = new HttpTestClient(node.httpPort());
    HttpResponse<String> r = http.get("/openapi.json");
    assertThat(r.statusCode()).isEqualTo(200);
    doc = HttpTestClient.json(r);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void theDocumentIsValidOpenApi31() {
    SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(http.get("/openapi.json").body());
    assertThat(parsed.getMessages()).isEmpty();
    assertThat(parsed.getOpenAPI().getOpenapi()).isEqualTo("3.1.0");
    assertThat(parsed.getOpenAPI().getPaths()).containsKeys("/health", "/v1/jobs/{id}", "/v1/tasks/primes");
  }

  @Test
  void everyRouteTheServerServesIsInTheDocument() {
    // Endpoint.TEMPLATES is the server's own table of its routes (its routes and metric labels come from it)
    List<String> missing = new ArrayList<>();
    for (String route : Endpoint.TEMPLATES) {
      if (route.contains("{kind}")) {
        for (JsonNode kind : HttpTestClient.json(http.get("/v1/kinds"))) {
          String path = route.replace("{kind}", kind.at("/kind").asText());
          if (!doc.at("/paths").has(path)) {
            missing.add(path);
          }
        }
      } else if (!doc.at("/paths").has(route)) {
        missing.add(route);
      }
    }
    assertThat(missing).isEmpty();
    // and the document names no route the server does not serve
    doc.at("/paths").fieldNames().forEachRemaining(path -> assertThat(Endpoint.routeOf("GET", path))
        .as(path).isNotEqualTo("other"));
  }

  @Test
  void everyKindHasItsInputAndResultSchemaAndItsExampleIsValid() {
    OpenApiConformance conformance = http.conformance();
    for (JsonNode kind : HttpTestClient.json(http.get("/v1/kinds"))) {
      String name = kind.at("/kind").asText();
      assertThat(doc.at("/components/schemas/" + name + ".Input/type").asText()).as(name).isEqualTo("object");
      assertThat(doc.at("/components/schemas").has(name + ".Result")).as(name).isTrue();
      if (!BUILT_IN.contains(name)) {
        continue; // the test class path's kinds fail on purpose, some of them
      }
      assertThat(doc.at("/components/schemas/" + name + ".Result/type").asText()).as(name).isEqualTo("object");
      String example = kind.at("/example").toString();
      assertThat(conformance.schema("/components/schemas/" + name + ".Input").validate(example, InputFormat.JSON))
          .as(name).isEmpty();
      // a real run of the example, checked by the client against the path's response schema
      assertThat(http.postTask(name, example).statusCode()).as(name).isEqualTo(200);
    }
  }

  @Test
  void schemasAreStrictAboutTypesAndUnknownFields() {
    OpenApiConformance conformance = http.conformance();
    assertThat(conformance.schema("/components/schemas/primes.Input").validate("{\"limit\":\"10\"}", InputFormat.JSON))
        .isNotEmpty();
    assertThat(conformance.schema("/components/schemas/primes.Input").validate("{\"limits\":10}", InputFormat.JSON))
        .isNotEmpty();
    assertThat(conformance.schema("/components/schemas/primes.Result")
        .validate("{\"limit\":10,\"count\":4}", InputFormat.JSON)).isEmpty();
  }

  @Test
  void aUserKindIsDocumentedFromItsRecords() {
    ObjectMapper mapper = new ObjectMapper();
    TaskCatalog catalog = TaskCatalog.of(mapper, List.of(new dev.anvil.compute.TestKinds.Letters()));
    ObjectNode built = OpenApiDocument.build(mapper, catalog, "test");
    String kind = catalog.all().iterator().next().kind();
    assertThat(built.at("/paths").has("/v1/tasks/" + kind)).isTrue();
    assertThat(built.at("/paths").has("/v1/jobs/" + kind)).isTrue();
    assertThat(built.at("/components/schemas/" + kind + ".Input/properties/size/type").asText()).isEqualTo("integer");
    assertThat(built.at("/components/schemas/" + kind + ".Result/type").asText()).isEqualTo("string");
  }
}
