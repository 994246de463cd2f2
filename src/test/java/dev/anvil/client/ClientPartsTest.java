package dev.anvil.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** The client's pieces that need no server: event-stream parsing, URLs, tables. */
class ClientPartsTest {

  @Test
  void eventsEndAtABlankLineAndSkipCommentsAndHeartbeats() {
    ServerSentEvents parser = new ServerSentEvents();
    List<ServerSentEvents.Event> events = Stream.of(
            "event:status", "data:{\"status\":\"running\"}", "",
            ":a comment", "", "data:", "",
            "event: progress", "data: {\"progress\":0.5}", "",
            "data:line one", "data:line two", "")
        .map(parser::accept).flatMap(Optional::stream).toList();
    assertThat(events).containsExactly(
        new ServerSentEvents.Event("status", "{\"status\":\"running\"}"),
        new ServerSentEvents.Event("message", ""),
        new ServerSentEvents.Event("progress", "{\"progress\":0.5}"),
        new ServerSentEvents.Event("message", "line one\nline two"));
  }

  @Test
  void urlsMustBeHttpWithAHostAndLoseATrailingSlash() {
    ApiOptions.BaseUrl u = new ApiOptions.BaseUrl();
    assertThat(u.convert("http://10.0.0.1:8080/").toString()).isEqualTo("http://10.0.0.1:8080");
    assertThat(u.convert("https://anvil.example/api").toString()).isEqualTo("https://anvil.example/api");
    assertThatThrownBy(() -> u.convert("localhost:8080")).isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> u.convert("http:///x")).isInstanceOf(TypeConversionException.class);
  }

  @Test
  void tablesAlignTheirColumnsWithoutTrailingBlanks() {
    StringWriter out = new StringWriter();
    new Table("A", "LONGER", "C").row("wide cell", "x", "").print(new PrintWriter(out, true));
    assertThat(out.toString().lines()).containsExactly(
        "A          LONGER  C",
        "wide cell  x");
  }
}
