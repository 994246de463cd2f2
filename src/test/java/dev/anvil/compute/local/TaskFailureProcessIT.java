package dev.anvil.compute.local;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.HttpTestClient;
import dev.anvil.NodeProcess;
import dev.anvil.Tiers;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's kind whose jar misses a class, whose static initializer fails, or that asks for more
 * memory than the heap has, run in a real node JVM as a user runs it: each task gets its 500,
 * and the JVM keeps serving (before, Pekko's jvm-exit-on-fatal-error took the whole node down).
 */
@Tag(Tiers.SLOW)
class TaskFailureProcessIT {

  private static final String KIND = """
      package com.example;

      import dev.anvil.compute.spi.ComputeTask;
      import dev.anvil.compute.spi.TaskContext;

      public final class Broken implements ComputeTask<Broken.Input, Integer> {
        public record Input(String mode) {}
        @Override public String kind() { return "broken"; }
        @Override public String description() { return "fails as asked"; }
        @Override public Class<Input> inputType() { return Input.class; }
        @Override public Input exampleInput() { return new Input("missing"); }
        @Override public void validate(Input in) {}
        @Override public Integer run(Input in, TaskContext ctx) {
          return switch (in.mode()) {
            case "missing" -> Helper.value();
            case "init" -> BadInit.VALUE;
            case "oom" -> new long[Integer.MAX_VALUE - 16].length;
            default -> 0;
          };
        }
      }

      class Helper {
        static int value() { return 1; }
      }

      class BadInit {
        static final int VALUE = Integer.parseInt("not a number");
      }
      """;

  @Test
  void errorsFromAKindFailItsTasksAloneAndTheNodeJvmServesOn(@TempDir Path dir) throws Exception {
    Path source = dir.resolve("src/com/example/Broken.java");
    Files.createDirectories(source.getParent());
    Files.writeString(source, KIND);
    Path classes = dir.resolve("classes");
    assertThat(ToolProvider.getSystemJavaCompiler().run(null, null, null, "-cp", NodeProcess.jar().toString(),
        "-d", classes.toString(), source.toString())).isZero();
    Files.delete(classes.resolve("com/example/Helper.class")); // a dependency missing from the kind's jar
    Path services = classes.resolve("META-INF/services/dev.anvil.compute.spi.ComputeTask");
    Files.createDirectories(services.getParent());
    Files.writeString(services, "com.example.Broken\n");

    try (NodeProcess node = NodeProcess.startWith(List.of(classes), "node", "--http-port", "0", "--cluster-port",
        "0", "--workers", "1")) {
      HttpTestClient http = new HttpTestClient(Integer.parseInt(node.awaitServing(Duration.ofSeconds(30))[1]));
      expect500(http, "missing", "NoClassDefFoundError");
      expect500(http, "init", "ExceptionInInitializerError");
      expect500(http, "init", "NoClassDefFoundError");
      expect500(http, "oom", "OutOfMemoryError");
      long t0 = System.nanoTime();
      HttpResponse<String> next = http.postTask("primes", "{\"limit\":1000}");
      assertThat(next.statusCode()).isEqualTo(200);
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(1000);
      assertThat(json(http.get("/health")).at("/status").asText()).isEqualTo("UP");
      assertThat(node.process().isAlive()).isTrue();
      assertThat(node.output()).doesNotContain("shutting down JVM");
    }
  }

  private static void expect500(HttpTestClient http, String mode, String error) {
    HttpResponse<String> r = http.postTask("broken", "{\"mode\":\"" + mode + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(500);
    assertThat(json(r).at("/detail").asText()).contains(error);
  }
}
