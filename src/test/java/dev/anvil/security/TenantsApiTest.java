package dev.anvil.security;

import static dev.anvil.HttpTestClient.json;
import static dev.anvil.ProblemAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.node.RunningNode;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Tenants end to end over HTTP, on one node with a tokens file: ownership of jobs on every route,
 * scopes, hashed tokens, the file's reload, and each quota's 429.
 */
class TenantsApiTest {

  private static final String A = "alpha-token-0001";
  private static final String B = "beta-token-0002";
  private static final String A_READ = "alpha-reader-0003";
  private static final String A_SUBMIT = "alpha-submitter-0004";
  private static final String ADMIN = "ops-admin-0005";
  private static final String RATED = "rated-token-0006";
  private static final String CAPPED = "capped-token-0007";
  private static final String FEW_JOBS = "few-jobs-token-0008";
  private static final String AUDITED = "audited-token-0009";

  @TempDir
  static Path dir;
  private static Path tokensFile;
  private static RunningNode node;
  private static HttpTestClient http;

  private static final List<String> LINES = List.of(
      "# tenant scopes token",
      "team-a submit,read " + A,
      "team-b submit,read " + B,
      "team-a read " + A_READ,
      "team-a submit " + A_SUBMIT,
      "ops admin " + ApiTokens.hashed(ADMIN),
      "rated submit,read " + RATED,
      "capped submit,read " + CAPPED,
      "few-jobs submit,read " + FEW_JOBS,
      "audited read " + AUDITED);

  @BeforeAll
  static void start() throws IOException {
    tokensFile = dir.resolve("tokens");
    Files.write(tokensFile, LINES);
    node = TestNodes.start(Map.of("anvil.compute.workers", 2,
        "anvil.http.tokens-file", tokensFile.toString(),
        "anvil.http.tokens-reload-interval", "100ms",
        "anvil.tenants.by-name.rated.rate", 1, "anvil.tenants.by-name.rated.burst", 2,
        "anvil.tenants.by-name.capped.max-running", 1,
        "anvil.tenants.by-name.few-jobs.max-jobs", 2));
    http = new HttpTestClient(node.httpPort());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static HttpResponse<String> get(String token, String path) {
    return http.send(http.request(path).header("Authorization", "Bearer " + token).GET().build());
  }

  private static HttpResponse<String> delete(String token, String path) {
    return http.send(http.request(path).header("Authorization", "Bearer " + token).DELETE().build());
  }

  private static HttpResponse<String> post(String token, String path, String body, String... headers) {
    HttpRequest.Builder b = http.request(path).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build());
  }

  private static String submitJob(String token, String body, String... headers) {
    HttpResponse<String> r = post(token, "/v1/jobs/spin", body, headers);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return json(r).at("/id").asText();
  }

  private static List<String> listedIds(String token) {
    HttpResponse<String> r = get(token, "/v1/jobs?limit=1000");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<String> ids = new ArrayList<>();
    json(r).at("/jobs").forEach(j -> ids.add(j.at("/id").asText()));
    return ids;
  }

  private static void assertProblemType(HttpResponse<String> r, int status, String type) {
    assertProblem(r, status, null);
    assertThat(json(r).at("/type").asText()).isEqualTo("urn:anvil:problem:" + type);
  }

  @Test
  void anotherTenantsJobIsNotFoundOnEveryRouteAndNeverListed() {
    String id = submitJob(A, "{\"ms\":1}");
    await().atMost(Duration.ofSeconds(20)).until(() -> listedIds(A).contains(id));
    JsonNode mine = json(get(A, "/v1/jobs/" + id));
    assertThat(mine.at("/tenant").asText()).isEqualTo("team-a");

    assertProblemType(get(B, "/v1/jobs/" + id), 404, "unknown-job");
    assertProblemType(get(B, "/v1/jobs/" + id + "/events"), 404, "unknown-job");
    assertProblemType(delete(B, "/v1/jobs/" + id), 404, "unknown-job");
    assertThat(listedIds(B)).doesNotContain(id);
    assertThat(get(A, "/v1/jobs/" + id).statusCode()).isEqualTo(200); // B's DELETE did nothing
    // the same tenant's other tokens see it
    assertThat(get(A_READ, "/v1/jobs/" + id).statusCode()).isEqualTo(200);
    assertThat(listedIds(A_READ)).contains(id);
  }

  @Test
  void anAdminSeesListsAndCancelsEveryTenantsJobs() {
    String a = submitJob(A, "{\"ms\":20000}");
    String b = submitJob(B, "{\"ms\":1}");
    await().atMost(Duration.ofSeconds(20)).until(() -> listedIds(ADMIN).containsAll(List.of(a, b)));
    assertThat(json(get(ADMIN, "/v1/jobs/" + b)).at("/tenant").asText()).isEqualTo("team-b");
    HttpResponse<String> cancelled = delete(ADMIN, "/v1/jobs/" + a);
    assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(20)).until(() -> json(get(A, "/v1/jobs/" + a)).at("/status").asText()
        .equals("cancelled"));
  }

  @Test
  void idempotencyKeysArePerTenant() {
    String a1 = submitJob(A, "{\"ms\":1}", "Idempotency-Key", "nightly-42");
    String a2 = submitJob(A, "{\"ms\":1}", "Idempotency-Key", "nightly-42");
    String b1 = submitJob(B, "{\"ms\":1}", "Idempotency-Key", "nightly-42");
    assertThat(a2).isEqualTo(a1);
    assertThat(b1).isNotEqualTo(a1);
    assertThat(json(get(B, "/v1/jobs/" + b1)).at("/tenant").asText()).isEqualTo("team-b");
    // B's own key, used again with another body, is B's 422
    assertProblemType(post(B, "/v1/jobs/spin", "{\"ms\":2}", "Idempotency-Key", "nightly-42"), 422,
        "idempotency-key-reused");
  }

  @Test
  void scopesLimitWhatATokenMayDo() {
    assertProblemType(post(A_READ, "/v1/tasks/primes", "{\"limit\":10}"), 403, "scope-missing");
    assertProblemType(post(A_READ, "/v1/jobs/primes", "{\"limit\":10}"), 403, "scope-missing");
    assertThat(get(A_READ, "/v1/kinds").statusCode()).isEqualTo(200);
    assertThat(post(A_SUBMIT, "/v1/tasks/primes", "{\"limit\":10}").statusCode()).isEqualTo(200);
    assertProblemType(get(A_SUBMIT, "/v1/kinds"), 403, "scope-missing");
    HttpResponse<String> forbidden = get(A_SUBMIT, "/v1/jobs");
    assertThat(json(forbidden).at("/detail").asText()).contains("team-a").contains("'read'");
  }

  @Test
  void aHashedTokenIsAcceptedAndItsHashIsNot() {
    assertThat(get(ADMIN, "/v1/kinds").statusCode()).isEqualTo(200);
    assertProblemType(get(ApiTokens.hashed(ADMIN), "/v1/kinds"), 401, "unauthorized");
  }

  @Test
  void theFileIsReloadedAndABadOneKeepsTheTokensLoadedBefore() throws IOException {
    Logger logger = (Logger) LoggerFactory.getLogger(AccessControl.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    try {
      String fresh = "gamma-token-0009";
      List<String> good = new ArrayList<>(LINES);
      good.add("team-c read " + fresh);
      Files.write(tokensFile, good);
      await().atMost(Duration.ofSeconds(10)).until(() -> get(fresh, "/v1/kinds").statusCode() == 200);

      List<String> bad = new ArrayList<>(good);
      bad.add("team-d rule,read delta-token-0010");
      Files.write(tokensFile, bad);
      await().atMost(Duration.ofSeconds(10)).until(() -> logged.list.stream()
          .anyMatch(e -> e.getFormattedMessage().contains("line " + bad.size() + ": unknown scope 'rule'")));
      assertThat(get(fresh, "/v1/kinds").statusCode()).isEqualTo(200); // the tokens from before still work
      assertProblemType(get("delta-token-0010", "/v1/kinds"), 401, "unauthorized");
    } finally {
      logger.detachAppender(logged);
      Files.write(tokensFile, LINES);
    }
  }

  @Test
  void overItsRateATenantGets429NamingTheQuota() {
    List<HttpResponse<String>> answers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      answers.add(get(RATED, "/v1/kinds"));
    }
    HttpResponse<String> refused = answers.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
    assertProblemType(refused, 429, "quota-rate");
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    assertThat(get(A, "/v1/kinds").statusCode()).isEqualTo(200); // other tenants are not held back
  }

  @Test
  void pastMaxRunningATenantGets429NamingTheQuota() {
    CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(
        () -> post(CAPPED, "/v1/tasks/spin", "{\"ms\":3000}"));
    await().atMost(Duration.ofSeconds(10)).until(() -> node.scheduler().byTenant()
        .getOrDefault("capped", new int[2])[0] == 1);
    // /v1/cluster shows the running task under its tenant: to an admin, and to that tenant; not to another
    assertThat(json(get(ADMIN, "/v1/cluster")).at("/members/0/tenants/capped/running").asInt()).isEqualTo(1);
    assertThat(json(get(CAPPED, "/v1/cluster")).at("/members/0/tenants/capped/running").asInt()).isEqualTo(1);
    assertThat(json(get(A, "/v1/cluster")).at("/members/0/tenants").has("capped")).isFalse();
    HttpResponse<String> second = post(CAPPED, "/v1/tasks/spin", "{\"ms\":1}");
    assertProblemType(second, 429, "quota-max-running");
    assertThat(second.headers().firstValue("Retry-After")).isPresent();
    assertThat(post(A, "/v1/tasks/spin", "{\"ms\":1}").statusCode()).isEqualTo(200);
    assertThat(first.join().statusCode()).isEqualTo(200);
    assertThat(post(CAPPED, "/v1/tasks/spin", "{\"ms\":1}").statusCode()).isEqualTo(200); // its place is free again
  }

  @Test
  void pastMaxJobsATenantGets429NamingTheQuota() {
    submitJob(FEW_JOBS, "{\"ms\":1}", "Idempotency-Key", "kept-1");
    submitJob(FEW_JOBS, "{\"ms\":1}");
    // the count reads the listing's table, which learns of a job a moment after it is stored
    await().atMost(Duration.ofSeconds(20)).until(() -> post(FEW_JOBS, "/v1/jobs/spin", "{\"ms\":1}",
        "Idempotency-Key", "one-more").statusCode() == 429);
    HttpResponse<String> refused = post(FEW_JOBS, "/v1/jobs/spin", "{\"ms\":2}");
    assertProblemType(refused, 429, "quota-max-jobs");
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    // a retry of a stored job is not a new job: it gets the job it has, at its quota too
    String kept = submitJob(FEW_JOBS, "{\"ms\":1}", "Idempotency-Key", "kept-1");
    assertThat(kept).isNotBlank();
    assertThat(post(B, "/v1/jobs/spin", "{\"ms\":1}").statusCode()).isEqualTo(202);
  }

  @Test
  void refusalsAreAuditedAtMostOncePerTenantPerSecondAndCountedByTenant() {
    Logger audit = (Logger) LoggerFactory.getLogger("anvil.audit");
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    audit.addAppender(logged);
    long startNanos = System.nanoTime();
    try {
      for (int i = 0; i < 5; i++) {
        assertThat(post(AUDITED, "/v1/tasks/primes", "{\"limit\":10}").statusCode()).isEqualTo(403);
      }
      long lines = logged.list.stream().filter(e -> e.getFormattedMessage().contains("tenant audited")).count();
      if (System.nanoTime() - startNanos < 1_000_000_000L) { // five refusals within a second: one line
        assertThat(lines).isEqualTo(1);
      } else {
        assertThat(lines).isBetween(1L, 5L);
      }
      assertThat(logged.list.get(0).getFormattedMessage()).contains("403").contains("POST /v1/tasks/primes")
          .contains("'submit'");
    } finally {
      audit.detachAppender(logged);
    }
    assertThat(post(A, "/v1/tasks/primes", "{\"limit\":10}").statusCode()).isEqualTo(200);
    String metrics = get(ADMIN, "/metrics").body();
    assertThat(metrics).containsPattern("anvil_tenant_refusals_total\\{[^}]*reason=\"scope-missing\"[^}]*tenant=\"audited\"[^}]*} [1-9]");
    assertThat(metrics).containsPattern("anvil_tenant_tasks_total\\{[^}]*outcome=\"succeeded\"[^}]*tenant=\"team-a\"[^}]*} [1-9]");
    assertThat(metrics).contains("anvil_tenant_workers{").contains("tenant=\"team-a\"");
  }
}
