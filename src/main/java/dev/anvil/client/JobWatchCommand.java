package dev.anvil.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code anvil jobs watch ID}: follows a job's events with a progress bar, then prints its result. */
@Command(name = "watch", mixinStandardHelpOptions = true, versionProvider = dev.anvil.config.AnvilVersion.class,
    description = {"Follows a job with a progress bar until it ends, then prints its result.",
        "Reads GET /v1/jobs/ID/events; the bar goes to stderr, the result to stdout as indented JSON; a failed"
        + " or cancelled job's detail goes to stderr."},
    exitCodeListHeading = ClientCommand.EXIT_HEADING,
    exitCodeList = {"0:the job succeeded", "1:the job failed or was cancelled, or the server refused (404: unknown"
        + " job)", ClientCommand.EXIT_USAGE, ClientCommand.EXIT_UNREACHABLE})
public final class JobWatchCommand extends ClientCommand {

  /** Times the event stream may end (its node stopped) before the job does; each time it is opened again. */
  private static final int RECONNECTS = 3;
  /** The statuses a job ends in. */
  static final Set<String> FINAL = Set.of("succeeded", "failed", "cancelled");

  @Parameters(paramLabel = "ID", description = "The job's id (what 'submit --async' prints)") String id;

  @Option(names = {"-q", "--quiet"}, description = "No progress bar") boolean quiet;

  /** Started with the first event, so that a refusal (an unknown id) prints no bar. */
  private ProgressDisplay bar;

  @Override
  int run(ApiClient client) throws ClientException, InterruptedException {
    JsonNode last;
    try {
      last = follow(client);
      if (bar != null && "succeeded".equals(last.path("status").asText())) {
        bar.stepTo(100);
      }
    } finally {
      if (bar != null) {
        bar.close();
      }
    }
    String status = last.path("status").asText();
    JsonNode error = last.path("error");
    String detail = error.path("detail").isTextual() ? ": " + error.path("detail").asText() : "";
    return switch (status) {
      case "succeeded" -> {
        out().println(Json.pretty(last.path("result")));
        yield OK;
      }
      case "cancelled" -> throw ClientException.failed("job " + id + " was cancelled" + detail);
      default -> throw ClientException.failed("job " + id + " " + status + detail);
    };
  }

  /** Follows the event stream to the final status; opens it again when it ends early (its node went away). */
  private JsonNode follow(ApiClient client) throws ClientException, InterruptedException {
    String path = "/v1/jobs/" + ApiClient.segment(id) + "/events";
    String lostBecause = null;
    for (int attempt = 0; attempt <= RECONNECTS; attempt++) {
      HttpResponse<Stream<String>> response = client.send(
          client.request(path).header("Accept", "text/event-stream").GET().build(),
          HttpResponse.BodyHandlers.ofLines());
      if (response.statusCode() != 200) {
        String body;
        try (Stream<String> lines = response.body()) {
          body = lines.collect(Collectors.joining("\n"));
        }
        throw ClientException.failed(client.problem(response.statusCode(), body));
      }
      try (Stream<String> lines = response.body()) {
        Optional<JsonNode> done = finalStatus(lines);
        if (done.isPresent()) {
          return done.get();
        }
        lostBecause = "the event stream ended before the job did";
      } catch (UncheckedIOException e) {
        lostBecause = client.unreachable(e.getCause());
      }
    }
    throw ClientException.unreachable(lostBecause + " (" + (RECONNECTS + 1) + " times)");
  }

  private Optional<JsonNode> finalStatus(Stream<String> lines) {
    ServerSentEvents events = new ServerSentEvents();
    for (String line : (Iterable<String>) lines::iterator) {
      Optional<ServerSentEvents.Event> event = events.accept(line);
      if (event.isEmpty()) {
        continue;
      }
      JsonNode data = Json.parseOrNull(event.get().data());
      if (data == null) {
        continue;
      }
      if (bar == null && !quiet) {
        bar = ProgressDisplay.start(err(), "job " + id, 100);
      }
      if (bar != null && data.has("progress")) {
        bar.stepTo(Math.round(data.path("progress").asDouble() * 100));
      }
      if (event.get().type().equals("status")) {
        String status = data.path("status").asText();
        if (bar != null) {
          int attempts = data.path("attempts").asInt(1);
          bar.message(status + (attempts > 1 ? " (attempt " + attempts + ")" : ""));
        }
        if (FINAL.contains(status)) {
          return Optional.of(data);
        }
      }
    }
    return Optional.empty();
  }
}
