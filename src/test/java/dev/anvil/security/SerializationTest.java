package dev.anvil.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.compute.protocol.PoolProtocol;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.node.RunningNode;
import java.net.http.HttpResponse;
import java.util.Map;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What crosses nodes is CBOR by the marker interface; Java serialization is off; clients name no types. */
class SerializationTest {

  private static RunningNode node;

  @BeforeAll
  static void start() {
    node = TestNodes.start(Map.of());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void javaSerializationIsOff() {
    assertThat(node.system().settings().config().getBoolean("pekko.actor.allow-java-serialization")).isFalse();
  }

  @Test
  void messagesBetweenNodesUseJacksonCbor() {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(node.system()));
    assertThat(serialization.findSerializerFor(new PoolProtocol.TaskRequest(1, "primes", new byte[0], 1, "n", "team-a")))
        .isInstanceOf(JacksonCborSerializer.class);
    assertThat(serialization.findSerializerFor(new TaskOutcome.Failed(1, TaskOutcome.Failure.CRASHED, "d", "n")))
        .isInstanceOf(JacksonCborSerializer.class);
  }

  @Test
  void aClientCannotNameAClassToInstantiate() {
    HttpTestClient http = new HttpTestClient(node.httpPort());
    HttpResponse<String> r = http.postTask("primes", "{\"@class\":\"java.lang.ProcessBuilder\",\"limit\":10}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(HttpTestClient.json(r).at("/field").asText()).isEqualTo("@class");
    HttpResponse<String> typed = http.postTask("stats", "{\"values\":[\"java.net.URL\",\"http://x\"]}");
    assertThat(typed.statusCode()).isEqualTo(400);
  }
}
