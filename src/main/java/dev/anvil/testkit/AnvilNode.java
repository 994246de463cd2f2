package dev.anvil.testkit;

import dev.anvil.node.RunningNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * One node of an {@link AnvilCluster}: a real node in this JVM (its own ActorSystem, HTTP on a
 * free port, workers on their own threads). Tasks and jobs go to it over HTTP, as a client's would.
 */
public final class AnvilNode {

  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  private final int index;
  private final RunningNode running;
  private final HttpClient client;
  private volatile boolean alive = true;

  AnvilNode(int index, RunningNode running, HttpClient client) {
    this.index = index;
    this.running = running;
    this.client = client;
  }

  /** Its place in the cluster: 0 is the first started (the seed). */
  public int index() {
    return index;
  }

  /** Its address in the cluster, {@code host:port}: what task answers name as {@code node}. */
  public String id() {
    return running.nodeId();
  }

  public int httpPort() {
    return running.httpPort();
  }

  public URI uri() {
    return URI.create("http://127.0.0.1:" + running.httpPort());
  }

  /** False once crashed or stopped. */
  public boolean isAlive() {
    return alive;
  }

  /** Its ActorSystem, for an ActorTestKit probe or Pekko's own APIs. */
  public ActorSystem<Void> system() {
    return running.system();
  }

  RunningNode running() {
    return running;
  }

  void gone() {
    alive = false;
  }

  /** {@code POST /v1/tasks/{kind}} with {@code json}; waits for the answer. */
  public TaskAnswer submit(String kind, String json) {
    return submitAsync(kind, json).join();
  }

  public CompletableFuture<TaskAnswer> submitAsync(String kind, String json) {
    HttpRequest request = HttpRequest.newBuilder(uri().resolve("/v1/tasks/" + kind)).timeout(DEFAULT_TIMEOUT)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build();
    return client.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .thenApply(r -> new TaskAnswer(r.statusCode(), r.body()));
  }

  /**
   * {@code POST /v1/batches/{kind}} with one input per element of {@code inputs}; waits for the
   * whole answer (items in completion order, or input order when {@code ordered}).
   */
  public BatchAnswer batch(String kind, List<String> inputs, boolean ordered) {
    HttpRequest request = HttpRequest.newBuilder(uri().resolve("/v1/batches/" + kind + "?ordered=" + ordered))
        .timeout(DEFAULT_TIMEOUT.multipliedBy(5))
        .header("Content-Type", "application/x-ndjson")
        .POST(HttpRequest.BodyPublishers.ofString(String.join("\n", inputs) + "\n")).build();
    try {
      HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
      return BatchAnswer.read(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException("POST /v1/batches/" + kind + " on " + id(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** {@code POST /v1/jobs/{kind}} with {@code json}: returns once the job is safe (202). */
  public JobHandle submitJob(String kind, String json) {
    HttpRequest request = HttpRequest.newBuilder(uri().resolve("/v1/jobs/" + kind)).timeout(DEFAULT_TIMEOUT)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build();
    HttpResponse<String> r;
    try {
      r = client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException("POST /v1/jobs/" + kind + " on " + id(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (r.statusCode() != 202) {
      throw new IllegalStateException("POST /v1/jobs/" + kind + " on " + id() + ": " + r.statusCode() + " " + r.body());
    }
    return new JobHandle(JobHandle.read(r.body()).path("id").asText(), client);
  }

  @Override
  public String toString() {
    return "node " + index + " (" + id() + (alive ? "" : ", gone") + ")";
  }
}
