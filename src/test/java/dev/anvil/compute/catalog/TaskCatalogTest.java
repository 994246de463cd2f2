package dev.anvil.compute.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.compute.LocalTestKits;
import dev.anvil.compute.kinds.Primes;
import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TaskCatalogTest {

  private static ActorTestKit testKit;
  private static TaskCatalog catalog;

  @BeforeAll
  static void setUp() {
    testKit = LocalTestKits.create();
    catalog = LocalTestKits.catalog(testKit);
  }

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  @Test
  void findsTheBuiltInKindsThroughTheServiceLoader() {
    assertThat(catalog.all()).extracting(ComputeTask::kind)
        .contains("primes", "pbkdf2", "mandelbrot", "stats", "spin");
  }

  @Test
  void everyExampleInputIsValid() {
    for (ComputeTask<?, ?> task : catalog.all()) {
      byte[] json = writeExample(task);
      catalog.readInput(task, json);
    }
  }

  @Test
  void refusesTwoKindsWithOneName() {
    assertThatThrownBy(() -> TaskCatalog.of(catalog.mapper(), List.of(new Primes(), new Primes())))
        .hasMessageContaining("defined twice");
  }

  @Test
  void namesTheFieldOfAJsonError() {
    assertInvalid("primes", "{\"limit\":\"ten\"}", "limit", "must be an integer");
    assertInvalid("primes", "{\"limit\":10,\"extra\":1}", "extra", "unknown field 'extra'");
    assertInvalid("primes", "{\"limit\":10.5}", "limit", "not an integer");
    assertInvalid("stats", "{\"values\":[1,\"x\",3]}", "values[1]", "must be a number");
    assertInvalid("stats", "{\"values\":[1,null]}", "values[1]", "must be a number");
    assertInvalid("primes", "{\"limit\":", "", "malformed JSON");
    assertInvalid("primes", "", "", "empty");
    assertInvalid("primes", "null", "", "null");
    assertInvalid("primes", "{\"limit\":1} {}", "", "");
  }

  @Test
  void refusesDeepNestingAtTheFirstWrongLevel() {
    String deep = "{\"values\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";
    assertInvalid("stats", deep, "values[0]", "must be a number");
  }

  private void assertInvalid(String kind, String json, String field, String message) {
    ComputeTask<?, ?> task = catalog.find(kind).orElseThrow();
    assertThatThrownBy(() -> catalog.readInput(task, json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> {
          assertThat(e.field()).isEqualTo(field);
          assertThat(e.getMessage()).contains(message);
        });
  }

  private byte[] writeExample(ComputeTask<?, ?> task) {
    try {
      return catalog.mapper().writeValueAsBytes(task.exampleInput());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

}
