package dev.anvil.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.Tiers;
import dev.anvil.node.RunningNode;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.junit.jupiter.api.Tag;

/**
 * Random, mutated and broken input at every endpoint and every kind: the answer is a correct
 * 200 or a 4xx problem+json (504 when a valid but heavy task meets its short deadline), never
 * a 500, never a hang, and the node is healthy afterwards.
 */
@Tag(Tiers.SLOW)
class HostileInputProperties {

  private static final List<String> KINDS = List.of("primes", "pbkdf2", "mandelbrot", "stats", "spin");
  private static final Map<String, String> EXAMPLES = Map.of(
      "primes", "{\"limit\":1000}",
      "pbkdf2", "{\"password\":\"pw\",\"salt\":\"salt\",\"iterations\":10,\"keyBytes\":32}",
      "mandelbrot", "{\"width\":16,\"height\":12,\"maxIterations\":50,\"centerX\":-0.5,\"centerY\":0,\"scale\":3}",
      "stats", "{\"values\":[1,2,3.5,-4]}",
      "spin", "{\"ms\":1}");
  private static final Set<Integer> ALLOWED = Set.of(200, 400, 404, 405, 413, 415, 429, 504);

  private static RunningNode node;
  private static HttpTestClient http;
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeContainer
  static void start() {
    node = TestNodes.start(Map.of("anvil.compute.workers", 2, "anvil.http.max-body-bytes", "256k",
        "pekko.actor.serialize-messages", "off"));
    http = new HttpTestClient(node.httpPort());
  }

  @AfterContainer
  static void healthyAfterwards() {
    try {
      assertThat(http.get("/health").statusCode()).isEqualTo(200);
      assertThat(http.get("/ready").statusCode()).isEqualTo(200);
      assertThat(http.postTask("primes", "{\"limit\":1000000}").body()).contains("\"count\":78498");
    } finally {
      node.close();
    }
  }

  @Property(tries = 1500)
  void mutatedTaskInputsNeverBreakTheNode(@ForAll("kinds") String kind, @ForAll("mutations") Mutation mutation) {
    String body = mutation.apply(EXAMPLES.get(kind));
    check(post("/v1/tasks/" + kind + "?timeoutMs=300", body, "application/json"), body);
  }

  @Property(tries = 800)
  void arbitraryJsonAtEveryKind(@ForAll("kinds") String kind, @ForAll("json") String body) {
    check(post("/v1/tasks/" + kind + "?timeoutMs=300", body, "application/json"), body);
  }

  @Property(tries = 400)
  void arbitraryBytesAndContentTypes(@ForAll("kinds") String kind, @ForAll byte[] body,
      @ForAll("contentTypes") String contentType) {
    HttpRequest.Builder b = http.request("/v1/tasks/" + kind + "?timeoutMs=300")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    check(send(b.build()), "<" + body.length + " bytes as " + contentType + ">");
  }

  @Property(tries = 500)
  void arbitraryPathsMethodsAndQueries(@ForAll("paths") String path, @ForAll("methods") String method,
      @ForAll("oddText") String query) {
    String uri = path + "?timeoutMs=" + URLEncoder.encode(query, StandardCharsets.UTF_8);
    HttpRequest request = http.request(uri).header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(EXAMPLES.get("spin"))).build();
    HttpResponse<String> r = send(request);
    check(r, method + " " + uri);
  }

  /** Every field of every kind, given a JSON value of another type: 400 naming that field, never a conversion. */
  @Property(tries = 400)
  void aValueOfAnotherTypeIsRefusedAtEveryField(@ForAll("kinds") String kind, @ForAll("fieldIndex") int index,
      @ForAll("otherTypes") List<String> replacements) throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode example =
        (com.fasterxml.jackson.databind.node.ObjectNode) HttpTestClient.JSON.readTree(EXAMPLES.get(kind));
    List<String> fields = new java.util.ArrayList<>();
    example.fieldNames().forEachRemaining(fields::add);
    String field = fields.get(index % fields.size());
    JsonNode original = example.get(field);
    String replacement = replacements.stream().filter(r -> !sameType(original, r)).findFirst().orElseThrow();
    example.set(field, HttpTestClient.JSON.readTree(replacement));
    String body = example.toString();
    HttpResponse<String> r = post("/v1/tasks/" + kind + "?timeoutMs=300", body, "application/json");
    check(r, body);
    assertThat(r.statusCode()).as(body + " -> " + r.body()).isEqualTo(400);
    assertThat(HttpTestClient.json(r).at("/field").asText()).as(r.body()).startsWith(field);
  }

  private static boolean sameType(JsonNode original, String json) {
    char c = json.charAt(0);
    if (original.isNumber()) {
      return c == '-' || Character.isDigit(c);
    }
    if (original.isTextual()) {
      return c == '"';
    }
    return original.isArray() ? c == '[' : c == '{';
  }

  /** Requests that Pekko HTTP's parser refuses, and some it does not: problem+json or a success, never plain text. */
  @Property(tries = 300)
  void rawRequestsAreAnsweredWithProblemJson(@ForAll("requestLines") String requestLine,
      @ForAll("headerBlocks") String headers) {
    String request = requestLine + "\r\n" + headers + "Connection: close\r\n\r\n";
    dev.anvil.RawHttp.Response r = dev.anvil.RawHttp.exchange(node.httpPort(), request);
    Statistics.label("status").collect(r.status());
    assertThat(r.status()).as(abbreviate(request) + " -> " + r.body())
        .isIn(200, 400, 404, 405, 411, 413, 414, 415, 431, 501, 505);
    if (r.status() >= 400) {
      assertThat(r.contentType()).as(abbreviate(request)).isEqualTo("application/problem+json");
    }
  }

  private static HttpResponse<String> post(String path, String body, String contentType) {
    return send(http.request(path).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  private static HttpResponse<String> send(HttpRequest request) {
    try {
      // a hang fails the property: every answer must come within the request timeout
      return CLIENT.send(HttpRequest.newBuilder(request, (n, v) -> true).timeout(Duration.ofSeconds(15)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError("no answer to " + request.method() + " " + request.uri() + ": " + e, e);
    }
  }

  private static void check(HttpResponse<String> r, String input) {
    Statistics.label("status").collect(r.statusCode());
    assertThat(r.statusCode()).as("status for %s: %s", abbreviate(input), r.body()).isIn(ALLOWED);
    if (r.statusCode() != 200 || !r.request().uri().getPath().startsWith("/v1/tasks/")) {
      if (r.statusCode() == 200) {
        return; // e.g. GET /health with a stray query
      }
      assertThat(r.headers().firstValue("Content-Type")).as(abbreviate(input)).hasValue("application/problem+json");
      JsonNode problem = HttpTestClient.json(r);
      assertThat(problem.at("/status").asInt()).isEqualTo(r.statusCode());
      assertThat(problem.at("/detail").asText()).isNotBlank();
    } else {
      assertThat(HttpTestClient.json(r).at("/result").isObject()).as(abbreviate(input)).isTrue();
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }

  // ---- generators

  @Provide
  Arbitrary<String> kinds() {
    return Arbitraries.of(KINDS);
  }

  @Provide
  Arbitrary<String> contentTypes() {
    return Arbitraries.of("application/json", "application/json; charset=utf-16", "text/plain",
        "application/problem+json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")
        .injectNull(0.1);
  }

  @Provide
  Arbitrary<String> methods() {
    return Arbitraries.of("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");
  }

  @Provide
  Arbitrary<String> paths() {
    return Arbitraries.oneOf(
        Arbitraries.of("/health", "/ready", "/v1/kinds", "/v1/cluster", "/v1/tasks/spin", "/v1/tasks/",
            "/v1/tasks", "/v1/tasks/spin/extra", "/v1//tasks/spin", "/", "/v1"),
        Arbitraries.strings().withCharRange('a', 'z').withChars('-', '.', '%', '_').ofMaxLength(40)
            .map(s -> "/v1/tasks/" + URLEncoder.encode(s, StandardCharsets.UTF_8)));
  }

  @Provide
  Arbitrary<String> oddText() {
    return Arbitraries.oneOf(
        Arbitraries.strings().all().ofMaxLength(30),
        Arbitraries.of("-1", "0", "1e3", "9223372036854775808", "NaN", "", " 100 ", "0x10", "\u0000", "\ud800",
            "١٠٠", "100000000000000000000000"));
  }

  @Provide
  Arbitrary<Integer> fieldIndex() {
    return Arbitraries.integers().between(0, 10);
  }

  @Provide
  Arbitrary<List<String>> otherTypes() {
    return Arbitraries.of("\"7\"", "\"NaN\"", "\"\"", "true", "false", "12", "1.5", "-1e3", "[1]", "[]", "{}",
        "{\"a\":1}", "\"Infinity\"").list().ofMinSize(6).ofMaxSize(6)
        .map(list -> { // at least one of each type, so one differs from the original
          List<String> all = new java.util.ArrayList<>(list);
          all.addAll(List.of("\"7\"", "12", "[1]", "{}"));
          return all;
        });
  }

  @Provide
  Arbitrary<String> requestLines() {
    Arbitrary<String> method = Arbitraries.oneOf(Arbitraries.of("GET", "POST", "HEAD", "PUT", "BREW", "get", "G\u00c9T"),
        Arbitraries.strings().withCharRange('A', 'Z').ofMinLength(1).ofMaxLength(20));
    Arbitrary<String> target = Arbitraries.oneOf(
        Arbitraries.of("/health", "/ready", "/v1/kinds", "/v1/tasks/spin", "*", "http://x/health", "/%zz", "/a b",
            "//", "/health?x=%", "/v1/tasks/%00"),
        Arbitraries.integers().between(1, 5000).map(n -> "/" + "a".repeat(n)));
    Arbitrary<String> version = Arbitraries.of("HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "FOO/1.1",
        "HTTP/1.1 extra", "");
    return Combinators.combine(method, target, version).as((m, t, v) -> m + " " + t + (v.isEmpty() ? "" : " " + v));
  }

  @Provide
  Arbitrary<String> headerBlocks() {
    Arbitrary<String> host = Arbitraries.of("Host: x\r\n", "", "Host: a b\r\n", "Host: x\r\nHost: y\r\n",
        "Host: [::1\r\n");
    Arbitrary<String> length = Arbitraries.of("", "Content-Length: 0\r\n", "Content-Length: ten\r\n",
        "Content-Length: -1\r\n", "Content-Length: 99999999999999999999\r\n", "Content-Length: 1\r\nContent-Length: 2\r\n",
        "Transfer-Encoding: gzip\r\n");
    Arbitrary<String> extra = Arbitraries.oneOf(
        Arbitraries.integers().between(0, 120).map(n -> {
          StringBuilder b = new StringBuilder();
          for (int i = 0; i < n; i++) {
            b.append("X-H").append(i).append(": v\r\n");
          }
          return b.toString();
        }),
        Arbitraries.integers().between(1, 20_000).map(n -> "X-Big: " + "b".repeat(n) + "\r\n"),
        Arbitraries.of("Bad Header\r\n", ": empty\r\n", "X-Folded: a\r\n b\r\n", "X-Ctl: \u0001\r\n"));
    return Combinators.combine(host, length, extra).as((h, l, e) -> h + l + e);
  }

  @Provide
  Arbitrary<String> json() {
    return jsonValue(6).map(Object::toString);
  }

  @Provide
  Arbitrary<Mutation> mutations() {
    return Arbitraries.oneOf(
        Combinators.combine(Arbitraries.integers().between(0, 200), jsonValue(3))
            .as((at, value) -> (Mutation) s -> replaceValue(s, at, value.toString())),
        Arbitraries.integers().between(0, 200).map(at -> (Mutation) s -> s.substring(0, Math.min(at, s.length()))),
        Combinators.combine(Arbitraries.integers().between(0, 200), Arbitraries.strings().all().ofMaxLength(5))
            .as((at, junk) -> (Mutation) s -> insert(s, at, junk)),
        Combinators.combine(Arbitraries.integers().between(0, 200), hugeNumbers())
            .as((at, n) -> (Mutation) s -> replaceValue(s, at, n)),
        Combinators.combine(Arbitraries.integers().between(0, 200), oddStrings())
            .as((at, str) -> (Mutation) s -> replaceValue(s, at, quote(str))),
        Arbitraries.integers().between(1, 3000).map(depth -> (Mutation) s -> "{\"values\":" + "[".repeat(depth)
            + "]".repeat(depth) + ",\"limit\":" + "{\"a\":".repeat(depth) + "1" + "}".repeat(depth) + "}"),
        oddStrings().map(key -> (Mutation) s -> s.replaceFirst("\\{",
            java.util.regex.Matcher.quoteReplacement("{" + quote(key) + ":1,"))));
  }

  interface Mutation {
    String apply(String json);
  }

  private static Arbitrary<String> hugeNumbers() {
    return Arbitraries.of("-1", "0", "-0", "2147483648", "-2147483649", "9223372036854775807",
        "99999999999999999999999999", "1e309", "-1e309", "1e-400", "0.5", "1.0", "3.4e38", "4.9e-324", "-2147483648",
        "1" + "0".repeat(200), "200000001", "600001", "1025");
  }

  private static Arbitrary<String> oddStrings() {
    return Arbitraries.oneOf(
        Arbitraries.strings().all().ofMaxLength(20),
        Arbitraries.of("", "\u0000", "\ud800", "\udfff\ud800", "\u202e\u0645\u0631\u062d\u0628\u0627", "🦄".repeat(300),
            "a".repeat(2000), "\\", "\"", "\n\r\t", "\uFEFF", "limit"));
  }

  private static Arbitrary<Object> jsonValue(int depth) {
    Arbitrary<Object> leaf = Arbitraries.oneOf(
        Arbitraries.integers().map(i -> (Object) i.toString()),
        Arbitraries.doubles().map(d -> (Object) Double.toString(d).replace("Infinity", "1e999").replace("NaN", "0")),
        hugeNumbers().map(n -> (Object) n),
        oddStrings().map(s -> (Object) quote(s)),
        Arbitraries.of("true", "false", "null").map(s -> (Object) s));
    if (depth == 0) {
      return leaf;
    }
    Arbitrary<Object> array = jsonValue(depth - 1).list().ofMaxSize(4)
        .map(items -> (Object) ("[" + String.join(",", items.stream().map(Object::toString).toList()) + "]"));
    Arbitrary<Object> object = Combinators.combine(
            Arbitraries.of("limit", "values", "ms", "password", "salt", "iterations", "keyBytes", "width", "height",
                "maxIterations", "centerX", "centerY", "scale", "@class", "x").list().ofMaxSize(4),
            jsonValue(depth - 1).list().ofSize(4))
        .as((keys, values) -> {
          StringBuilder sb = new StringBuilder("{");
          for (int i = 0; i < keys.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(quote(keys.get(i))).append(':').append(values.get(i));
          }
          return (Object) sb.append('}').toString();
        });
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, leaf), net.jqwik.api.Tuple.of(2, array),
        net.jqwik.api.Tuple.of(3, object));
  }

  private static String quote(String s) {
    try {
      return HttpTestClient.JSON.writeValueAsString(s);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Replaces the JSON value after the n-th colon (mod the number of colons) with {@code value}. */
  private static String replaceValue(String json, int at, String value) {
    List<Integer> colons = new java.util.ArrayList<>();
    for (int i = 0; i < json.length(); i++) {
      if (json.charAt(i) == ':') {
        colons.add(i);
      }
    }
    if (colons.isEmpty()) {
      return json;
    }
    int start = colons.get(at % colons.size()) + 1;
    int end = start;
    int nesting = 0;
    boolean inString = false;
    for (; end < json.length(); end++) {
      char c = json.charAt(end);
      if (inString) {
        if (c == '\\') {
          end++;
        } else if (c == '"') {
          inString = false;
        }
        continue;
      }
      if (c == '"') {
        inString = true;
      } else if (c == '[' || c == '{') {
        nesting++;
      } else if (c == ']' || c == '}') {
        if (nesting == 0) {
          break;
        }
        nesting--;
      } else if (c == ',' && nesting == 0) {
        break;
      }
    }
    return json.substring(0, start) + value + json.substring(end);
  }

  private static String insert(String s, int at, String junk) {
    int i = Math.min(at, s.length());
    return s.substring(0, i) + junk + s.substring(i);
  }

}
