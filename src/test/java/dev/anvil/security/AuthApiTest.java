package dev.anvil.security;

import static dev.anvil.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.node.RunningNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** With API tokens set, /v1 needs one; /health and /ready stay open. */
class AuthApiTest {

  private static RunningNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() {
    node = TestNodes.start(Map.of("anvil.http.api-tokens", "s3cret-one,s3cret-two"));
    http = new HttpTestClient(node.httpPort());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private HttpResponse<String> kinds(String authorization) {
    HttpRequest.Builder b = http.request("/v1/kinds").GET();
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build());
  }

  @Test
  void noTokenIs401WithAChallenge() {
    HttpResponse<String> r = kinds(null);
    assertProblem(r, 401, null);
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"anvil\"");
    assertProblem(http.postTask("primes", "{\"limit\":10}"), 401, null);
    assertProblem(http.get("/v1/cluster"), 401, null);
  }

  @Test
  void aWrongTokenIs401() {
    assertProblem(kinds("Bearer s3cret-on"), 401, null);
    assertProblem(kinds("Bearer "), 401, null);
    assertProblem(kinds("Basic czNjcmV0LW9uZQ=="), 401, null);
  }

  @Test
  void theRightTokenIs200() {
    assertThat(kinds("Bearer s3cret-one").statusCode()).isEqualTo(200);
    assertThat(kinds("bearer s3cret-two").statusCode()).isEqualTo(200);
    HttpResponse<String> task = http.send(http.request("/v1/tasks/primes").header("Authorization", "Bearer s3cret-two")
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"limit\":10}")).build());
    assertThat(task.statusCode()).isEqualTo(200);
  }

  @Test
  void healthAndReadyStayOpen() {
    assertThat(http.get("/health").statusCode()).isEqualTo(200);
    assertThat(http.get("/ready").statusCode()).isEqualTo(200);
  }
}
