package dev.anvil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.ToolProvider;

/**
 * Kind jars for tests, made as a user makes them: Java sources compiled against Anvil's classes,
 * a {@code META-INF/services} file, and a jar.
 */
public final class KindJars {

  public static final String SERVICE_FILE = "META-INF/services/dev.anvil.compute.spi.ComputeTask";

  private final Map<String, String> sources = new LinkedHashMap<>();
  private final List<String> services = new ArrayList<>();
  private final List<String> omitted = new ArrayList<>();
  private String classPath = System.getProperty("java.class.path");
  private boolean serviceFile = true;

  private KindJars() {}

  public static KindJars builder() {
    return new KindJars();
  }

  /**
   * A kind whose input is {@code {"n": int}} and whose result is {@code "<kind>:<n>"}.
   *
   * @param className fully qualified, e.g. {@code com.example.Echo}
   */
  public static String echoKind(String className, String kind) {
    int dot = className.lastIndexOf('.');
    return """
        package %s;

        import dev.anvil.compute.spi.ComputeTask;
        import dev.anvil.compute.spi.TaskContext;

        public final class %s implements ComputeTask<%s.Input, String> {
          public record Input(Integer n) {}
          @Override public String kind() { return "%s"; }
          @Override public String description() { return "echoes n"; }
          @Override public Class<Input> inputType() { return Input.class; }
          @Override public Input exampleInput() { return new Input(1); }
          @Override public void validate(Input in) {}
          @Override public String run(Input in, TaskContext ctx) { return kind() + ":" + in.n(); }
        }
        """.formatted(className.substring(0, dot), className.substring(dot + 1), className.substring(dot + 1), kind);
  }

  /** A Java source file of class {@code className} (fully qualified). */
  public KindJars source(String className, String source) {
    sources.put(className, source);
    return this;
  }

  /** A class the service file lists. */
  public KindJars service(String className) {
    services.add(className);
    return this;
  }

  /** No service file at all (by default there is one, listing the {@link #service} classes). */
  public KindJars withoutServiceFile() {
    serviceFile = false;
    return this;
  }

  /** Leaves a compiled class out of the jar, e.g. {@code com.example.Helper}: a dependency not packaged. */
  public KindJars omit(String className) {
    omitted.add(className.replace('.', '/') + ".class");
    return this;
  }

  /** Compiles against this class path instead of the test's own. */
  public KindJars classPath(String classPath) {
    this.classPath = classPath;
    return this;
  }

  /** Compiles the sources in a scratch folder, and writes the jar. */
  public Path writeTo(Path jar) throws IOException {
    Path work = Files.createTempDirectory("anvil-kind-build");
    try {
      build(work, jar);
    } finally {
      try (Stream<Path> files = Files.walk(work)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    return jar;
  }

  private void build(Path work, Path jar) throws IOException {
    Path src = work.resolve("src");
    Path classes = work.resolve("classes");
    Files.createDirectories(classes);
    List<String> args = new ArrayList<>(List.of("-cp", classPath, "-d", classes.toString(), "-nowarn"));
    for (Map.Entry<String, String> source : sources.entrySet()) {
      Path file = src.resolve(source.getKey().replace('.', '/') + ".java");
      Files.createDirectories(file.getParent());
      Files.writeString(file, source.getValue(), StandardCharsets.UTF_8);
      args.add(file.toString());
    }
    if (!sources.isEmpty()) {
      int status = ToolProvider.getSystemJavaCompiler().run(null, null, null, args.toArray(String[]::new));
      if (status != 0) {
        throw new IllegalStateException("javac failed (" + status + ") on " + sources.keySet());
      }
    }
    for (String path : omitted) {
      Files.delete(classes.resolve(path));
    }
    if (serviceFile) {
      Path services = classes.resolve(SERVICE_FILE);
      Files.createDirectories(services.getParent());
      Files.writeString(services, "# kinds of this jar\n" + String.join("\n", this.services) + "\n",
          StandardCharsets.UTF_8);
    }
    jar(classes, jar);
  }

  /** Every file under {@code root}, into {@code jar}, named by its path under {@code root}. */
  /**
   * The starter project's kind (examples/kind-starter), compiled against target/classes and jarred
   * into {@code work}/kinds/hash-chain.jar, as a user would; returns that kinds folder.
   */
  public static Path starterKindFolder(Path work) throws IOException {
    Path starter = Path.of("examples/kind-starter/src/main");
    Path classes = work.resolve("classes");
    Files.createDirectories(classes);
    int status = javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, null, "-cp", "target/classes",
        "-d", classes.toString(), starter.resolve("java/com/example/kinds/HashChain.java").toString());
    if (status != 0) {
      throw new IllegalStateException("javac of the starter's kind failed: " + status);
    }
    Path services = classes.resolve(SERVICE_FILE);
    Files.createDirectories(services.getParent());
    Files.copy(starter.resolve("resources").resolve(SERVICE_FILE), services);
    Path kinds = work.resolve("kinds");
    jar(classes, kinds.resolve("hash-chain.jar"));
    return kinds;
  }

  /** What the starter's hash-chain kind answers: SHA-256 applied {@code rounds} times to the seed's UTF-8 bytes. */
  public static String hashChain(String seed, int rounds) throws Exception {
    java.security.MessageDigest sha256 = java.security.MessageDigest.getInstance("SHA-256");
    byte[] hash = seed.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int i = 0; i < rounds; i++) {
      hash = sha256.digest(hash);
    }
    return java.util.HexFormat.of().formatHex(hash);
  }

  public static void jar(Path root, Path jar) throws IOException {
    Files.createDirectories(jar.getParent());
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
        Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
        out.putNextEntry(new JarEntry(root.relativize(file).toString().replace('\\', '/')));
        Files.copy(file, out);
        out.closeEntry();
      }
    }
  }
}
