package dev.anvil.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.Set;
import java.util.stream.Stream;

/** A job submitted in a scenario: its id, and its view from any node. */
public final class JobHandle {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> FINAL = Set.of("succeeded", "failed", "cancelled");

  private final String id;
  private final HttpClient client;

  JobHandle(String id, HttpClient client) {
    this.id = id;
    this.client = client;
  }

  public String id() {
    return id;
  }

  /** The job's view ({@code {"id","kind","status","progress",...}}) as {@code node} has it. */
  public JsonNode view(AnvilNode node) {
    HttpResponse<String> r = send(node, HttpRequest.newBuilder(uri(node, "")).GET(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET /v1/jobs/" + id + " on " + node.id() + ": " + r.statusCode() + " " + r.body());
    }
    return read(r.body());
  }

  /**
   * Follows the job's events on {@code node} until its final status, and returns that view.
   * If the stream ends early (its node stopped), or the job cannot be read for now (503: the node
   * of its entity was lost and is not yet replaced), asks again, until {@code timeout}.
   */
  public JsonNode awaitFinal(AnvilNode node, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Duration left = Duration.ofNanos(deadline - System.nanoTime());
      HttpResponse<Stream<String>> r;
      try {
        r = client.send(HttpRequest.newBuilder(uri(node, "/events")).timeout(left).GET().build(),
            HttpResponse.BodyHandlers.ofLines());
      } catch (IOException e) {
        continue; // the node's connection went away: ask again
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for job " + id, e);
      }
      if (r.statusCode() == 503) {
        // the job's entity is not reachable now (its node was lost and is not yet downed): again
        r.body().close();
        pause(Duration.ofMillis(Math.min(500, left.toMillis())));
        continue;
      }
      if (r.statusCode() != 200) {
        throw new IllegalStateException("job " + id + " events on " + node.id() + ": " + r.statusCode());
      }
      try (Stream<String> lines = r.body()) {
        String event = null;
        String data = null;
        for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
          String line = it.next();
          if (line.startsWith("event:")) {
            event = line.substring(6).strip();
          } else if (line.startsWith("data:")) {
            data = line.substring(5).strip();
          } else if (line.isEmpty()) { // the end of one event: its lines come in any order
            if ("status".equals(event) && data != null) {
              JsonNode view = read(data);
              if (FINAL.contains(view.path("status").asText())) {
                return view;
              }
            }
            event = null;
            data = null;
          }
        }
      } catch (UncheckedIOException e) {
        // the stream broke off: ask again
      }
    }
    throw new IllegalStateException("job " + id + " did not finish within " + timeout);
  }

  private static void pause(Duration d) {
    try {
      Thread.sleep(d.toMillis()); // a retry's backoff
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private URI uri(AnvilNode node, String suffix) {
    return node.uri().resolve("/v1/jobs/" + id + suffix);
  }

  private <T> HttpResponse<T> send(AnvilNode node, HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler) {
    try {
      return client.send(request.timeout(Duration.ofSeconds(30)).build(), handler);
    } catch (IOException e) {
      throw new UncheckedIOException("job " + id + " on " + node.id(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static JsonNode read(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + json, e);
    }
  }
}
