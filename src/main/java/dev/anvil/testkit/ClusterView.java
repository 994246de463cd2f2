package dev.anvil.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * One node's {@code GET /v1/cluster}, read for a test: which members it sees Up, which it also
 * knows the load of (its router may send them tasks), and how many tasks each runs. The one
 * reader of that view for Anvil's tests and a kind's, in this JVM or across real JVMs.
 *
 * <pre>{@code
 * await().until(() -> ClusterView.read(httpPort).up() == 3);
 * }</pre>
 */
public final class ClusterView {

  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final String self;
  private final JsonNode members;

  private ClusterView(JsonNode view) {
    this.self = view.path("self").asText();
    this.members = view.path("members");
  }

  /** The view of the node that serves HTTP on this loopback port; an empty view when it does not answer 200. */
  public static ClusterView read(int httpPort) {
    return read(URI.create("http://127.0.0.1:" + httpPort));
  }

  /** The view of the node at {@code base} (e.g. {@code http://127.0.0.1:8080}); empty when it does not answer 200. */
  public static ClusterView read(URI base) {
    return read(base, null);
  }

  /** As {@link #read(int)}, sending {@code Authorization: Bearer <token>} (a node with API tokens). */
  public static ClusterView read(int httpPort, String token) {
    return read(URI.create("http://127.0.0.1:" + httpPort), token);
  }

  /** As {@link #read(URI)}, with a bearer token when {@code token} is not null. */
  public static ClusterView read(URI base, String token) {
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("/v1/cluster")).timeout(Duration.ofSeconds(5));
      if (token != null) {
        request.header("Authorization", "Bearer " + token);
      }
      HttpResponse<String> r = CLIENT.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
      return new ClusterView(r.statusCode() == 200 ? JobHandle.read(r.body()) : JobHandle.read("{}"));
    } catch (IOException e) {
      return new ClusterView(JobHandle.read("{}"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The node that answered. */
  public String self() {
    return self;
  }

  /** Every member listed, whatever its status. */
  public int size() {
    return members.size();
  }

  /** Members with status Up. */
  public int up() {
    return upNodes().size();
  }

  /** The ids of the members with status Up. */
  public Set<String> upNodes() {
    Set<String> up = new LinkedHashSet<>();
    for (JsonNode m : members) {
      if (m.path("status").asText().equals("Up")) {
        up.add(m.path("node").asText());
      }
    }
    return up;
  }

  /** Members Up whose load this node knows: its router may send them tasks. */
  public int ready() {
    int ready = 0;
    for (JsonNode m : members) {
      ready += m.path("status").asText().equals("Up") && m.has("load") ? 1 : 0;
    }
    return ready;
  }

  /** Whether {@code node} is listed, whatever its status. */
  public boolean lists(String node) {
    return member(node) != null;
  }

  /** The status this node sees {@code node} in, or null when it is not listed. */
  public String status(String node) {
    JsonNode m = member(node);
    return m == null ? null : m.path("status").asText();
  }

  /** Whether this node can reach {@code node} now; false when it is not listed. */
  public boolean reachable(String node) {
    JsonNode m = member(node);
    return m != null && m.path("reachable").asBoolean();
  }

  /** Tasks running on {@code node}, as this node last heard; -1 when it is not listed or has no load yet. */
  public int running(String node) {
    JsonNode m = member(node);
    return m == null || !m.has("load") ? -1 : m.path("load").path("running").asInt();
  }

  /** The whole view, for a failure message. */
  @Override
  public String toString() {
    return self + " sees " + members;
  }

  private JsonNode member(String node) {
    for (JsonNode m : members) {
      if (m.path("node").asText().equals(node)) {
        return m;
      }
    }
    return null;
  }
}
