package dev.anvil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Checks a real response against a node's own {@code /openapi.json}: its route and method are
 * documented, its status is one the operation lists, its content type one that status lists, and
 * a JSON body is valid against the schema there (JSON Schema 2020-12, networknt's validator).
 * {@link HttpTestClient} checks every response it gets, so every end-to-end test checks the
 * document too.
 */
public final class OpenApiConformance {

  private static final String ID = "https://anvil.invalid/openapi.json";
  /** What a path no route serves may answer: the routes' rejections and the HTTP parser's errors. */
  private static final Set<Integer> UNROUTED = Set.of(400, 404, 405, 413, 414, 431, 501, 505);

  private final JsonNode doc;
  private final SchemaRegistry registry;
  private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

  static {
    // the document's own keys (openapi, paths...) are not JSON Schema: one warning each, for nothing
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("com.networknt.schema"))
        .setLevel(ch.qos.logback.classic.Level.ERROR);
  }

  public OpenApiConformance(String document) {
    try {
      this.doc = HttpTestClient.JSON.readTree(document);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
    this.registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
        builder -> builder.schemas(Map.of(ID, document)));
  }

  public JsonNode document() {
    return doc;
  }

  /** The path template of the document that serves {@code path}, or null: a concrete path before a templated one. */
  public String pathOf(String path) {
    if (doc.at("/paths").has(path)) {
      return path;
    }
    for (Iterator<String> it = doc.at("/paths").fieldNames(); it.hasNext(); ) {
      String template = it.next();
      if (template.contains("{") && Pattern.matches(template.replaceAll("\\{[^}]+}", "[^/]+"), path)) {
        return template;
      }
    }
    return null;
  }

  public void check(String method, String path, int status, String contentType, String body) {
    String verb = method.equals("HEAD") ? "get" : method.toLowerCase(Locale.ROOT);
    String template = pathOf(path);
    String type = contentType == null ? null : contentType.split(";")[0].trim();
    String where = method + " " + path + " -> " + status + " " + type;
    if (template == null || !doc.at("/paths").get(template).has(verb)) {
      // no route: a rejection, which must be a problem like every error
      assertThat(UNROUTED).as("%s: not a documented route, so only a rejection may answer it", where)
          .contains(status);
      assertThat(type).as(where).isEqualTo("application/problem+json");
      return;
    }
    String operation = "/paths/" + escape(template) + "/" + verb;
    JsonNode response = doc.at(operation + "/responses/" + status);
    if (response.isMissingNode()) {
      fail("%s: status %d is not documented for %s %s (documented: %s)", where, status, verb, template,
          doc.at(operation + "/responses").properties().stream().map(Map.Entry::getKey).toList());
    }
    JsonNode content = response.get("content");
    if (content == null || method.equals("HEAD") || type == null) {
      return;
    }
    String mediaType = content.has(type) ? type : content.has("*/*") ? "*/*" : null;
    assertThat(mediaType).as("%s: content type documented for %s %s %d: %s", where, verb, template, status,
        content.properties().stream().map(Map.Entry::getKey).toList()).isNotNull();
    if (type.endsWith("json") && body != null && !body.isEmpty()) {
      String pointer = operation + "/responses/" + status + "/content/" + escape(mediaType) + "/schema";
      List<Error> errors = schema(pointer).validate(body, InputFormat.JSON);
      assertThat(errors).as("%s: body %s against %s", where, abbreviate(body), pointer).isEmpty();
    }
  }

  /** A schema of the document by JSON pointer, e.g. {@code /components/schemas/JobView}. */
  public Schema schema(String pointer) {
    return schemas.computeIfAbsent(pointer, p -> registry.getSchema(SchemaLocation.of(ID + "#" + p)));
  }

  private static String escape(String segment) {
    return segment.replace("~", "~0").replace("/", "~1");
  }

  private static String abbreviate(String s) {
    return s.length() <= 400 ? s : s.substring(0, 400) + "...";
  }
}
