package dev.anvil.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.compute.task.Outcome;
import dev.anvil.compute.task.TaskOutcome;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/** Builds every response body of the API, JSON and problem+json, with one {@link ObjectMapper}. */
public final class JsonResponses {

  public static final ContentType.WithFixedCharset PROBLEM_JSON =
      ContentTypes.create(MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8));

  private final ObjectMapper mapper;

  public JsonResponses(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  public ObjectMapper mapper() {
    return mapper;
  }

  public HttpResponse ok(Object body) {
    return json(StatusCodes.OK, body);
  }

  public HttpResponse json(StatusCode status, Object body) {
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, write(body));
  }

  /** A problem+json response; {@code slug} names the problem type. */
  public HttpResponse problem(StatusCode status, String slug, String detail) {
    return problem(status, slug, detail, null);
  }

  public HttpResponse problem(StatusCode status, String slug, String detail, String field) {
    Problem problem = new Problem("urn:anvil:problem:" + slug, status.reason(), status.intValue(), detail, field);
    return HttpResponse.create().withStatus(status).withEntity(PROBLEM_JSON, write(problem));
  }

  /** 400 for a task's or job's input, naming the field at fault when there is one. */
  public HttpResponse invalidInput(dev.anvil.compute.spi.InvalidInputException e) {
    return problem(StatusCodes.BAD_REQUEST, "invalid-input", e.getMessage(), e.field().isEmpty() ? null : e.field());
  }

  public HttpResponse unknownKind(String kind) {
    return problem(StatusCodes.NOT_FOUND, "unknown-kind",
        "there is no kind named '" + TaskRequests.abbreviate(kind) + "'; GET /v1/kinds lists them");
  }

  public HttpResponse notJson(ContentType type) {
    return problem(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "not-json", "the body must be application/json, was " + type);
  }

  /** 429 with Retry-After: the client should come back in {@code seconds}. */
  public HttpResponse tooManyRequests(String detail, int seconds) {
    List<HttpHeader> headers = new ArrayList<>();
    headers.add(RawHeader.create("Retry-After", Integer.toString(seconds)));
    return problem(StatusCodes.TOO_MANY_REQUESTS, Outcome.problemSlug(TaskOutcome.Failure.REJECTED), detail)
        .withHeaders(headers);
  }

  private byte[] write(Object body) {
    try {
      return mapper.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + body.getClass().getName() + " as JSON", e);
    }
  }
}
