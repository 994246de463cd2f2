package dev.anvil.compute.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.KindJars;
import dev.anvil.compute.spi.ComputeTask;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kinds folder: every jar loaded, in file-name order; each error one line naming the jar and what is wrong. */
class KindsFolderTest {

  private static final ClassLoader ANVIL = KindsFolderTest.class.getClassLoader();

  @Test
  void loadsEveryJarInFileNameOrderInOneLoaderOverAnvils(@TempDir Path dir) throws Exception {
    KindJars.builder().source("com.example.Bee", KindJars.echoKind("com.example.Bee", "bee"))
        .service("com.example.Bee").writeTo(dir.resolve("b.jar"));
    KindJars.builder().source("com.example.Ant", KindJars.echoKind("com.example.Ant", "ant"))
        .service("com.example.Ant").writeTo(dir.resolve("a.jar"));
    Files.writeString(dir.resolve("notes.txt"), "not a jar");

    try (KindsFolder folder = KindsFolder.open(dir, ANVIL)) {
      assertThat(folder.kinds()).extracting(ComputeTask::kind).containsExactly("ant", "bee");
      assertThat(folder.loader().getParent()).isSameAs(ANVIL);
      assertThat(folder.kinds()).allSatisfy(k -> assertThat(k.getClass().getClassLoader()).isSameAs(folder.loader()));
      assertThat(folder.dir()).isEqualTo(dir.toAbsolutePath().normalize());
    }
  }

  @Test
  void aFolderWithoutJarsIsProbablyTheWrongPath(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("hash-chain.java"), "class HashChain {}");
    assertRefused(dir, "the kinds folder " + dir.toAbsolutePath().normalize() + " holds no .jar file",
        "is it the right folder?");
  }

  @Test
  void aJarWithoutTheServiceFileHoldsNoKind(@TempDir Path dir) throws Exception {
    Path jar = KindJars.builder().source("com.example.Lib", "package com.example; public class Lib {}")
        .withoutServiceFile().writeTo(dir.resolve("lib.jar"));
    assertRefused(dir, jar + " holds no kind: it has no " + KindJars.SERVICE_FILE);
  }

  @Test
  void aServiceFileThatListsNoClassHoldsNoKind(@TempDir Path dir) throws Exception {
    Path jar = KindJars.builder().writeTo(dir.resolve("empty.jar"));
    assertRefused(dir, jar + " holds no kind: its " + KindJars.SERVICE_FILE + " lists no class");
  }

  @Test
  void aKindWhoseLibraryIsMissingNamesTheClassAndTheMissingOne(@TempDir Path dir) throws Exception {
    Path jar = KindJars.builder()
        .source("com.example.NeedsLib", KindJars.echoKind("com.example.NeedsLib", "needs-lib")
            .replace("public record Input", "private static final int SIZE = com.example.lib.Helper.size();\n"
                + "  public record Input"))
        .source("com.example.lib.Helper", "package com.example.lib; public class Helper { public static int size() {"
            + " return 1; } }")
        .omit("com.example.lib.Helper").service("com.example.NeedsLib").writeTo(dir.resolve("needs-lib.jar"));
    assertRefused(dir, jar + " lists the kind com.example.NeedsLib, which cannot be made: it needs the class"
        + " com.example.lib.Helper, which is neither in its jar nor in Anvil (NoClassDefFoundError");
  }

  @Test
  void aListedClassThatIsNotInTheJarIsNamed(@TempDir Path dir) throws Exception {
    Path jar = KindJars.builder().service("com.example.Typo").writeTo(dir.resolve("typo.jar"));
    assertRefused(dir, jar + " lists the kind com.example.Typo in " + KindJars.SERVICE_FILE
        + ", but holds no such class");
  }

  @Test
  void aKindWithoutAPublicNoArgumentConstructorIsNamed(@TempDir Path dir) throws Exception {
    Path jar = KindJars.builder()
        .source("com.example.Picky", KindJars.echoKind("com.example.Picky", "picky")
            .replace("public record Input", "public Picky(int size) {}\n  public record Input"))
        .service("com.example.Picky").writeTo(dir.resolve("picky.jar"));
    assertRefused(dir, jar + " lists the kind com.example.Picky, which needs a public constructor without arguments");
  }

  @Test
  void twoJarsWithTheSameClassesAreTwoVersionsOfOneKind(@TempDir Path dir) throws Exception {
    for (String version : new String[] {"1.0", "1.1"}) {
      KindJars.builder().source("com.example.Echo", KindJars.echoKind("com.example.Echo", "echo"))
          .service("com.example.Echo").writeTo(dir.resolve("echo-" + version + ".jar"));
    }
    assertRefused(dir, dir.resolve("echo-1.1.jar") + " lists the kind com.example.Echo, but that class is already"
        + " loaded from " + dir.resolve("echo-1.0.jar"));
  }

  private static void assertRefused(Path dir, String... parts) {
    assertThatThrownBy(() -> KindsFolder.open(dir, ANVIL)).isInstanceOfSatisfying(BadKind.class, e -> {
      assertThat(e.getMessage()).contains(parts).doesNotContain("\n");
    });
  }
}
