package dev.anvil.http;

import static dev.anvil.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.node.RunningNode;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The dashboard's files over HTTP: types, caching, security headers; open even when /v1 needs a token. */
class DashboardRoutesTest {

  private static RunningNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() {
    node = TestNodes.start(Map.of("anvil.compute.workers", 1, "anvil.http.api-tokens", "s3cret"));
    http = new HttpTestClient(node.httpPort());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void rootIsTheDashboardPageWithoutAToken() {
    HttpResponse<String> r = http.get("/");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/html; charset=UTF-8");
    assertThat(r.body()).contains("<title>Anvil</title>", "/dashboard/dashboard.js");
    assertThat(r.headers().firstValue("Content-Security-Policy")).get().asString().startsWith("default-src 'self'");
    assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-cache");
  }

  @Test
  void assetsAreServedWithTheirContentTypes() {
    HttpResponse<String> js = http.get("/dashboard/dashboard.js");
    assertThat(js.statusCode()).isEqualTo(200);
    assertThat(js.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=UTF-8");
    HttpResponse<String> css = http.get("/dashboard/uPlot.min.css");
    assertThat(css.statusCode()).isEqualTo(200);
    assertThat(css.headers().firstValue("Content-Type")).hasValue("text/css; charset=UTF-8");
    assertThat(http.get("/dashboard/uPlot.iife.min.js").body()).contains("uPlot");
    assertThat(http.get("/dashboard/uPlot-LICENSE.txt").body()).contains("MIT License");
  }

  @Test
  void anUnchangedAssetIsNotSentAgain() {
    HttpResponse<String> first = http.get("/dashboard/dashboard.css");
    String etag = first.headers().firstValue("ETag").orElseThrow();
    HttpResponse<String> again = http.send(http.request("/dashboard/dashboard.css")
        .header("If-None-Match", etag).GET().build());
    assertThat(again.statusCode()).isEqualTo(304);
    assertThat(again.body()).isEmpty();
  }

  @Test
  void anUnknownAssetIsA404Problem() {
    assertProblem(http.get("/dashboard/secrets.js"), 404, null);
    assertProblem(http.get("/dashboard/../application.conf"), 404, null);
    assertProblem(http.get("/dashboard/"), 404, null);
    assertProblem(http.get("/dashboard/vendor/uplot/LICENSE"), 404, null);
    assertProblem(http.get("/index.html"), 404, null);
  }
}
