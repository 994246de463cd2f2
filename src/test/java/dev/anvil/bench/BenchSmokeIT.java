package dev.anvil.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.HttpTestClient;
import dev.anvil.Tiers;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** bench/run.sh --smoke: every step of the benchmark for about a second, so the script cannot rot. */
@Tag(Tiers.BENCH)
class BenchSmokeIT {

  @Test
  void theBenchmarkRunsEndToEndAndReportsEveryFigure() throws Exception {
    Path result = Path.of("bench/results/smoke.json");
    Files.deleteIfExists(result);
    Process bench = new ProcessBuilder("bash", "bench/run.sh", "--smoke", "--no-build")
        .redirectErrorStream(true).redirectOutput(new File("target/bench-smoke.log")).start();
    // about 4 minutes, and about 1 more for tenant isolation (an Anvil of its own to start and stop)
    assertThat(bench.waitFor(7, TimeUnit.MINUTES)).as("finishes").isTrue();
    assertThat(bench.exitValue()).as(Files.readString(Path.of("target/bench-smoke.log"))).isZero();

    JsonNode json = HttpTestClient.JSON.readTree(result.toFile());
    assertThat(json.at("/smoke").asBoolean()).isTrue();
    for (String system : List.of("anvil", "node", "floor")) {
      for (String size : List.of("empty", "1ms", "10ms")) {
        assertPositive(json, system + "_tps_" + size);
        assertPositive(json, system + "_health_loaded_p99_ms_" + size);
      }
      for (String figure : List.of("health_rps", "health_idle_p99_ms", "latency1_empty_p50_us",
          "latency1_health_p50_us")) {
        assertPositive(json, system + "_" + figure);
      }
    }
    for (String figure : List.of("raw_java_1ms", "raw_java_10ms", "raw_js_1ms", "raw_js_10ms",
        "anvil_overload_goodput", "anvil_cpu_us_per_empty", "anvil_cpu_us_per_429", "balance_a", "balance_b",
        "rss_rest_mib", "rss_load_mib", "jobs_accepted_per_s", "jobs_202_p50_ms", "jobs_202_p99_ms",
        "jobs_at_1000_rate", "jobs_warmup_s", "anvil_batch_ips_empty", "anvil_batch_ips_1ms",
        "anvil_batch_health_p99_empty", "anvil_batch_health_p99_1ms", "anvil_batch_task_p99_ms_empty",
        "anvil_batch_task_p99_ms_1ms", "anvil_task_idle_p99_ms", "batch_rss_items", "tenant_quiet_idle_p99_ms",
        "tenant_quiet_flood_p99_ms", "tenant_fifo_flood_p99_ms", "tenant_quiet_flood_count",
        "tenant_flood_completed_per_s_quiet")) {
      assertPositive(json, figure);
    }
    JsonNode targets = json.at("/targets");
    assertThat(targets.size()).isEqualTo(27);
    targets.fieldNames().forEachRemaining(target -> {
      if (target.equals("batch_rss_growth_mib")) { // memory may also shrink over a batch (a GC)
        assertThat(json.at("/figures/" + target).isNumber()).as(target).isTrue();
      } else {
        assertPositive(json, target);
      }
    });
  }

  private static void assertPositive(JsonNode json, String figure) {
    assertThat(json.at("/figures/" + figure).isNumber()).as(figure).isTrue();
    assertThat(json.at("/figures/" + figure).asDouble()).as(figure).isPositive();
  }
}
