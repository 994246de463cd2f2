package dev.anvil.launcher;

import java.io.File;
import java.nio.file.Path;
import java.util.Optional;

/** Where the node JVMs' class-data archive is ({@code anvil.launcher.class-data-archive}). */
public final class ClassDataArchive {

  private ClassDataArchive() {}

  /**
   * The class-data archive the node JVMs map at start, if any: {@code off}; a path as given; or
   * ({@code auto}) the one {@code mvn package} writes beside the jar this JVM runs from
   * ({@code anvil.jar} to {@code anvil.jsa}), when it is there and not older than the jar. An
   * archive older than its jar no longer matches it: the JVM would say so and start without it.
   */
  public static Optional<String> resolve(String setting, String classPath) {
    if (setting.equals("off")) {
      return Optional.empty();
    }
    if (!setting.equals("auto")) {
      return Optional.of(Path.of(setting).toAbsolutePath().toString());
    }
    String first = classPath.split(File.pathSeparator, 2)[0];
    if (!first.endsWith(".jar")) {
      return Optional.empty();
    }
    File jar = new File(first).getAbsoluteFile();
    File archive = new File(jar.getParentFile(),
        jar.getName().substring(0, jar.getName().length() - ".jar".length()) + ".jsa");
    return archive.isFile() && archive.lastModified() >= jar.lastModified()
        ? Optional.of(archive.getPath()) : Optional.empty();
  }
}
