package dev.anvil;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.TaskContext;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's example kind compiles as printed and gives the right answers, at its bounds too. */
class ReadmeExampleTest {

  @Test
  void theCollatzExampleCompilesAndIsRightUpToItsBound(@TempDir Path dir) throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    int start = readme.indexOf("```java\npackage com.example;");
    assertThat(start).as("the README's example kind").isNotNegative();
    String source = readme.substring(start + "```java\n".length(), readme.indexOf("```", start + 7));
    Path file = dir.resolve("com/example/Collatz.java");
    Files.createDirectories(file.getParent());
    Files.writeString(file, source, StandardCharsets.UTF_8);
    int status = ToolProvider.getSystemJavaCompiler().run(null, null, null,
        "-cp", System.getProperty("java.class.path"), "-d", dir.toString(), file.toString());
    assertThat(status).as("javac of the README's example").isZero();

    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      ComputeTask<?, ?> collatz = (ComputeTask<?, ?>) loader.loadClass("com.example.Collatz")
          .getDeclaredConstructor().newInstance();
      TaskCatalog catalog = TaskCatalog.of(new com.fasterxml.jackson.databind.ObjectMapper(), List.of(collatz));
      assertThat(steps(catalog, collatz, 27)).isEqualTo("{\"start\":27,\"steps\":111}");
      assertThat(steps(catalog, collatz, 2305843009213693951L))
          .isEqualTo("{\"start\":2305843009213693951,\"steps\":860}");
    }
  }

  private static String steps(TaskCatalog catalog, ComputeTask<?, ?> task, long start) throws Exception {
    byte[] json = ("{\"start\":" + start + "}").getBytes(StandardCharsets.UTF_8);
    return new String(catalog.run(task, null, json, new TaskContext() {
      @Override public Duration remaining() { return Duration.ofSeconds(10); }
      @Override public boolean isCancelled() { return false; }
      @Override public void checkCancelled() {}
      @Override public void reportProgress(double fraction) {}
    }), StandardCharsets.UTF_8);
  }
}
