package dev.anvil.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * The clients of a chaos run: a bounded pool of threads, each sending one call at a time to a
 * random host, and recording each call in the history. The calls: synchronous tasks of every
 * built-in kind, jobs with and without an Idempotency-Key (a keyed one sent again with its key),
 * reads, cancels, watches of a job's events, and batches.
 */
final class Load {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);
  static final List<String> KINDS = List.of("primes", "pbkdf2", "stats", "spin");

  private record Keyed(String key, String kind, String body) {}

  private final List<String> urls;
  private final History history;
  private final LongSupplier clock;
  private final long seed;
  private final int clients;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "chaos-deadlines");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean running = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();
  private final List<String> jobs = new CopyOnWriteArrayList<>();
  private final List<Keyed> keyed = new CopyOnWriteArrayList<>();

  Load(List<String> urls, History history, LongSupplier clock, long seed, int clients) {
    this.urls = urls;
    this.history = history;
    this.clock = clock;
    this.seed = seed;
    this.clients = clients;
  }

  void start() {
    running.set(true);
    for (int i = 0; i < clients; i++) {
      Random random = new Random(seed * 31 + i);
      Thread t = new Thread(() -> {
        while (running.get()) {
          if (!step(random)) {
            // a call that got no answer (a host down or cut): a client waits a little before the next,
            // as a real one would, rather than spin on refused connections
            try {
              Thread.sleep(100);
            } catch (InterruptedException e) {
              return;
            }
          }
        }
      }, "chaos-client-" + i);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
  }

  void stop() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join(CALL_TIMEOUT.toMillis() * 2);
    }
  }

  /** The jobs accepted so far. */
  List<String> jobs() {
    return List.copyOf(jobs);
  }

  /** One call; false when it got no answer at all. */
  private boolean step(Random random) {
    answered.set(true);
    String url = urls.get(random.nextInt(urls.size()));
    int dice = random.nextInt(100);
    if (dice < 45) {
      task(url, random);
    } else if (dice < 62 || jobs.isEmpty()) {
      submit(url, random);
    } else if (dice < 67 && !keyed.isEmpty()) {
      Keyed again = keyed.get(random.nextInt(keyed.size()));
      submit(url, again.kind(), again.body(), again.key());
    } else if (dice < 79) {
      read(url, pick(random));
    } else if (dice < 85) {
      watch(url, pick(random));
    } else if (dice < 90) {
      cancel(url, pick(random));
    } else {
      batch(url, random);
    }
    return answered.get();
  }

  private final ThreadLocal<Boolean> answered = ThreadLocal.withInitial(() -> true);

  private String pick(Random random) {
    // mostly recent jobs, which may still run
    int n = jobs.size();
    return jobs.get(Math.max(0, n - 1 - random.nextInt(Math.min(n, 50))));
  }

  /** An input of {@code kind} that takes a few ms to a few hundred; jobs' spins run longer so cancels meet them. */
  static ObjectNode input(String kind, Random random, boolean job) {
    ObjectNode input = JSON.createObjectNode();
    switch (kind) {
      case "primes" -> input.put("limit", 1_000 + random.nextInt(300_000));
      case "pbkdf2" -> input.put("password", "pw" + random.nextInt(1000)).put("salt", "salt" + random.nextInt(1000))
          .put("iterations", 1_000 + random.nextInt(20_000)).put("keyBytes", 32);
      case "stats" -> {
        ArrayNode values = input.putArray("values");
        int n = 1 + random.nextInt(50);
        for (int i = 0; i < n; i++) {
          values.add(random.nextInt(10_000) - 5_000);
        }
      }
      default -> input.put("ms", job ? 50 + random.nextInt(3_000) : 1 + random.nextInt(200));
    }
    return input;
  }

  private void task(String url, Random random) {
    String kind = KINDS.get(random.nextInt(KINDS.size()));
    ObjectNode input = input(kind, random, false);
    long start = clock.getAsLong();
    Answer a = send(post(url + "/v1/tasks/" + kind, "application/json", input.toString(), null));
    history.add(Operation.task(kind, input, a.status, a.body == null ? null : a.body.get("result"), start,
        clock.getAsLong()));
  }

  private void submit(String url, Random random) {
    String kind = KINDS.get(random.nextInt(KINDS.size()));
    String body = input(kind, random, true).toString();
    String key = random.nextBoolean() ? "k-" + seed + "-" + Long.toHexString(random.nextLong()) : null;
    if (key != null) {
      keyed.add(new Keyed(key, kind, body));
    }
    submit(url, kind, body, key);
  }

  private void submit(String url, String kind, String body, String key) {
    long start = clock.getAsLong();
    Answer a = send(post(url + "/v1/jobs/" + kind, "application/json", body, key));
    String id = a.status == 202 && a.body != null ? a.body.path("id").asText(null) : null;
    if (id != null && !jobs.contains(id)) {
      jobs.add(id);
    }
    history.add(Operation.submit(kind, parse(body), key, a.status, id, a.body == null || a.status != 202 ? null
        : a.body.path("status").asText(null), start, clock.getAsLong()));
  }

  /** GET of a job; also the run's last sweep. Returns the status read, or null. */
  String read(String url, String job) {
    long start = clock.getAsLong();
    Answer a = send(request(url + "/v1/jobs/" + job).GET().build());
    String status = a.status == 200 && a.body != null ? a.body.path("status").asText(null) : null;
    history.add(Operation.read(job, a.status, status, a.status == 200 && a.body != null ? a.body.get("result") : null,
        start, clock.getAsLong()));
    return a.status == 404 ? "unknown" : status;
  }

  private void cancel(String url, String job) {
    long start = clock.getAsLong();
    Answer a = send(request(url + "/v1/jobs/" + job).DELETE().build());
    history.add(Operation.cancel(job, a.status, start, clock.getAsLong()));
  }

  /** Follows a job's events until the stream ends (after the final status) or the call's timeout. */
  private void watch(String url, String job) {
    long start = clock.getAsLong();
    int status = 0;
    JsonNode last = null;
    try {
      HttpResponse<InputStream> r = http.send(request(url + "/v1/jobs/" + job + "/events").GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
      status = r.statusCode();
      try (InputStream in = r.body()) {
        var closer = deadlines.schedule(() -> closeQuietly(in), CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        // an event is its lines up to a blank one, its data and its type in either order
        String event = null;
        StringBuilder data = new StringBuilder();
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          if (line.isEmpty()) {
            if ("status".equals(event) && data.length() > 0) {
              last = parse(data.toString());
            }
            event = null;
            data.setLength(0);
          } else if (line.startsWith("event:")) {
            event = line.substring(6).strip();
          } else if (line.startsWith("data:")) {
            data.append(line.substring(5).strip());
          }
        }
        closer.cancel(false);
      }
    } catch (IOException e) {
      // a broken stream keeps what it showed before it broke
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // what the stream showed is an observation even when it broke before the end
    history.add(Operation.watch(job, status,
        last == null ? null : last.path("status").asText(null), last == null ? null : last.get("result"), start,
        clock.getAsLong()));
  }

  private void batch(String url, Random random) {
    String kind = KINDS.get(random.nextInt(KINDS.size()));
    int n = 5 + random.nextInt(40);
    ArrayNode inputs = JSON.createArrayNode();
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < n; i++) {
      ObjectNode input = input(kind, random, false);
      inputs.add(input);
      body.append(input).append('\n');
    }
    long start = clock.getAsLong();
    int status = 0;
    ArrayNode lines = JSON.createArrayNode();
    try {
      HttpResponse<InputStream> r = http.send(post(url + "/v1/batches/" + kind, "application/x-ndjson",
          body.toString(), null), HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = r.body()) {
        var closer = deadlines.schedule(() -> closeQuietly(in), CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        boolean summary = false;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          if (!line.isBlank()) {
            JsonNode parsed = parse(line);
            lines.add(parsed);
            summary |= parsed.has("summary");
          }
        }
        closer.cancel(false);
        // a 200 whose stream ended without its summary broke on the way (a node killed under it)
        status = r.statusCode() != 200 || summary ? r.statusCode() : 0;
      }
    } catch (IOException e) {
      status = 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    history.add(Operation.batch(kind, inputs, status, lines, start, clock.getAsLong()));
  }

  private record Answer(int status, JsonNode body) {}

  private Answer send(HttpRequest request) {
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.body().isEmpty() ? null : parse(r.body()));
    } catch (IOException e) {
      answered.set(false);
      return new Answer(0, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(0, null);
    }
  }

  private static HttpRequest.Builder request(String url) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(CALL_TIMEOUT)
        .header("Authorization", "Bearer " + ChaosCluster.TOKEN);
  }

  private static HttpRequest post(String url, String type, String body, String key) {
    HttpRequest.Builder b = request(url).header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      b.header("Idempotency-Key", key);
    }
    return b.build();
  }

  private static JsonNode parse(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      return JSON.getNodeFactory().textNode(text);
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      // closing a stream past its deadline
    }
  }
}
