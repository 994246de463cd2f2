package dev.anvil.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * How a task submitted in a scenario was answered: the HTTP status and body, as a client got them.
 *
 * @param status 200 when it succeeded; the problem's status otherwise (429, 500, 503, 504, ...)
 * @param body the response body: the task response, or a problem+json
 */
public record TaskAnswer(int status, String body) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public boolean succeeded() {
    return status == 200;
  }

  public JsonNode json() {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + body, e);
    }
  }

  /** The kind's result (only when it succeeded). */
  public JsonNode result() {
    return json().get("result");
  }

  /** The node that computed it (only when it succeeded). */
  public String node() {
    return json().path("node").asText(null);
  }

  /** The problem's detail (only when it failed). */
  public String detail() {
    return json().path("detail").asText(null);
  }
}
