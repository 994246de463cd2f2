package dev.anvil.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.testkit.AnvilCluster;
import dev.anvil.testkit.AnvilClusterExtension;
import dev.anvil.testkit.AnvilNode;
import dev.anvil.testkit.BatchAnswer;
import dev.anvil.testkit.ClusterView;
import dev.anvil.testkit.TaskAnswer;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code POST /v1/batches/{kind}} on two one-worker nodes in this JVM, shared by the tests: strict
 * lines, both orders, the request's own errors, a client that goes away, one that stops reading,
 * a batch beside ordinary tasks, and, last (it crashes a node, so the cluster is not started
 * twice), a node lost in the middle of a batch.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BatchApiTest {

  @RegisterExtension
  static final AnvilClusterExtension anvil = AnvilClusterExtension.configured(b -> b.nodes(2).workersPerNode(1)
      .config("anvil.batch.max-line-bytes", "4 KiB"));

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  @Test
  void eachLineIsCheckedAloneAndAnsweredInInputOrderWhenAsked() {
    AnvilNode a = anvil.cluster().node(0);
    List<String> lines = List.of(
        "{\"limit\":1000}",
        "nope",
        "{\"limit\":-5}",
        "{\"limit\":10,\"extra\":1}",
        "{\"limit\":100}",
        "{\"limit\":" + "1".repeat(5000) + "}", // longer than max-line-bytes
        "{\"limit\":10}");
    BatchAnswer answer = a.batch("primes", lines, true);

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.items()).extracting(i -> i.path("index").asInt()).containsExactly(0, 1, 2, 3, 4, 5, 6);
    assertThat(answer.items()).extracting(i -> i.path("status").asInt()).containsExactly(200, 400, 400, 400, 200, 413,
        200);
    assertThat(answer.item(0).path("result").path("count").asInt()).isEqualTo(168);
    assertThat(answer.item(4).path("result").path("count").asInt()).isEqualTo(25);
    assertThat(answer.item(6).path("result").path("count").asInt()).isEqualTo(4);
    assertThat(answer.item(0).path("node").asText()).isIn(a.id(), anvil.cluster().node(1).id());
    assertThat(answer.item(1).path("error").path("type").asText()).isEqualTo("urn:anvil:problem:invalid-input");
    assertThat(answer.item(2).path("error").path("field").asText()).isEqualTo("limit");
    assertThat(answer.item(3).path("error").path("detail").asText()).contains("extra");
    assertThat(answer.item(5).path("error").path("type").asText()).isEqualTo("urn:anvil:problem:item-too-large");
    assertThat(answer.summary().path("items").asInt()).isEqualTo(7);
    assertThat(answer.summary().path("succeeded").asInt()).isEqualTo(3);
    assertThat(answer.summary().path("failed").asInt()).isEqualTo(4);
  }

  @Test
  void everyItemIsAnsweredOnceWithItsOwnResultAndTheItemsSpreadOverTheNodes() {
    AnvilNode a = anvil.cluster().node(0);
    int n = 600;
    List<String> lines = IntStream.range(0, n).mapToObj(i -> "{\"limit\":" + (20_000 + i) + "}").toList();
    BatchAnswer answer = a.batch("primes", lines, false);

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.items()).hasSize(n);
    Set<Integer> seen = new HashSet<>();
    Set<String> nodes = new HashSet<>();
    int[] primes = primeCounts(20_000 + n);
    for (JsonNode item : answer.items()) {
      int index = item.path("index").asInt();
      assertThat(seen.add(index)).as("index %d answered twice", index).isTrue();
      assertThat(item.path("status").asInt()).as(item.toString()).isEqualTo(200);
      assertThat(item.path("result").path("count").asInt()).as(item.toString()).isEqualTo(primes[20_000 + index]);
      nodes.add(item.path("node").asText());
    }
    assertThat(seen).hasSize(n);
    assertThat(nodes).containsExactlyInAnyOrder(a.id(), anvil.cluster().node(1).id());
    assertThat(answer.summary().path("succeeded").asInt()).isEqualTo(n);
  }

  @Test
  void theRequestsOwnErrorsAreProblemsBeforeAnyLine() throws Exception {
    AnvilNode a = anvil.cluster().node(0);
    assertProblem(a, "/v1/batches/no-such-kind", "application/x-ndjson", 404, "unknown-kind");
    assertProblem(a, "/v1/batches/primes", "application/json", 415, "not-ndjson");
    assertProblem(a, "/v1/batches/primes?ordered=maybe", "application/x-ndjson", 400, "invalid-input");
    assertProblem(a, "/v1/batches/primes?timeoutMs=0", "application/x-ndjson", 400, "invalid-input");
    assertProblem(a, "/v1/batches/primes?colour=red", "application/x-ndjson", 400, "invalid-input");
    HttpResponse<String> get = CLIENT.send(HttpRequest.newBuilder(a.uri().resolve("/v1/batches/primes")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("Content-Type")).hasValue("application/problem+json");
  }

  @Test
  void aClientThatGoesAwayCancelsTheItemsThatHaveNotEnded() throws Exception {
    AnvilNode a = anvil.cluster().node(0);
    AnvilNode b = anvil.cluster().node(1);
    String body = String.join("\n", java.util.Collections.nCopies(20, "{\"ms\":60000}")) + "\n";
    HttpResponse<InputStream> response = CLIENT.send(HttpRequest.newBuilder(a.uri().resolve("/v1/batches/spin"))
            .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> running(a) == 1 && running(b) == 1);

    response.body().close(); // the client goes away with every item still running or queued

    // each worker is freed long before its minute of spinning, and nothing is left queued
    await().atMost(Duration.ofSeconds(10)).until(() -> running(a) == 0 && running(b) == 0
        && queued(a) == 0 && queued(b) == 0);
    assertThat(a.submit("primes", "{\"limit\":1000}").result().path("count").asInt()).isEqualTo(168);
  }

  @Test
  void anItemsLineComesAsItEndsNotWithItsGroup() throws Exception {
    AnvilNode a = anvil.cluster().node(0);
    AnvilNode b = anvil.cluster().node(1);
    // one group of six; the quick item's line must not wait for the minute-long ones beside it
    String body = "{\"ms\":10}\n" + String.join("\n", java.util.Collections.nCopies(5, "{\"ms\":60000}")) + "\n";
    HttpResponse<InputStream> response = CLIENT.send(HttpRequest.newBuilder(a.uri().resolve("/v1/batches/spin"))
            .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    JsonNode first = JSON.readTree(CompletableFuture.supplyAsync(() -> {
      try {
        return reader.readLine();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).get(20, java.util.concurrent.TimeUnit.SECONDS)); // before the long items end, or this times out

    assertThat(first.path("index").asInt()).isZero();
    assertThat(first.path("status").asInt()).isEqualTo(200);
    assertThat(running(a) + running(b)).as("the long items still run").isEqualTo(2);
    response.body().close();
    await().atMost(Duration.ofSeconds(10)).until(() -> running(a) == 0 && running(b) == 0);
  }

  @Test
  void aClientThatStopsReadingHoldsTheBatchBackAndItResumesWhenItReads() throws Exception {
    AnvilNode a = anvil.cluster().node(0);
    int n = 60_000;
    String padded = "{\"limit\":10}" + " ".repeat(500) + "\n"; // long lines: the socket buffers hold few of them
    AtomicLong written = new AtomicLong();
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(16 * 1024);
      socket.setSendBufferSize(16 * 1024);
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", a.httpPort()));
      OutputStream out = new java.io.BufferedOutputStream(socket.getOutputStream(), 8192);
      out.write(("POST /v1/batches/primes HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-ndjson\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          byte[] line = padded.getBytes(StandardCharsets.US_ASCII);
          for (int i = 0; i < n; i++) {
            out.write((Integer.toHexString(line.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(line);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            written.incrementAndGet();
          }
          out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });

      // nobody reads the answer: the node stops reading the input, so the writer cannot finish
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> !writer.isDone());
      long stalledAt = written.get();
      assertThat(stalledAt).isLessThan(n);

      // reading again, every item is answered
      BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(),
          StandardCharsets.UTF_8));
      String statusLine = reader.readLine();
      assertThat(statusLine).startsWith("HTTP/1.1 200");
      int items = 0;
      JsonNode summary = null;
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (line.startsWith("{\"index\"")) {
          items++;
        } else if (line.startsWith("{\"summary\"")) {
          summary = JSON.readTree(line).get("summary");
        }
      }
      writer.join();
      assertThat(items).isEqualTo(n);
      assertThat(summary).isNotNull();
      assertThat(summary.path("succeeded").asInt()).isEqualTo(n);
    }
  }

  @Test
  void aTaskSentWhileABatchFillsEveryWorkerRunsBeforeTheBatchEnds() throws Exception {
    AnvilNode a = anvil.cluster().node(0);
    int n = 300;
    String body = String.join("\n", java.util.Collections.nCopies(n, "{\"ms\":20}")) + "\n"; // ~3 s on 2 workers
    HttpResponse<InputStream> response = CLIENT.send(HttpRequest.newBuilder(a.uri().resolve("/v1/batches/spin"))
            .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    AtomicInteger answered = new AtomicInteger();
    CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          if (line.startsWith("{\"index\"")) {
            answered.incrementAndGet();
          }
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> answered.get() > 0);

    TaskAnswer task = a.submit("spin", "{\"ms\":10}");
    int batchDoneThen = answered.get();

    assertThat(task.succeeded()).as(task.body()).isTrue();
    // the batch's items queued on the task's node took turns with it: it did not wait behind them
    assertThat(batchDoneThen).isLessThan(n / 2);
    reading.join();
    assertThat(answered.get()).isEqualTo(n);
  }

  private static void assertProblem(AnvilNode node, String path, String contentType, int status, String slug)
      throws Exception {
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(node.uri().resolve(path))
        .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString("{\"limit\":10}\n")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(JSON.readTree(r.body()).path("type").asText()).isEqualTo("urn:anvil:problem:" + slug);
  }

  @Test
  @Order(Integer.MAX_VALUE) // the last: it crashes node 1
  void aNodeKilledMidBatchHasItsItemsRunElsewhereAndEveryIndexIsAnsweredOnce() {
    AnvilCluster cluster = anvil.cluster();
    AnvilNode a = cluster.node(0);
    AnvilNode b = cluster.node(1);
    int n = 60;
    List<String> lines = IntStream.range(0, n).mapToObj(i -> "{\"ms\":" + (150 + i) + "}").toList();
    CompletableFuture<BatchAnswer> batch = CompletableFuture.supplyAsync(() -> a.batch("spin", lines, false));
    await().atMost(Duration.ofSeconds(10)).until(() -> running(b) == 1);

    cluster.crash(1); // as kill -9: its items never answer

    BatchAnswer answer = batch.join();
    assertThat(answer.status()).isEqualTo(200);
    Set<Integer> seen = new HashSet<>();
    for (JsonNode item : answer.items()) {
      int index = item.path("index").asInt();
      assertThat(seen.add(index)).as("index %d answered twice", index).isTrue();
      assertThat(item.path("status").asInt()).as(item.toString()).isEqualTo(200);
      assertThat(item.path("result").path("ms").asInt()).isEqualTo(150 + index);
      assertThat(item.path("node").asText()).isEqualTo(a.id()); // b answered nothing: its groups were not done
    }
    assertThat(seen).hasSize(n);
    assertThat(answer.summary().path("succeeded").asInt()).isEqualTo(n);
  }

  private static int running(AnvilNode node) {
    return ClusterView.read(node.uri()).running(node.id());
  }

  private static int queued(AnvilNode node) throws Exception {
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(node.uri().resolve("/v1/cluster")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    for (JsonNode member : JSON.readTree(r.body()).path("members")) {
      if (member.path("node").asText().equals(node.id())) {
        return member.path("load").path("queued").asInt();
      }
    }
    throw new AssertionError("no " + node.id() + " in " + r.body());
  }

  /** The count of primes up to each number to {@code max}, by trial division: independent of the kind's sieve. */
  static int[] primeCounts(int max) {
    int[] counts = new int[max + 1];
    int count = 0;
    for (int i = 2; i <= max; i++) {
      boolean prime = true;
      for (int d = 2; (long) d * d <= i; d++) {
        if (i % d == 0) {
          prime = false;
          break;
        }
      }
      if (prime) {
        count++;
      }
      counts[i] = count;
    }
    return counts;
  }
}
