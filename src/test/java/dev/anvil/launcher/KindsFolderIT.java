package dev.anvil.launcher;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.HttpTestClient;
import dev.anvil.KindJars;
import dev.anvil.NodeProcess;
import dev.anvil.Tiers;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kinds folder as a user runs it: the starter project's kind, compiled against Anvil's SPI
 * and jarred into a folder, served by {@code java -jar anvil.jar node --kinds DIR} (and by
 * {@code start --kinds DIR} on every node JVM, before and after a roll: ControlCommandsIT, which
 * runs that supervisor anyway); and a bad folder refused by {@code start} and {@code node} in one
 * line, exit status 2.
 */
@Tag(Tiers.SLOW)
class KindsFolderIT {

  @TempDir
  static Path work;
  private static Path kinds;

  @BeforeAll
  static void buildTheStarterKind() throws Exception {
    kinds = KindJars.starterKindFolder(work);
  }

  @Test
  void nodeServesAKindFromTheFolder() throws Exception {
    try (NodeProcess node = NodeProcess.start(Map.of(), "node", "--kinds", kinds.toString(), "--http-port", "0",
        "--cluster-port", "0", "--workers", "1")) {
      HttpTestClient http = new HttpTestClient(Integer.parseInt(node.awaitServing(Duration.ofSeconds(30))[1]));
      HttpResponse<String> r = http.postTask("hash-chain", "{\"seed\":\"anvil\",\"rounds\":1000}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(json(r).at("/result/hex").asText()).isEqualTo(KindJars.hashChain("anvil", 1000));
    }
  }

  @Test
  void aFolderThatDoesNotExistStopsStartAndTheBareCommandInOneLine() throws Exception {
    assertOneLineAndStatus2(new String[] {"start", "--kinds", "/no/such/dir"},
        "anvil start: --kinds: there is no folder /no/such/dir");
    assertOneLineAndStatus2(new String[] {"--kinds", "/no/such/dir"},
        "anvil start: --kinds: there is no folder /no/such/dir");
  }

  @Test
  void aJarWithoutKindsStopsStartBeforeAnyNodeAndStopsNode() throws Exception {
    Path folder = work.resolve("no-kind");
    KindJars.jar(work.resolve("classes/com"), folder.resolve("classes-only.jar")); // no service file
    String message = folder.resolve("classes-only.jar") + " holds no kind: it has no " + KindJars.SERVICE_FILE;
    assertOneLineAndStatus2(new String[] {"start", "--nodes", "2", "--kinds", folder.toString()},
        "anvil start: " + message);
    assertOneLineAndStatus2(new String[] {"node", "--kinds", folder.toString(), "--http-port", "0",
        "--cluster-port", "0"}, "anvil node: " + message);
  }

  private static void assertOneLineAndStatus2(String[] args, String message) throws Exception {
    try (NodeProcess process = NodeProcess.start(Map.of(), args)) {
      assertThat(process.awaitExit()).as(process.output()).isEqualTo(2);
      assertThat(process.lines()).as(process.output()).hasSize(1);
      assertThat(process.lines().get(0)).startsWith(message);
    }
  }

}
