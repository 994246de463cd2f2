package dev.anvil.compute.catalog;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;

/** How messages about kinds name a class, where it comes from, and an error: in one line each. */
final class KindMessages {
  private KindMessages() {}

  private static final String BUILT_IN_PACKAGE = "dev.anvil.compute.kinds";

  /** {@code com.example.Foo (/srv/kinds/foo.jar)}, or {@code dev.anvil.compute.kinds.Primes (built in)}. */
  static String classAndOrigin(Class<?> type) {
    return type.getName() + " (" + origin(type) + ")";
  }

  /** The jar or folder a class was loaded from, or "built in" for Anvil's own kinds. */
  static String origin(Class<?> type) {
    if (type.getPackageName().equals(BUILT_IN_PACKAGE) && type.getClassLoader() == KindMessages.class.getClassLoader()) {
      return "built in";
    }
    Path location = location(type);
    return location == null ? "the class path" : location.toString();
  }

  /** Where a class was loaded from, or null when the JVM does not say. */
  static Path location(Class<?> type) {
    CodeSource source = type.getProtectionDomain().getCodeSource();
    if (source == null || source.getLocation() == null) {
      return null;
    }
    try {
      return Path.of(source.getLocation().toURI());
    } catch (URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      return null;
    }
  }

  /**
   * What went wrong, for a person: a class missing from the jars ({@code NoClassDefFoundError},
   * {@code ClassNotFoundException}) is named as such; anything else as its type and message.
   */
  static String cause(Throwable error) {
    for (Throwable e = error; e != null; e = e.getCause()) {
      String missing = missingClass(e);
      if (missing != null) {
        return "it needs the class " + missing + ", which is neither in its jar nor in Anvil ("
            + e.getClass().getSimpleName() + "; a library a kind uses goes inside the kind's jar)";
      }
    }
    Throwable root = error;
    while ((root instanceof java.lang.reflect.InvocationTargetException || root instanceof ExceptionInInitializerError)
        && root.getCause() != null) {
      root = root.getCause();
    }
    String message = firstLine(root.getMessage());
    return root.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message);
  }

  private static String missingClass(Throwable e) {
    if (!(e instanceof NoClassDefFoundError || e instanceof ClassNotFoundException) || e.getMessage() == null) {
      return null;
    }
    String name = e.getMessage().trim();
    // "Could not initialize class X" is a failed static initializer, not a missing class
    return name.isEmpty() || name.contains(" ") ? null : name.replace('/', '.');
  }

  static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    String line = (nl < 0 ? message : message.substring(0, nl)).strip();
    return line.length() <= 300 ? line : line.substring(0, 300) + "...";
  }
}
