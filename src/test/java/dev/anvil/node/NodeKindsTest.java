package dev.anvil.node;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.HttpTestClient;
import dev.anvil.KindJars;
import dev.anvil.TestNodes;
import dev.anvil.compute.catalog.BadKind;
import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.config.SettingsCheck;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kinds a node runs: the class path's and the kinds folder's, checked as the node checks them
 * (names, clashes, input types read with the node's JSON mapper) before anything starts.
 */
class NodeKindsTest {

  @Test
  void aNodeRunsTheFolderKindsBesideTheBuiltInOnesOnThreadsThatSeeTheirClasses(@TempDir Path dir) throws Exception {
    KindJars.builder().source("com.example.Echo", KindJars.echoKind("com.example.Echo", "echo"))
        .service("com.example.Echo").writeTo(dir.resolve("echo.jar"));
    KindJars.builder().source("com.example.Loader", """
        package com.example;

        import dev.anvil.compute.spi.ComputeTask;
        import dev.anvil.compute.spi.TaskContext;

        public final class Loader implements ComputeTask<Loader.Input, Boolean> {
          public record Input(Integer n) {}
          @Override public String kind() { return "context-loader"; }
          @Override public String description() { return "whether the thread's context loader sees this jar"; }
          @Override public Class<Input> inputType() { return Input.class; }
          @Override public Input exampleInput() { return new Input(1); }
          @Override public void validate(Input in) {}
          @Override public Boolean run(Input in, TaskContext ctx) throws Exception {
            return Class.forName("com.example.Loader", false, Thread.currentThread().getContextClassLoader())
                == Loader.class;
          }
        }
        """).service("com.example.Loader").writeTo(dir.resolve("loader.jar"));

    try (RunningNode node = TestNodes.start(Map.of("anvil.kinds-dir", dir.toString(), "anvil.compute.workers", 1))) {
      HttpTestClient http = new HttpTestClient(node.httpPort());
      HttpResponse<String> echo = http.postTask("echo", "{\"n\":7}");
      assertThat(echo.statusCode()).as(echo.body()).isEqualTo(200);
      assertThat(json(echo).at("/result").asText()).isEqualTo("echo:7");
      assertThat(json(http.postTask("context-loader", "{\"n\":1}")).at("/result").asBoolean()).isTrue();
      assertThat(json(http.get("/v1/kinds")).findValuesAsText("kind")).contains("echo", "context-loader", "primes");
    }
  }

  @Test
  void aKindThatClashesWithABuiltInOneNamesBothClassesAndTheJar(@TempDir Path dir) throws Exception {
    Path jar = KindJars.builder().source("com.example.MyPrimes", KindJars.echoKind("com.example.MyPrimes", "primes"))
        .service("com.example.MyPrimes").writeTo(dir.resolve("my-primes.jar"));
    assertRefused(dir, "kind 'primes' is defined twice: by dev.anvil.compute.kinds.Primes (built in) and by"
        + " com.example.MyPrimes (" + jar + ")");
  }

  @Test
  void twoJarsWithOneKindNameNameBothJars(@TempDir Path dir) throws Exception {
    Path first = KindJars.builder().source("com.a.Hash", KindJars.echoKind("com.a.Hash", "hash"))
        .service("com.a.Hash").writeTo(dir.resolve("a.jar"));
    Path second = KindJars.builder().source("com.b.Hash", KindJars.echoKind("com.b.Hash", "hash"))
        .service("com.b.Hash").writeTo(dir.resolve("b.jar"));
    assertRefused(dir, "kind 'hash' is defined twice: by com.a.Hash (" + first + ") and by com.b.Hash (" + second
        + ")");
  }

  @Test
  void anInvalidKindNameNamesTheClassAndItsJar(@TempDir Path dir) throws Exception {
    Path jar = KindJars.builder().source("com.example.Shouty", KindJars.echoKind("com.example.Shouty", "Shouty_Kind"))
        .service("com.example.Shouty").writeTo(dir.resolve("shouty.jar"));
    assertRefused(dir, "kind name 'Shouty_Kind' of com.example.Shouty (" + jar + ") must match");
  }

  @Test
  void anInputTypeJacksonCannotReadIsRefusedAtLoadNamingKindTypeAndJacksonsWords(@TempDir Path dir)
      throws Exception {
    // no constructor Jackson can use: two unnamed parameters (compiled without -parameters), no default one
    Path jar = KindJars.builder().source("com.example.Odd", KindJars.echoKind("com.example.Odd", "odd")
            .replace("public record Input(Integer n) {}", """
                public static final class Input {
                    private final Integer n;
                    public Input(Integer n, Integer unused) { this.n = n; }
                    public Integer n() { return n; }
                  }""")
            .replace("new Input(1)", "new Input(1, 0)"))
        .service("com.example.Odd").writeTo(dir.resolve("odd.jar"));
    BadKind refused = assertRefused(dir, "kind 'odd' of com.example.Odd (" + jar + "): its input type"
        + " com.example.Odd$Input cannot be read from JSON: Cannot construct instance of `com.example.Odd$Input`");
    assertThat(refused.getMessage().replace("com.example", "")).doesNotContain("dev.anvil", "com.fasterxml", "Exception");
  }

  @Test
  void theCheckReadsInputsAsTheNodesMapperDoesNotAsAPlainOne(@TempDir Path dir) throws Exception {
    // Pekko's mapper sees private fields: a plain ObjectMapper could not write this example at all
    KindJars.builder().source("com.example.Fields", KindJars.echoKind("com.example.Fields", "fields")
            .replace("public record Input(Integer n) {}", """
                public static final class Input {
                    private Integer n;
                    private Input() {}
                    Input(Integer n) { this.n = n; }
                    public Integer n() { return n; }
                  }"""))
        .service("com.example.Fields").writeTo(dir.resolve("fields.jar"));
    try (NodeKinds kinds = NodeKinds.load(NodeConfig.load(Map.of("anvil.kinds-dir", dir.toString())))) {
      assertThat(kinds.tasks()).extracting(ComputeTask::kind).contains("fields", "primes");
    }
  }

  @Test
  void aMissingFolderOrAFileIsABadSettingNamingTheOption(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("hash-chain.jar"), "not a folder");
    assertThatThrownBy(() -> NodeConfig.load(Map.of("anvil.kinds-dir", "/no/such/dir"),
        Map.of("anvil.kinds-dir", "--kinds")))
        .isInstanceOf(SettingsCheck.BadSetting.class).hasMessage("--kinds: there is no folder /no/such/dir");
    assertThatThrownBy(() -> NodeConfig.load(Map.of("anvil.kinds-dir", file.toString()),
        Map.of("anvil.kinds-dir", "--kinds")))
        .isInstanceOf(SettingsCheck.BadSetting.class)
        .hasMessage("--kinds: " + file + " is a file, not a folder; give the folder that holds the kind jars");
  }

  private static BadKind assertRefused(Path dir, String message) {
    Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
        () -> NodeKinds.load(NodeConfig.load(Map.of("anvil.kinds-dir", dir.toString()))));
    assertThat(thrown).isInstanceOf(BadKind.class);
    assertThat(thrown.getMessage()).contains(message).doesNotContain("\n");
    return (BadKind) thrown;
  }
}
