package dev.anvil.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code anvil jobs watch|get|cancel|delete|list}: the asynchronous jobs of /v1/jobs. */
@Command(name = "jobs", mixinStandardHelpOptions = true, versionProvider = dev.anvil.config.AnvilVersion.class,
    synopsisSubcommandLabel = "COMMAND",
    description = "Follows, reads, cancels, deletes and lists jobs (submit one with 'submit --async').",
    subcommands = {JobWatchCommand.class, JobsCommand.Get.class, JobsCommand.Cancel.class, JobsCommand.Delete.class,
        JobsCommand.ListJobs.class})
public final class JobsCommand {

  @Command(name = "get", mixinStandardHelpOptions = true, versionProvider = dev.anvil.config.AnvilVersion.class,
      description = "Prints a job's view (GET /v1/jobs/ID) as indented JSON, whatever its status.",
      exitCodeListHeading = ClientCommand.EXIT_HEADING,
      exitCodeList = {ClientCommand.EXIT_OK, "1:the server refused (404: unknown or expired job)",
          ClientCommand.EXIT_USAGE, ClientCommand.EXIT_UNREACHABLE})
  static final class Get extends ClientCommand {
    @Parameters(paramLabel = "ID", description = "The job's id") String id;

    @Override
    int run(ApiClient client) throws ClientException, InterruptedException {
      String body = client.send(client.request("/v1/jobs/" + ApiClient.segment(id)).GET().build()).body();
      out().println(Json.pretty(Json.parseOrNull(body)));
      return OK;
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, versionProvider = dev.anvil.config.AnvilVersion.class,
      description = {"Cancels a queued or running job (DELETE /v1/jobs/ID) where it runs.",
          "A finished job is left as it is (exit 1); remove one with 'jobs delete'."},
      exitCodeListHeading = ClientCommand.EXIT_HEADING,
      exitCodeList = {ClientCommand.EXIT_OK, "1:the server refused (404: unknown job), or the job had finished",
          ClientCommand.EXIT_USAGE, ClientCommand.EXIT_UNREACHABLE})
  static final class Cancel extends ClientCommand {
    @Parameters(paramLabel = "ID", description = "The job's id") String id;

    @Override
    int run(ApiClient client) throws ClientException, InterruptedException {
      // The server's DELETE also removes a finished job; a command named cancel must not drop a result, so it reads
      // the job first. A job that ends between the two requests is deleted, and the line says so.
      String path = "/v1/jobs/" + ApiClient.segment(id);
      JsonNode before = Json.parseOrNull(client.send(client.request(path).GET().build()).body());
      String status = before == null ? "" : before.path("status").asText();
      if (JobWatchCommand.FINAL.contains(status)) {
        throw ClientException.failed("job " + id + " is " + status + " already (remove it with 'anvil jobs delete')");
      }
      var response = client.send(client.request(path).DELETE().build());
      if (response.statusCode() == 204) {
        out().println("job " + id + ": it finished before the cancel arrived, and is deleted");
        return OK;
      }
      JsonNode view = Json.parseOrNull(response.body());
      out().println("job " + id + ": cancel accepted, now " + (view == null ? "?" : view.path("status").asText()));
      return OK;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, versionProvider = dev.anvil.config.AnvilVersion.class,
      description = {"Deletes a finished job and its result (DELETE /v1/jobs/ID); its Idempotency-Key is free again.",
          "A job still queued or running is cancelled instead."},
      exitCodeListHeading = ClientCommand.EXIT_HEADING,
      exitCodeList = {ClientCommand.EXIT_OK, "1:the server refused (404: unknown job)",
          ClientCommand.EXIT_USAGE, ClientCommand.EXIT_UNREACHABLE})
  static final class Delete extends ClientCommand {
    @Parameters(paramLabel = "ID", description = "The job's id") String id;

    @Override
    int run(ApiClient client) throws ClientException, InterruptedException {
      var response = client.send(client.request("/v1/jobs/" + ApiClient.segment(id)).DELETE().build());
      out().println(response.statusCode() == 204 ? "job " + id + ": deleted"
          : "job " + id + ": it had not finished; cancel accepted");
      return OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = dev.anvil.config.AnvilVersion.class,
      description = "Lists jobs, newest first (GET /v1/jobs), as a table.",
      exitCodeListHeading = ClientCommand.EXIT_HEADING,
      exitCodeList = {ClientCommand.EXIT_OK, ClientCommand.EXIT_FAILED, ClientCommand.EXIT_USAGE,
          ClientCommand.EXIT_UNREACHABLE})
  static final class ListJobs extends ClientCommand {
    @Option(names = "--status", paramLabel = "STATUS",
        description = "Only jobs in this status: queued, running, succeeded, failed, cancelled")
    String status;

    @Option(names = "--kind", paramLabel = "KIND", description = "Only jobs of this kind") String kind;

    @Option(names = "--limit", paramLabel = "N", description = "At most N jobs (server default 100)") Integer limit;

    @Option(names = "--json", description = "Print the server's JSON instead of a table") boolean json;

    @Override
    int run(ApiClient client) throws ClientException, InterruptedException {
      List<String> query = new ArrayList<>();
      if (status != null) {
        query.add("status=" + ApiClient.segment(status));
      }
      if (kind != null) {
        query.add("kind=" + ApiClient.segment(kind));
      }
      if (limit != null) {
        query.add("limit=" + limit);
      }
      String path = "/v1/jobs" + (query.isEmpty() ? "" : "?" + String.join("&", query));
      String body = client.send(client.request(path).GET().build()).body();
      if (json) {
        out().println(body);
        return OK;
      }
      Table table = new Table("ID", "KIND", "STATUS", "PROGRESS", "ATTEMPTS", "NODE", "SUBMITTED");
      JsonNode jobs = Json.parseOrNull(body);
      for (JsonNode job : jobs == null ? Json.MAPPER.createArrayNode() : jobs.path("jobs")) {
        table.row(job.path("id").asText(), job.path("kind").asText(), job.path("status").asText(),
            Math.round(job.path("progress").asDouble() * 100) + "%", job.path("attempts").asText(),
            job.path("node").isTextual() ? job.path("node").asText() : "-", job.path("submittedAt").asText());
      }
      table.print(out());
      return OK;
    }
  }
}
