package dev.anvil.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.anvil.http.JsonResponses;
import dev.anvil.jobs.JobRecord.Status;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** A job as the API shows it: its view, and a finished job answered as its task would have been. */
final class JobViews {
  private final JsonResponses json;
  private final ObjectMapper mapper;
  private final String node;

  JobViews(JsonResponses json, String node) {
    this.json = json;
    this.mapper = json.mapper();
    this.node = node;
  }

  /** The job as clients see it. */
  ObjectNode view(JobRecord r) {
    ObjectNode v = mapper.createObjectNode();
    v.put("id", r.id());
    v.put("kind", r.kind());
    v.put("status", r.status().json());
    v.put("progress", r.progress());
    v.put("attempts", r.attempts());
    v.put("tenant", r.tenant());
    if (r.node() == null) {
      v.putNull("node");
    } else {
      v.put("node", r.node());
    }
    v.put("submittedAt", Instant.ofEpochMilli(r.submittedAt()).toString());
    time(v, "startedAt", r.startedAt());
    time(v, "finishedAt", r.finishedAt());
    v.put("queueMs", r.queueMs());
    v.put("computeMs", r.computeMs());
    if (r.status() == Status.SUCCEEDED && r.result() != null) {
      v.putRawValue("result", new RawValue(new String(r.result(), StandardCharsets.UTF_8)));
    }
    if (r.error() != null) {
      ObjectNode e = v.putObject("error");
      e.put("type", r.error().type());
      e.put("title", r.error().title());
      e.put("status", r.error().status());
      e.put("detail", r.error().detail());
    }
    return v;
  }

  private static void time(ObjectNode v, String field, long epochMillis) {
    if (epochMillis == 0) {
      v.putNull(field);
    } else {
      v.put(field, Instant.ofEpochMilli(epochMillis).toString());
    }
  }

  /** A finished job, answered as the task itself would have been. */
  HttpResponse asTaskAnswer(JobRecord record) {
    if (record.status() == Status.SUCCEEDED) {
      ObjectNode body = mapper.createObjectNode();
      body.put("kind", record.kind());
      body.putRawValue("result", new RawValue(new String(record.result(), StandardCharsets.UTF_8)));
      body.put("node", record.node());
      body.put("receivedBy", node);
      body.put("queueMs", record.queueMs());
      body.put("computeMs", record.computeMs());
      body.put("job", record.id());
      return json.ok(body);
    }
    if (record.status() == Status.CANCELLED) {
      return json.problem(StatusCodes.CONFLICT, "cancelled", "job " + record.id() + " was cancelled");
    }
    JobRecord.Problem p = record.error();
    return json.problem(StatusCodes.get(p.status()), p.type().substring(p.type().lastIndexOf(':') + 1), p.detail());
  }

}
