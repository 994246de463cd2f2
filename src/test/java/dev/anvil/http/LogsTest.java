package dev.anvil.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.anvil.HttpTestClient;
import dev.anvil.RawHttp;
import dev.anvil.TestNodes;
import dev.anvil.node.RunningNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Quiet, useful logs: a client's mistakes log nothing above DEBUG; lifecycle and access lines when due. */
class LogsTest {

  private final ListAppender<ILoggingEvent> events = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  @BeforeEach
  void capture() {
    events.start();
    root.addAppender(events);
  }

  @AfterEach
  void release() {
    root.detachAppender(events);
  }

  private List<String> lines(Level atLeast) {
    return events.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(atLeast))
        .map(e -> e.getLoggerName() + " " + e.getLevel() + " " + e.getFormattedMessage()).toList();
  }

  @Test
  void clientMistakesAreNotWarnedAboutAndTheAccessLogAndLifecycleLinesAreThere() {
    RunningNode node = TestNodes.start(Map.of("anvil.compute.workers", 1, "anvil.http.access-log", "on"));
    HttpTestClient http = new HttpTestClient(node.httpPort());
    events.list.clear();
    try {
      RawHttp.exchange(node.httpPort(), "GET /health HTTP/1.1\r\nHost: a b\r\n\r\n");
      RawHttp.exchange(node.httpPort(), "BREW /health HTTP/1.1\r\nHost: x\r\n\r\n");
      RawHttp.exchange(node.httpPort(), "GET /" + "a".repeat(3000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(http.postTask("primes", "{\"limit\":-1}").statusCode()).isEqualTo(400);
      assertThat(http.postTask("primes", "{\"limit\":").statusCode()).isEqualTo(400);
      assertThat(http.postTask("nope", "{}").statusCode()).isEqualTo(404);
      assertThat(http.get("/v1/nothing").statusCode()).isEqualTo(404);
      assertThat(http.postTask("primes", "{\"limit\":10}").statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(5)).until(() -> lines(Level.INFO).stream()
          .anyMatch(l -> l.startsWith("anvil.access INFO POST /v1/tasks/primes 200 ")));
      assertThat(lines(Level.WARN)).isEmpty();
      assertThat(lines(Level.INFO)).anyMatch(l -> l.startsWith("anvil.access INFO POST /v1/tasks/primes 400 "))
          .anyMatch(l -> l.startsWith("anvil.access INFO GET /v1/nothing 404 "));
    } finally {
      node.close();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> lines(Level.INFO).stream()
        .anyMatch(l -> l.contains("Anvil node " + node.nodeId() + " stopped")));
    assertThat(lines(Level.INFO)).anyMatch(l -> l.contains("Anvil node " + node.nodeId() + " is stopping"));
  }
}
