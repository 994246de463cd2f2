package dev.anvil.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code anvil submit KIND [INPUT]}: runs one task and prints its result, or submits it as a job. */
@Command(name = "submit", mixinStandardHelpOptions = true, versionProvider = dev.anvil.config.AnvilVersion.class,
    description = {"Runs one task and prints its result, or submits a job and prints its id.",
        "Sends POST /v1/tasks/KIND and prints the answer's 'result' as indented JSON.",
        "With --async, submits it as a job (POST /v1/jobs/KIND) and prints only the job's id:",
        "  id=$(anvil submit --async spin '{\"ms\":5000}') && anvil jobs watch \"$id\""},
    exitCodeListHeading = ClientCommand.EXIT_HEADING,
    exitCodeList = {ClientCommand.EXIT_OK, "1:the task failed or was refused (its detail is printed)",
        ClientCommand.EXIT_USAGE, ClientCommand.EXIT_UNREACHABLE})
public final class SubmitCommand extends ClientCommand {

  @Parameters(index = "0", paramLabel = "KIND", description = "The kind of task, e.g. primes (see GET /v1/kinds)")
  String kind;

  @Parameters(index = "1", arity = "0..1", paramLabel = "INPUT", description = TaskInput.HELP)
  String input;

  @Option(names = "--timeout-ms", paramLabel = "MS",
      description = "The task's deadline (query timeoutMs; default: the server's, 30 s for a task, 10 min for a job)")
  Long timeoutMs;

  @Option(names = "--async", description = "Submit a job and print its id, without waiting for it")
  boolean async;

  @Option(names = "--idempotency-key", paramLabel = "KEY",
      description = "With --async: a retry with the same key and input gives the same job")
  String idempotencyKey;

  @Override
  int run(ApiClient client) throws ClientException, InterruptedException {
    String body = TaskInput.read(input, spec, System.in);
    String path = (async ? "/v1/jobs/" : "/v1/tasks/") + ApiClient.segment(kind)
        + (timeoutMs == null ? "" : "?timeoutMs=" + timeoutMs);
    HttpRequest.Builder request = client.postJson(path, body);
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    JsonNode answer = Json.parseOrNull(client.send(request.build()).body());
    if (async) {
      if (answer == null || !answer.path("id").isTextual()) {
        throw ClientException.failed("the server accepted the job but its answer names no id");
      }
      out().println(answer.path("id").asText());
    } else {
      if (answer == null || !answer.has("result")) {
        throw ClientException.failed("the server's answer holds no result");
      }
      out().println(Json.pretty(answer.get("result")));
    }
    return OK;
  }
}
