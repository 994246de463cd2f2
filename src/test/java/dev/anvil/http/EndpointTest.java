package dev.anvil.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The endpoint table: which route a request's path belongs to, and the variable it carries. */
class EndpointTest {

  @Test
  void everyPathGetsItsTemplateAndNothingElseGetsOne() {
    assertThat(Endpoint.routeOf("GET", "/")).isEqualTo("/");
    assertThat(Endpoint.routeOf("GET", "/health")).isEqualTo("/health");
    assertThat(Endpoint.routeOf("GET", "/v1/cluster/events")).isEqualTo("/v1/cluster/events");
    assertThat(Endpoint.routeOf("POST", "/v1/tasks/primes")).isEqualTo("/v1/tasks/{kind}");
    assertThat(Endpoint.routeOf("GET", "/v1/jobs/0a1b")).isEqualTo("/v1/jobs/{id}");
    assertThat(Endpoint.routeOf("DELETE", "/v1/jobs/0a1b")).isEqualTo("/v1/jobs/{id}");
    assertThat(Endpoint.routeOf("POST", "/v1/jobs/primes")).isEqualTo("/v1/jobs/{kind}");
    assertThat(Endpoint.routeOf("GET", "/v1/jobs/0a1b/events")).isEqualTo("/v1/jobs/{id}/events");
    assertThat(Endpoint.routeOf("GET", "/dashboard/app.js")).isEqualTo("/dashboard/{file}");
    // a wrong method still counts under its path (its 405 is labelled by it)
    assertThat(Endpoint.routeOf("PUT", "/v1/tasks/primes")).isEqualTo("/v1/tasks/{kind}");
    assertThat(Endpoint.routeOf("PUT", "/v1/jobs/0a1b")).isEqualTo("/v1/jobs/{id}");
    // a label never takes a value a client chose
    for (String path : new String[] {"/v1/tasks/", "/v1/tasks/a/b", "/v1/jobs/a/b", "/v1/jobs//events",
        "/healthz", "/v1/tasks", "/dashboard/a/b", "/x"}) {
      assertThat(Endpoint.routeOf("POST", path)).as(path).isEqualTo("other");
    }
  }

  @Test
  void theVariableIsOneNonEmptySegment() {
    assertThat(Endpoint.TASK.capture("/v1/tasks/primes")).isEqualTo("primes");
    assertThat(Endpoint.JOB_EVENTS.capture("/v1/jobs/0a1b/events")).isEqualTo("0a1b");
    assertThat(Endpoint.TASK.capture("/v1/tasks/")).isNull();
    assertThat(Endpoint.TASK.capture("/v1/tasks/a/b")).isNull();
    assertThat(Endpoint.JOB_EVENTS.capture("/v1/jobs/a/b/events")).isNull();
    assertThat(Endpoint.JOB_EVENTS.capture("/v1/jobs/events")).isNull();
    assertThat(Endpoint.HEALTH.capture("/health")).isEmpty();
    assertThat(Endpoint.HEALTH.capture("/health/")).isNull();
  }

  @Test
  void theTemplatesAreListedOnceEach() {
    assertThat(Endpoint.TEMPLATES).doesNotHaveDuplicates().hasSize(Endpoint.values().length)
        .contains("/v1/jobs/{id}", "/v1/jobs/{kind}");
  }
}
