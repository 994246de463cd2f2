package dev.anvil.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The HTTP API as the command line sees it: one base URL, one token, answers or {@link ClientException}s. */
final class ApiClient {

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private final HttpClient http;
  private final URI base;
  private final String token;

  ApiClient(URI base, String token) {
    // HTTP/1.1: Anvil serves no h2c, and the load generator wants one connection per loop.
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT).build();
    this.base = base;
    this.token = token;
  }

  URI base() {
    return base;
  }

  String token() {
    return token;
  }

  boolean hasToken() {
    return token != null;
  }

  /** A request for {@code path} (already encoded; see {@link #segment}), with the token when there is one. */
  HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Accept", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  HttpRequest.Builder postJson(String path, String json) {
    return request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
  }

  /** Sends and reads the body as text; a 4xx or 5xx becomes {@link ClientException#failed} with the problem's detail. */
  HttpResponse<String> send(HttpRequest request) throws ClientException, InterruptedException {
    HttpResponse<String> response = send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (response.statusCode() >= 400) {
      throw ClientException.failed(problem(response.statusCode(), response.body()));
    }
    return response;
  }

  <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws ClientException, InterruptedException {
    try {
      return http.send(request, handler);
    } catch (IOException e) {
      throw ClientException.unreachable(unreachable(e));
    }
  }

  HttpClient http() {
    return http;
  }

  /** One line for an error answer: the problem's detail, else its title, else the status and some of the body. */
  String problem(int status, String body) {
    JsonNode problem = Json.parseOrNull(body);
    String detail = problem != null && problem.path("detail").isTextual() ? problem.path("detail").asText()
        : problem != null && problem.path("title").isTextual() ? problem.path("title").asText()
        : "HTTP " + status + (body == null || body.isBlank() ? "" : ": " + abbreviate(body.strip()));
    if (status == 401 && token == null) {
      detail += " (give --token or set ANVIL_TOKEN)";
    }
    return detail;
  }

  /** One line for a request that got no HTTP answer, naming the URL. */
  String unreachable(IOException e) {
    String why;
    if (e instanceof HttpConnectTimeoutException) {
      why = "no connection within " + CONNECT_TIMEOUT.toSeconds() + " s";
    } else if (e instanceof HttpTimeoutException) {
      why = "no answer in time";
    } else if (e instanceof ConnectException && causedBy(e, UnresolvedAddressException.class)) {
      why = "unknown host";
    } else if (e instanceof ConnectException) {
      why = "connection refused";
    } else {
      why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
    return "cannot reach Anvil at " + base + ": " + why;
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** A path segment (a kind, a job id) as it goes into a URL. */
  static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String abbreviate(String s) {
    String line = s.lines().findFirst().orElse("");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }
}
