package dev.anvil.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Temporary folders made for a run (a training node's data, a test cluster's leases). */
public final class TempFolders {

  private TempFolders() {}

  /** Deletes {@code dir} and all in it, as far as it can: what is left is a temporary folder left behind. */
  public static void deleteQuietly(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // gone already, or left behind
    }
  }
}
