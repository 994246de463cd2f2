package dev.anvil.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.HttpTestClient;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** bench/run.sh --smoke: every step of the benchmark for about a second, so the script cannot rot. */
class BenchSmokeIT {

  @Test
  void theBenchmarkRunsEndToEndAndReportsEveryFigure() throws Exception {
    Path result = Path.of("bench/results/smoke.json");
    Files.deleteIfExists(result);
    Process bench = new ProcessBuilder("bash", "bench/run.sh", "--smoke", "--no-build")
        .redirectErrorStream(true).redirectOutput(new File("target/bench-smoke.log")).start();
    assertThat(bench.waitFor(5, TimeUnit.MINUTES)).as("finishes").isTrue();
    assertThat(bench.exitValue()).as(Files.readString(Path.of("target/bench-smoke.log"))).isZero();

    JsonNode json = HttpTestClient.JSON.readTree(result.toFile());
    assertThat(json.at("/smoke").asBoolean()).isTrue();
    for (String figure : List.of("raw_tasks_per_s", "http_tasks_per_s", "health_idle_p99_ms", "health_loaded_p99_ms",
        "empty_task_rps", "health_rps", "scale_1_node_tasks_per_s", "scale_n_nodes_tasks_per_s",
        "balance_tasks_node_a", "balance_tasks_node_b", "rss_rest_mib_per_node", "rss_load_mib_per_node",
        "throughput_over_raw", "health_p99_loaded_over_idle", "empty_task_over_health_rps", "scaling_n_over_1",
        "balance_max_over_min")) {
      assertThat(json.at("/figures/" + figure).isNumber()).as(figure).isTrue();
      assertThat(json.at("/figures/" + figure).asDouble()).as(figure).isPositive();
    }
    assertThat(json.at("/targets").size()).isEqualTo(6);
  }
}
