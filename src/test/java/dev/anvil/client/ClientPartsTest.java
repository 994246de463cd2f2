package dev.anvil.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** The client's pieces that need no server: event-stream parsing, durations, URLs, tables. */
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
  void durationsTakeAUnitAndStayWithinADay() {
    DurationConverter d = new DurationConverter();
    assertThat(d.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(d.convert("10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(d.convert("1.5m")).isEqualTo(Duration.ofSeconds(90));
    assertThat(d.convert("2h")).isEqualTo(Duration.ofHours(2));
    assertThatThrownBy(() -> d.convert("10")).isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> d.convert("0s")).isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> d.convert("25h")).isInstanceOf(TypeConversionException.class);
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
