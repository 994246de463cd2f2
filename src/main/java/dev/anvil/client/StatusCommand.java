package dev.anvil.client;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code anvil status}: the cluster's members and their load, and the supervisor's slots, as tables. */
@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = dev.anvil.config.AnvilVersion.class,
    description = {"Shows the cluster's nodes, their load, and the supervisor's slots.",
        "Reads GET /v1/cluster and prints each member's status, reachability and load (busy/total workers,"
        + " queued, completed, stuck), '*' marking the node that answered; then, when the nodes run under"
        + " 'start', the supervisor's slots (state, pid, node)."},
    exitCodeListHeading = ClientCommand.EXIT_HEADING,
    exitCodeList = {ClientCommand.EXIT_OK, ClientCommand.EXIT_FAILED, ClientCommand.EXIT_USAGE,
        ClientCommand.EXIT_UNREACHABLE})
public final class StatusCommand extends ClientCommand {

  @Option(names = "--json", description = "Print the server's JSON as it came") boolean json;

  @Override
  int run(ApiClient client) throws ClientException, InterruptedException {
    String body = client.send(client.request("/v1/cluster").GET().build()).body();
    JsonNode cluster = Json.parseOrNull(body);
    if (json || cluster == null) {
      out().println(body);
      return OK;
    }
    String self = cluster.path("self").asText();
    Table members = new Table("", "NODE", "STATUS", "REACHABLE", "BUSY/WORKERS", "QUEUED", "COMPLETED", "STUCK");
    for (JsonNode m : cluster.path("members")) {
      JsonNode load = m.path("load");
      boolean hasLoad = load.isObject();
      members.row(m.path("node").asText().equals(self) ? "*" : "", m.path("node").asText(),
          m.path("status").asText(), m.path("reachable").asBoolean(true) ? "yes" : "NO",
          hasLoad ? load.path("running").asText() + "/" + load.path("workers").asText() : "-",
          hasLoad ? load.path("queued").asText() : "-", hasLoad ? load.path("completed").asText() : "-",
          hasLoad ? load.path("stuck").asText() : "-");
    }
    members.print(out());
    JsonNode supervisor = cluster.path("supervisor");
    if (supervisor.isObject()) {
      out().println();
      out().println("supervisor: pid " + supervisor.path("supervisor").asText());
      Table slots = new Table("SLOT", "STATE", "PID", "NODE");
      for (JsonNode slot : supervisor.path("slots")) {
        slots.row("node-" + slot.path("slot").asText(), slot.path("state").asText(),
            slot.path("pid").isNumber() ? slot.path("pid").asText() : "-",
            slot.path("node").isTextual() ? slot.path("node").asText() : "-");
      }
      slots.print(out());
    }
    return OK;
  }
}
