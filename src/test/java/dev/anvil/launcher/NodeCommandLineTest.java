package dev.anvil.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.node.NodeConfig;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the supervisor runs for each node: the configured JVM options, its share of the cores, its ports. */
class NodeCommandLineTest {

  private static LauncherSettings settings(Map<String, Object> overrides) {
    return LauncherSettings.fromConfig(NodeConfig.load(overrides), Set.of());
  }

  @Test
  void aNodeGetsTheConfiguredOptionsItsCoresAndItsPorts() {
    LauncherSettings settings = settings(Map.of("anvil.launcher.nodes", 1));
    List<String> command = NodeProcessHandle.command(2551, 8558, List.of("127.0.0.1:2551"), settings, List.of("-Dx=y"));
    assertThat(command.get(0)).endsWith("java");
    assertThat(command).containsSubsequence(settings.jvmOptions())
        .contains("-XX:ActiveProcessorCount=" + Runtime.getRuntime().availableProcessors(), "-Dx=y")
        .containsSubsequence("dev.anvil.Main", "node")
        .containsSubsequence("--cluster-port", "2551")
        .containsSubsequence("--management-port", "8558")
        .containsSubsequence("--seed-nodes", "127.0.0.1:2551");
    // JVM options come before the main class, or java would take them for the program's arguments
    assertThat(command.indexOf("-Dx=y")).isLessThan(command.indexOf("dev.anvil.Main"));
  }

  @Test
  void theNativeHeapIsTrimmedWhereTheJvmCan() {
    List<String> command = NodeProcessHandle.command(2551, 8558, List.of("127.0.0.1:2551"),
        settings(Map.of()), List.of());
    String trim = "-XX:TrimNativeHeapInterval=" + NodeProcessHandle.TRIM_INTERVAL_MS;
    if (NodeProcessHandle.TRIM_SUPPORTED) {
      assertThat(command).contains(trim);
    } else {
      assertThat(command).noneMatch(o -> o.contains("TrimNativeHeapInterval"));
    }
    // this machine's JDK (17.0.15) has the option: the test must not pass by skipping its point
    assertThat(Runtime.version().update() < 9 || NodeProcessHandle.TRIM_SUPPORTED).isTrue();
  }

  @Test
  void anIntervalTheUserConfiguredIsKept() {
    List<String> options = List.of("-Xmx256m", "-XX:TrimNativeHeapInterval=0");
    List<String> command = NodeProcessHandle.command(2551, 8558, List.of("127.0.0.1:2551"),
        settings(Map.of("anvil.launcher.jvm-options", options)), List.of());
    assertThat(command).filteredOn(o -> o.contains("TrimNativeHeapInterval")).containsExactly(
        "-XX:TrimNativeHeapInterval=0");
  }

  @Test
  void aNodeMapsTheArchiveBesideItsJarWhenItIsNotOlderThanTheJar(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws java.io.IOException {
    java.nio.file.Path jar = java.nio.file.Files.writeString(dir.resolve("anvil.jar"), "jar");
    java.nio.file.Path archive = dir.resolve("anvil.jsa");
    String classPath = jar + java.io.File.pathSeparator + dir.resolve("kinds.jar");
    assertThat(ClassDataArchive.resolve("auto", classPath)).as("no archive yet").isEmpty();

    java.nio.file.Files.writeString(archive, "archive");
    java.nio.file.Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(1_000_000));
    java.nio.file.Files.setLastModifiedTime(archive, java.nio.file.attribute.FileTime.fromMillis(2_000_000));
    assertThat(ClassDataArchive.resolve("auto", classPath)).contains(archive.toString());
    assertThat(ClassDataArchive.resolve("off", classPath)).isEmpty();
    assertThat(ClassDataArchive.resolve("auto", dir.resolve("classes").toString())).as("not a jar").isEmpty();

    // the jar built again after the archive: the archive no longer matches it
    java.nio.file.Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(3_000_000));
    assertThat(ClassDataArchive.resolve("auto", classPath)).isEmpty();
    assertThat(ClassDataArchive.resolve(archive.toString(), classPath)).as("a path is taken as given")
        .contains(archive.toString());
  }

  @Test
  void theArchiveOptionComesBeforeTheMainClass() {
    LauncherSettings base = settings(Map.of("anvil.launcher.class-data-archive", "/tmp/x.jsa"));
    List<String> command = NodeProcessHandle.command(2551, 8558, List.of("127.0.0.1:2551"), base, List.of());
    assertThat(command.indexOf("-XX:SharedArchiveFile=/tmp/x.jsa")).isPositive()
        .isLessThan(command.indexOf("dev.anvil.Main"));
    assertThat(NodeProcessHandle.command(2551, 8558, List.of("127.0.0.1:2551"),
        settings(Map.of("anvil.launcher.class-data-archive", "off")), List.of()))
        .noneMatch(o -> o.startsWith("-XX:SharedArchiveFile"));
  }
}
