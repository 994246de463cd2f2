package dev.anvil.security;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.Tiers;
import dev.anvil.node.RunningNode;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.junit.jupiter.api.Tag;

/**
 * Two promises of tenants, over generated requests to one node with a tokens file: no request
 * without a valid token ever reaches a kind, and no tenant ever reads, cancels, watches or lists
 * another tenant's job (unless it is admin).
 */
@Tag(Tiers.SLOW)
class TenantProperties {

  private static final Map<String, String> TOKENS = Map.of(
      "team-a", "token-of-team-a-0001",
      "team-b", "token-of-team-b-0002",
      "team-c", "token-of-team-c-0003");
  private static final String ADMIN = "token-of-ops-0004";
  private static final List<String> SUBMISSIONS = List.of("/v1/tasks/spin", "/v1/jobs/spin", "/v1/batches/spin");

  private static RunningNode node;
  private static HttpTestClient http;
  private static Path dir;

  @BeforeContainer
  static void start() throws IOException {
    dir = Files.createTempDirectory("anvil-tenant-properties");
    Path file = dir.resolve("tokens");
    List<String> lines = new ArrayList<>();
    TOKENS.forEach((tenant, token) -> lines.add(tenant + " submit,read " + ApiTokens.hashed(token)));
    lines.add("ops admin " + ADMIN);
    Files.write(file, lines);
    node = TestNodes.start(Map.of("anvil.compute.workers", 2, "anvil.http.tokens-file", file.toString(),
        "pekko.actor.serialize-messages", "off"));
    http = new HttpTestClient(node.httpPort());
  }

  @AfterContainer
  static void stop() {
    node.close();
  }

  // --- no request without a valid token reaches a kind

  @Property(tries = 200)
  void noRequestWithoutAValidTokenReachesAKind(@ForAll("badAuthorizations") String authorization,
      @ForAll("submissions") String path) {
    long before = tasksSeen();
    HttpRequest.Builder b = http.request(path).header("Content-Type", path.contains("batches")
        ? "application/x-ndjson" : "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"ms\":1}\n"));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    HttpResponse<String> r = http.send(b.build());
    assertThat(r.statusCode()).as(authorization + " -> " + r.body()).isEqualTo(401);
    assertThat(tasksSeen()).isEqualTo(before);
  }

  /** Every task this node's scheduler ever took, ran or holds: unchanged if nothing reached a kind. */
  private static long tasksSeen() {
    var load = node.scheduler().load();
    return load.completed() + load.running() + load.queued();
  }

  @Provide
  Arbitrary<String> submissions() {
    return Arbitraries.of(SUBMISSIONS);
  }

  @Provide
  Arbitrary<String> badAuthorizations() {
    List<String> valid = new ArrayList<>(TOKENS.values());
    valid.add(ADMIN);
    Arbitrary<String> token = Arbitraries.of(valid);
    Arbitrary<String> nearMiss = Combinators.combine(token, Arbitraries.integers().between(0, 30),
        Arbitraries.chars().alpha().numeric()).as((t, i, c) -> {
          int at = i % t.length();
          char replaced = t.charAt(at) == c ? (char) (c + 1) : c;
          return t.substring(0, at) + replaced + t.substring(at + 1);
        });
    return Arbitraries.oneOf(
        Arbitraries.just(null),
        Arbitraries.strings().withCharRange('!', '~').ofMaxLength(60).map(s -> "Bearer " + s),
        nearMiss.map(t -> "Bearer " + t),
        token.map(t -> "Bearer " + t.substring(0, t.length() - 1)), // a prefix
        token.map(t -> "Bearer " + t + "x"),
        token.map(t -> "Bearer " + t.toUpperCase()),
        token.map(t -> "Bearer " + ApiTokens.hashed(t)), // the hash the file holds is not a token
        token.map(t -> "Basic " + t),
        token.map(t -> t));
    // not "Bearer" + token without the space: Pekko HTTP's header parser reads that as the bearer
    // token itself (its rule allows no space), so it presents a valid token
  }

  // --- no tenant ever reads another's job

  /** One step of a client: its tenant, and what it does (submit, or read/watch/cancel the i-th job seen, or list). */
  record Step(String tenant, String op, int job) {}

  @Property(tries = 20)
  void noTenantEverReadsAnothersJob(@ForAll("steps") @Size(min = 1, max = 12) List<Step> steps) {
    List<String> ids = new ArrayList<>();
    Map<String, String> owner = new HashMap<>();
    for (Step step : steps) {
      String token = TOKENS.get(step.tenant());
      if (step.op().equals("submit") || ids.isEmpty()) {
        HttpResponse<String> r = send(token, "POST", "/v1/jobs/spin", "{\"ms\":" + (1 + step.job() % 50) + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        String id = json(r).at("/id").asText();
        ids.add(id);
        owner.put(id, step.tenant());
        continue;
      }
      String id = ids.get(step.job() % ids.size());
      boolean own = owner.get(id).equals(step.tenant());
      switch (step.op()) {
        case "get" -> {
          HttpResponse<String> r = send(token, "GET", "/v1/jobs/" + id, null);
          assertThat(r.statusCode()).as(r.body()).isEqualTo(own ? 200 : 404);
          if (own) {
            assertThat(json(r).at("/tenant").asText()).isEqualTo(step.tenant());
          }
        }
        case "cancel" -> {
          HttpResponse<String> r = send(token, "DELETE", "/v1/jobs/" + id, null);
          if (own) {
            assertThat(r.statusCode()).as(r.body()).isIn(202, 204);
            ids.remove(id); // cancelled, or deleted if it had ended
          } else {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
          }
        }
        case "events" -> {
          if (!own) {
            assertThat(send(token, "GET", "/v1/jobs/" + id + "/events", null).statusCode()).isEqualTo(404);
          }
        }
        default -> {
          HttpResponse<String> r = send(token, "GET", "/v1/jobs?limit=1000", null);
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
          json(r).at("/jobs").forEach(j -> assertThat(j.at("/tenant").asText()).isEqualTo(step.tenant()));
        }
      }
    }
    // and an admin sees each job that is still there, whoever owns it
    for (String id : ids) {
      HttpResponse<String> r = send(ADMIN, "GET", "/v1/jobs/" + id, null);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(json(r).at("/tenant").asText()).isEqualTo(owner.get(id));
    }
  }

  @Provide
  Arbitrary<List<Step>> steps() {
    return Combinators.combine(Arbitraries.of(TOKENS.keySet()),
            Arbitraries.of("submit", "get", "cancel", "events", "list"), Arbitraries.integers().between(0, 1000))
        .as(Step::new).list();
  }

  private static HttpResponse<String> send(String token, String method, String path, String body) {
    HttpRequest.Builder b = http.request(path).header("Authorization", "Bearer " + token);
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    return http.send(b.build());
  }
}
