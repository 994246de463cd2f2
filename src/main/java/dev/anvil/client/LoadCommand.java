package dev.anvil.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code anvil load KIND [INPUT]}: a built-in load generator, with live progress and a latency summary. */
@Command(name = "load", mixinStandardHelpOptions = true, versionProvider = dev.anvil.config.AnvilVersion.class,
    description = {"Puts load on the cluster: one task kind, N concurrent loops, for a time; prints tasks/s and latency.",
        "Each loop sends POST /v1/tasks/KIND and waits for its answer before the next. Progress goes to stderr;"
        + " then it prints requests, tasks/s (answers 200 per second), the latency of the 200s (p50, p99, max)"
        + " and the answers by status."},
    exitCodeListHeading = ClientCommand.EXIT_HEADING,
    exitCodeList = {"0:the run is done and some tasks succeeded (read the summary for the rest)",
        "1:no task succeeded, or the server refused before the run (unknown kind, bad token)",
        ClientCommand.EXIT_USAGE, ClientCommand.EXIT_UNREACHABLE})
public final class LoadCommand extends ClientCommand {

  private static final int MAX_CONCURRENCY = 1024;

  @Parameters(index = "0", paramLabel = "KIND", description = "The kind of task, e.g. primes") String kind;

  @Parameters(index = "1", arity = "0..1", paramLabel = "INPUT", description = TaskInput.HELP) String input;

  @Option(names = {"-c", "--concurrency"}, paramLabel = "N", defaultValue = "8",
      description = "Concurrent request loops, one connection each, 1 to " + MAX_CONCURRENCY
          + " (default ${DEFAULT-VALUE})")
  int concurrency;

  @Option(names = {"-d", "--duration"}, paramLabel = "D", defaultValue = "10s", converter = DurationConverter.class,
      description = "How long: 500ms, 10s, 1m, 1h (default ${DEFAULT-VALUE})")
  Duration duration;

  @Option(names = "--timeout-ms", paramLabel = "MS", description = "Each task's deadline (query timeoutMs)")
  Long timeoutMs;

  @Option(names = "--json", description = "Print the summary as one line of JSON") boolean json;

  @Option(names = {"-q", "--quiet"}, description = "No progress bar") boolean quiet;

  @Override
  int run(ApiClient client) throws ClientException, InterruptedException {
    if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new ParameterException(spec.commandLine(), "--concurrency must be from 1 to " + MAX_CONCURRENCY
          + ", was " + concurrency);
    }
    String body = TaskInput.read(input, spec, System.in);
    checkKind(client);
    String path = "/v1/tasks/" + ApiClient.segment(kind) + (timeoutMs == null ? "" : "?timeoutMs=" + timeoutMs);
    LoadRun run = new LoadRun(client, client.postJson(path, body).build(), concurrency, duration);
    LoadSummary summary;
    long max = duration.toMillis();
    try (ProgressDisplay bar = quiet ? null : ProgressDisplay.start(err(), "load " + kind, max)) {
      summary = run.run(kind, () -> {
        if (bar != null) {
          long elapsed = Math.min(run.elapsed().toMillis(), max);
          bar.stepTo(elapsed);
          bar.message(String.format("%.1f/%.1f s  %d tasks  %.1f tasks/s  %d errors", elapsed / 1000.0,
              max / 1000.0, run.succeeded(), run.succeeded() / Math.max(elapsed / 1000.0, 0.001), run.failed()));
        }
      });
    }
    if (json) {
      try {
        out().println(Json.MAPPER.writeValueAsString(summary.json()));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    } else {
      summary.printText(out());
    }
    if (summary.succeeded() == 0) {
      throw ClientException.failed("no task succeeded" + (!summary.details().isEmpty()
          ? "; " + summary.details().values().iterator().next()
          : summary.cutOff() > 0 ? " within " + duration.toMillis() / 1000.0 + " s (a longer --duration?)" : ""));
    }
    return OK;
  }

  /** Before the run, one cheap request: a bad URL, token or kind shows at once, not as thousands of errors. */
  private void checkKind(ApiClient client) throws ClientException, InterruptedException {
    JsonNode kinds = Json.parseOrNull(client.send(client.request("/v1/kinds").GET().build()).body());
    List<String> known = new ArrayList<>();
    for (JsonNode k : kinds == null ? Json.MAPPER.createArrayNode() : kinds) {
      known.add(k.path("kind").asText());
    }
    if (!known.contains(kind)) {
      throw ClientException.failed("unknown kind '" + kind + "'; known: " + String.join(", ", known));
    }
  }
}
