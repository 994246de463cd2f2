package dev.anvil.compute.catalog;

import dev.anvil.compute.spi.ComputeTask;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

/**
 * The kinds folder ({@code anvil.kinds-dir}): every {@code *.jar} in it, in one class loader over
 * Anvil's, in file-name order so that the order is the same on every node and at every start.
 * Each jar's kinds are the classes its {@code META-INF/services/dev.anvil.compute.spi.ComputeTask}
 * lists, as {@link java.util.ServiceLoader} reads that file; reading it per jar is what lets every
 * error name the jar at fault. Refuses, with a {@link BadKind}: a folder without jars, a jar
 * without kinds, and a kind that cannot be loaded or made.
 */
public final class KindsFolder implements AutoCloseable {

  static final String SERVICE_FILE = "META-INF/services/" + ComputeTask.class.getName();

  private final Path dir;
  private final URLClassLoader loader;
  private final List<ComputeTask<?, ?>> kinds;

  private KindsFolder(Path dir, URLClassLoader loader, List<ComputeTask<?, ?>> kinds) {
    this.dir = dir;
    this.loader = loader;
    this.kinds = List.copyOf(kinds);
  }

  /**
   * Loads every jar in {@code dir} and makes one instance of each kind they list.
   *
   * @param parent Anvil's class loader: the kinds see its classes (the SPI) and none of each other's private copies
   * @throws BadKind naming the folder or the jar, and what is wrong
   */
  public static KindsFolder open(Path dir, ClassLoader parent) {
    Path folder = dir.toAbsolutePath().normalize();
    List<Path> jars = jars(folder);
    URLClassLoader loader = new URLClassLoader("anvil-kinds", urls(jars), parent);
    try {
      List<ComputeTask<?, ?>> kinds = new ArrayList<>();
      for (Path jar : jars) {
        for (String name : providerNames(jar)) {
          kinds.add(instantiate(jar, name, loader));
        }
      }
      return new KindsFolder(folder, loader, kinds);
    } catch (RuntimeException | Error e) {
      closeQuietly(loader);
      throw e;
    }
  }

  /** The folder, as an absolute path. */
  public Path dir() {
    return dir;
  }

  /** One instance of each kind, jar by jar in file-name order, each jar's in the order it lists them. */
  public List<ComputeTask<?, ?>> kinds() {
    return kinds;
  }

  /** The loader of the folder's classes (its parent is Anvil's), for the threads that run them. */
  public ClassLoader loader() {
    return loader;
  }

  /** Releases the jars; for a check that does not run the kinds. */
  @Override
  public void close() {
    closeQuietly(loader);
  }

  private static List<Path> jars(Path folder) {
    List<Path> jars;
    try (Stream<Path> files = Files.list(folder)) {
      jars = files.filter(f -> f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f))
          .sorted(Comparator.comparing(f -> f.getFileName().toString()))
          .toList();
    } catch (IOException e) {
      throw new BadKind("cannot read the kinds folder " + folder + ": " + KindMessages.cause(e));
    }
    if (jars.isEmpty()) {
      throw new BadKind("the kinds folder " + folder + " holds no .jar file; is it the right folder?");
    }
    return jars;
  }

  private static URL[] urls(List<Path> jars) {
    URL[] urls = new URL[jars.size()];
    for (int i = 0; i < urls.length; i++) {
      try {
        urls[i] = jars.get(i).toUri().toURL();
      } catch (MalformedURLException e) {
        throw new BadKind(jars.get(i) + " cannot be named as a URL: " + e.getMessage());
      }
    }
    return urls;
  }

  /** The class names a jar's service file lists: one a line, {@code #} starts a comment (as ServiceLoader reads it). */
  static List<String> providerNames(Path jar) {
    Set<String> names = new LinkedHashSet<>();
    try (JarFile file = new JarFile(jar.toFile())) {
      ZipEntry entry = file.getEntry(SERVICE_FILE);
      if (entry == null) {
        throw new BadKind(jar + " holds no kind: it has no " + SERVICE_FILE + " listing its ComputeTask classes"
            + " (a library a kind uses goes inside the kind's jar, not beside it)");
      }
      try (BufferedReader in = new BufferedReader(new InputStreamReader(file.getInputStream(entry),
          StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          int comment = line.indexOf('#');
          String name = (comment < 0 ? line : line.substring(0, comment)).strip();
          if (!name.isEmpty()) {
            names.add(name);
          }
        }
      }
    } catch (IOException e) {
      throw new BadKind(jar + " is not a readable jar: " + KindMessages.cause(e));
    }
    if (names.isEmpty()) {
      throw new BadKind(jar + " holds no kind: its " + SERVICE_FILE + " lists no class");
    }
    return List.copyOf(names);
  }

  private static ComputeTask<?, ?> instantiate(Path jar, String name, ClassLoader loader) {
    String listed = jar + " lists the kind " + name;
    Class<?> type;
    try {
      type = Class.forName(name, false, loader);
    } catch (ClassNotFoundException e) {
      throw new BadKind(listed + " in " + SERVICE_FILE + ", but holds no such class");
    } catch (LinkageError e) {
      throw new BadKind(listed + ", which cannot be loaded: " + KindMessages.cause(e));
    }
    Path from = KindMessages.location(type);
    if (from != null && !from.equals(jar)) {
      // one loader for the folder: the first copy of a class wins, so a second copy would run as the first
      throw new BadKind(listed + ", but that class is already loaded from " + KindMessages.origin(type)
          + "; two jars hold the same classes (two versions of one kind?): keep one");
    }
    if (!ComputeTask.class.isAssignableFrom(type)) {
      throw new BadKind(listed + ", which does not implement " + ComputeTask.class.getName());
    }
    if (!Modifier.isPublic(type.getModifiers()) || Modifier.isAbstract(type.getModifiers())) {
      throw new BadKind(listed + ", which must be a public class that is not abstract");
    }
    try {
      return (ComputeTask<?, ?>) type.getConstructor().newInstance();
    } catch (NoSuchMethodException e) {
      throw new BadKind(listed + ", which needs a public constructor without arguments");
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      throw new BadKind(listed + ", which cannot be made: " + KindMessages.cause(e));
    }
  }

  private static void closeQuietly(URLClassLoader loader) {
    try {
      loader.close();
    } catch (IOException ignored) {
      // only releases file handles
    }
  }
}
