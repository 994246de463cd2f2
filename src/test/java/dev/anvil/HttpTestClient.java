package dev.anvil;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A java.net.http client for one node's API, with JSON helpers. */
public final class HttpTestClient {

  public static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final int port;
  private volatile OpenApiConformance conformance;

  public HttpTestClient(int port) {
    this.port = port;
    this.base = "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).GET().build());
  }

  public HttpResponse<String> postTask(String kind, String json) {
    return post("/v1/tasks/" + kind, json, "application/json");
  }

  public HttpResponse<String> post(String path, String body, String contentType) {
    return send(postRequest(path, body, contentType));
  }

  public CompletableFuture<HttpResponse<String>> postTaskAsync(String kind, String json) {
    HttpRequest request = postRequest("/v1/tasks/" + kind, json, "application/json");
    return client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(r -> conforming(request, r));
  }

  public HttpResponse<String> send(HttpRequest request) {
    return send(request, HttpResponse.BodyHandlers.ofString());
  }

  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    try {
      return conforming(request, client.send(request, handler));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Every response is checked against the node's own OpenAPI document ({@link OpenApiConformance}),
   * so every end-to-end test checks the document as well.
   */
  private <T> HttpResponse<T> conforming(HttpRequest request, HttpResponse<T> response) {
    OpenApiConformance doc = conformance();
    if (doc != null) {
      doc.check(request.method(), request.uri().getRawPath(), response.statusCode(),
          response.headers().firstValue("Content-Type").orElse(null),
          response.body() instanceof String body ? body : null);
    }
    return response;
  }

  /** The node's document, fetched once; null when the node does not serve one (it stopped). */
  public OpenApiConformance conformance() {
    if (conformance == null) {
      try {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/openapi.json")).timeout(TIMEOUT)
            .GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          conformance = new OpenApiConformance(r.body());
        }
      } catch (IOException e) {
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return conformance;
  }

  public HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT);
  }

  private HttpRequest postRequest(String path, String body, String contentType) {
    HttpRequest.Builder b = request(path).POST(HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return b.build();
  }

  public static JsonNode json(HttpResponse<String> response) {
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + response.body(), e);
    }
  }
}
