package dev.anvil.http;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.victools.jsonschema.generator.Option;
import com.github.victools.jsonschema.generator.OptionPreset;
import com.github.victools.jsonschema.generator.SchemaGenerator;
import com.github.victools.jsonschema.generator.SchemaGeneratorConfigBuilder;
import com.github.victools.jsonschema.generator.SchemaVersion;
import com.github.victools.jsonschema.module.jackson.JacksonModule;
import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.spi.ComputeTask;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Type;

/**
 * The OpenAPI 3.1 document of {@code GET /openapi.json}: the routes, written once in
 * {@code openapi/anvil.json}, and for every kind this node runs a task path and a job path with
 * the kind's input and result schemas, generated from its records (user kinds included).
 */
public final class OpenApiDocument {

  private static final String BASE = "/openapi/anvil.json";

  private OpenApiDocument() {}

  public static ObjectNode build(ObjectMapper mapper, TaskCatalog catalog, String version) {
    ObjectNode doc = base(mapper);
    ((ObjectNode) doc.get("info")).put("version", version);
    ObjectNode paths = (ObjectNode) doc.get("paths");
    ObjectNode schemas = (ObjectNode) doc.at("/components/schemas");
    SchemaGenerator generator = generator(mapper);
    for (ComputeTask<?, ?> task : catalog.all()) {
      String kind = task.kind();
      schemas.set(kind + ".Input", generator.generateSchema(task.inputType()));
      schemas.set(kind + ".Result", generator.generateSchema(resultType(mapper, task)));
      ObjectNode example = mapper.valueToTree(task.exampleInput());
      paths.putObject("/v1/tasks/" + kind).set("post", taskOperation(mapper, task, example));
      paths.putObject("/v1/jobs/" + kind).set("post", jobOperation(mapper, task, example));
      paths.putObject("/v1/batches/" + kind).set("post", batchOperation(mapper, task, example));
    }
    gated(mapper, paths);
    return doc;
  }

  /**
   * Every operation behind the token gate (those that may answer 401) may also answer 403 (the
   * token lacks the scope) and 429 (the tenant is over its request rate, or another quota).
   */
  private static void gated(ObjectMapper mapper, ObjectNode paths) {
    paths.forEach(path -> path.forEach(operation -> {
      ObjectNode responses = (ObjectNode) operation.get("responses");
      if (responses == null || !responses.has("401")) {
        return;
      }
      if (!responses.has("403")) {
        problems(mapper, responses, "403", "The token lacks the scope this request needs (GET: read; POST, DELETE: "
            + "submit; admin: all)");
      }
      String quota = "the caller's tenant is over a quota (the type names it: quota-rate, quota-max-running, "
          + "quota-max-jobs); Retry-After says when to come back";
      if (responses.has("429")) {
        ObjectNode tooMany = (ObjectNode) responses.get("429");
        tooMany.put("description", tooMany.get("description").asText() + "; or " + quota);
      } else {
        problems(mapper, responses, "429", "The " + quota.substring(4));
      }
    }));
  }

  private static ObjectNode base(ObjectMapper mapper) {
    try (InputStream in = OpenApiDocument.class.getResourceAsStream(BASE)) {
      return (ObjectNode) mapper.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + BASE, e);
    }
  }

  private static SchemaGenerator generator(ObjectMapper mapper) {
    SchemaGeneratorConfigBuilder config = new SchemaGeneratorConfigBuilder(mapper, SchemaVersion.DRAFT_2020_12,
        OptionPreset.PLAIN_JSON)
        .with(new JacksonModule())
        // the API refuses unknown fields (StrictJson), so the schemas say so
        .with(Option.FORBIDDEN_ADDITIONAL_PROPERTIES_BY_DEFAULT)
        .without(Option.SCHEMA_VERSION_INDICATOR);
    return new SchemaGenerator(config.build());
  }

  /** O of the kind's {@code ComputeTask<I, O>}; Object when its class does not say. */
  private static Type resultType(ObjectMapper mapper, ComputeTask<?, ?> task) {
    JavaType[] parameters = mapper.getTypeFactory().constructType(task.getClass())
        .findTypeParameters(ComputeTask.class);
    return parameters.length == 2 ? parameters[1].getRawClass() : Object.class;
  }

  private static ObjectNode taskOperation(ObjectMapper mapper, ComputeTask<?, ?> task, ObjectNode example) {
    String kind = task.kind();
    ObjectNode op = mapper.createObjectNode();
    op.put("operationId", "runTask." + kind);
    op.put("summary", task.description());
    op.put("description", "Runs a task of kind '" + kind + "' on a free worker of the least-loaded node and answers "
        + "its result. With `Prefer: respond-async` it runs as a job (202 and Location); with `Prefer: respond-async, "
        + "wait=N` it waits up to N seconds for it and answers like a task (200) if it ends by then.");
    op.set("security", security(mapper));
    ArrayNode parameters = op.putArray("parameters");
    parameters.add(query(mapper, "timeoutMs", "The deadline in ms (default anvil.compute.default-timeout, at most "
        + "anvil.compute.max-timeout); with Prefer: respond-async, the job's (anvil.jobs.*)"));
    parameters.add(header(mapper, "Prefer", "`respond-async`, optionally with `wait=N` (RFC 7240)"));
    parameters.add(header(mapper, "Idempotency-Key", "With Prefer: respond-async: a retry with the same key and body "
        + "gives the same job"));
    op.set("requestBody", body(mapper, kind, example));
    ObjectNode responses = op.putObject("responses");
    ObjectNode result = mapper.createObjectNode();
    result.putArray("allOf").add(ref(mapper, "TaskResponse")).addObject().putObject("properties")
        .set("result", ref(mapper, kind + ".Result"));
    responses.set("200", json(mapper, "The result, and where and how long it ran", result));
    responses.set("202", accepted(mapper));
    problems(mapper, responses,
        "400", "The input is invalid (the field at fault is named), or a query parameter is",
        "401", "API tokens are configured and the request has none that is valid",
        "404", "This node runs no such kind",
        "408", "The body did not arrive within anvil.http.body-read-timeout",
        "409", "With Prefer: respond-async, wait=N: the job was cancelled",
        "413", "The body is larger than anvil.http.max-body-bytes",
        "415", "The body is not application/json",
        "422", "With an Idempotency-Key: the key was used with another body",
        "429", "Every worker of the cluster is busy and this node's queue is full; Retry-After says when to come back",
        "500", "The task's own code failed (this task alone), also while reading its input",
        "503", "No node can take tasks now, or the task was cancelled",
        "504", "The deadline passed; the task was cancelled where it ran");
    return op;
  }

  private static ObjectNode jobOperation(ObjectMapper mapper, ComputeTask<?, ?> task, ObjectNode example) {
    String kind = task.kind();
    ObjectNode op = mapper.createObjectNode();
    op.put("operationId", "submitJob." + kind);
    op.put("summary", "Submits a job of kind '" + kind + "': " + task.description());
    op.put("description", "Answers 202 once the job's accepted event is stored in the jobs' journal, so no node loss "
        + "and no restart of the whole cluster can lose it; GET its Location for its status and result.");
    op.set("security", security(mapper));
    ArrayNode parameters = op.putArray("parameters");
    parameters.add(query(mapper, "timeoutMs", "The compute deadline in ms (default anvil.jobs.default-timeout, at "
        + "most anvil.jobs.max-timeout)"));
    parameters.add(header(mapper, "Idempotency-Key", "A retry with the same key and body gives the same job"));
    op.set("requestBody", body(mapper, kind, example));
    ObjectNode responses = op.putObject("responses");
    responses.set("202", accepted(mapper));
    problems(mapper, responses,
        "400", "The input is invalid (the field at fault is named), or a query parameter is",
        "401", "API tokens are configured and the request has none that is valid",
        "404", "This node runs no such kind",
        "408", "The body did not arrive within anvil.http.body-read-timeout",
        "413", "The body is larger than a job's input may be",
        "415", "The body is not application/json",
        "422", "The Idempotency-Key was used with another body",
        "500", "The kind's own code failed while reading the input",
        "503", "The journal cannot store the job now (its database is down, or this node shares no journal with the "
            + "cluster); Retry-After says when to come back");
    return op;
  }

  private static ObjectNode batchOperation(ObjectMapper mapper, ComputeTask<?, ?> task, ObjectNode example) {
    String kind = task.kind();
    ObjectNode op = mapper.createObjectNode();
    op.put("operationId", "runBatch." + kind);
    op.put("summary", "Runs a batch of kind '" + kind + "': one input per line, one answer per line");
    op.put("description", "The body is NDJSON, one input of kind '" + kind + "' per line (blank lines are skipped), "
        + "streamed in as fast as the cluster computes. The answer is 200 NDJSON, streamed while the input still "
        + "arrives: per input `{\"index\":i,\"status\":200,\"result\":{...},\"node\":\"...\"}` or "
        + "`{\"index\":i,\"status\":4xx|5xx,\"error\":{problem}}` (each line checked alone, with a task's checks; 413 "
        + "for a line over anvil.batch.max-line-bytes), in completion order or, with ordered=true, input order; the "
        + "last line is `{\"summary\":{\"items\":n,\"succeeded\":s,\"failed\":f,\"ms\":t}}`.");
    op.set("security", security(mapper));
    ArrayNode parameters = op.putArray("parameters");
    parameters.add(query(mapper, "timeoutMs", "The deadline of each item in ms (default anvil.compute.default-timeout, "
        + "at most anvil.compute.max-timeout)"));
    ObjectNode ordered = mapper.createObjectNode().put("name", "ordered").put("in", "query")
        .put("description", "true: answers in input order; false (default): as they end");
    ordered.putObject("schema").put("type", "boolean");
    parameters.add(ordered);
    ObjectNode body = op.putObject("requestBody").put("required", true);
    ObjectNode media = body.putObject("content").putObject("application/x-ndjson");
    media.set("schema", ref(mapper, kind + ".Input"));
    media.set("example", example);
    ObjectNode responses = op.putObject("responses");
    ObjectNode ok = responses.putObject("200").put("description", "One line per input, then the summary line");
    ok.putObject("content").putObject("application/x-ndjson").putObject("schema").put("type", "object");
    problems(mapper, responses,
        "400", "A query parameter is invalid",
        "401", "API tokens are configured and the request has none that is valid",
        "404", "This node runs no such kind",
        "415", "The body is not application/x-ndjson");
    return op;
  }

  private static ArrayNode security(ObjectMapper mapper) {
    ArrayNode security = mapper.createArrayNode();
    security.addObject().putArray("bearer");
    security.addObject();
    return security;
  }

  private static ObjectNode query(ObjectMapper mapper, String name, String description) {
    ObjectNode p = mapper.createObjectNode().put("name", name).put("in", "query").put("description", description);
    p.putObject("schema").put("type", "integer").put("minimum", 1);
    return p;
  }

  private static ObjectNode header(ObjectMapper mapper, String name, String description) {
    ObjectNode p = mapper.createObjectNode().put("name", name).put("in", "header").put("description", description);
    p.putObject("schema").put("type", "string");
    return p;
  }

  private static ObjectNode body(ObjectMapper mapper, String kind, ObjectNode example) {
    ObjectNode body = mapper.createObjectNode().put("required", true);
    ObjectNode media = body.putObject("content").putObject("application/json");
    media.set("schema", ref(mapper, kind + ".Input"));
    media.set("example", example);
    return body;
  }

  private static ObjectNode accepted(ObjectMapper mapper) {
    ObjectNode r = json(mapper, "Accepted as a job: its view; Location is /v1/jobs/{id}", ref(mapper, "JobView"));
    r.putObject("headers").putObject("Location").put("description", "/v1/jobs/{id}")
        .putObject("schema").put("type", "string");
    return r;
  }

  private static ObjectNode json(ObjectMapper mapper, String description, ObjectNode schema) {
    ObjectNode r = mapper.createObjectNode().put("description", description);
    r.putObject("content").putObject("application/json").set("schema", schema);
    return r;
  }

  private static void problems(ObjectMapper mapper, ObjectNode responses, String... statusAndDescription) {
    for (int i = 0; i < statusAndDescription.length; i += 2) {
      ObjectNode r = responses.putObject(statusAndDescription[i]).put("description", statusAndDescription[i + 1]);
      r.putObject("content").putObject("application/problem+json").set("schema", ref(mapper, "Problem"));
    }
  }

  private static ObjectNode ref(ObjectMapper mapper, String schema) {
    return mapper.createObjectNode().put("$ref", "#/components/schemas/" + schema);
  }
}
