package dev.anvil.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * How a batch was answered: the HTTP status, and (for a 200) each item's line in the order they
 * came, then the summary; for a refused batch, its problem+json as {@code problem}.
 */
public record BatchAnswer(int status, List<JsonNode> items, JsonNode summary, String problem) {

  private static final ObjectMapper JSON = new ObjectMapper();

  static BatchAnswer read(int status, String body) {
    if (status != 200) {
      return new BatchAnswer(status, List.of(), null, body);
    }
    List<JsonNode> items = new ArrayList<>();
    JsonNode summary = null;
    for (String line : body.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode node;
      try {
        node = JSON.readTree(line);
      } catch (IOException e) {
        throw new UncheckedIOException("a batch's line is not JSON: " + line, e);
      }
      if (node.has("summary")) {
        summary = node.get("summary");
      } else {
        items.add(node);
      }
    }
    return new BatchAnswer(status, List.copyOf(items), summary, null);
  }

  /** The line of item {@code index} (its place in the input), or null when there is none. */
  public JsonNode item(long index) {
    return items.stream().filter(i -> i.path("index").asLong(-1) == index).findFirst().orElse(null);
  }

  /** Items answered with 200. */
  public long succeeded() {
    return items.stream().filter(i -> i.path("status").asInt() == 200).count();
  }
}
