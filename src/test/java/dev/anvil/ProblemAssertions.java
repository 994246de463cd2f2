package dev.anvil;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;

/** The one check of an error response: status, problem+json, and the fields of RFC 9457. */
public final class ProblemAssertions {
  private ProblemAssertions() {}

  /** @param field the offending input field the problem must name, or null */
  public static void assertProblem(HttpResponse<String> r, int status, String field) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode problem = json(r);
    assertThat(problem.at("/status").asInt()).isEqualTo(status);
    assertThat(problem.at("/type").asText()).startsWith("urn:anvil:problem:");
    assertThat(problem.at("/title").asText()).isNotBlank();
    assertThat(problem.at("/detail").asText()).isNotBlank();
    if (field != null) {
      assertThat(problem.at("/field").asText()).isEqualTo(field);
      assertThat(problem.at("/detail").asText()).contains(field);
    }
  }
}
