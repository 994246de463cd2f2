package dev.anvil;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/** A real {@code java -jar target/anvil.jar ...} process, with its output kept for assertions. */
public final class NodeProcess implements AutoCloseable {

  private static final Pattern SERVING = Pattern.compile("Anvil node (\\S+) serving https?://[^:]+:(\\d+)");

  /** Every process started in this JVM, for {@link ProcessOutputOnFailure}. */
  private static final List<NodeProcess> STARTED = new CopyOnWriteArrayList<>();

  private final Process process;
  private final String command;
  private final long startedNanos = System.nanoTime();
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Thread reader;

  private final Path dataDir;

  private NodeProcess(Process process, String command, Path dataDir) {
    this.process = process;
    this.dataDir = dataDir;
    this.command = command;
    this.reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException ignored) {
        // the process ended
      }
    }, "anvil-process-output");
    reader.setDaemon(true);
    reader.start();
  }

  public static Path jar() {
    Path jar = Path.of(System.getProperty("anvil.jar", "target/anvil.jar"));
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run 'mvn package' first");
    }
    return jar;
  }

  /** Starts {@code java -jar anvil.jar args...} with the extra environment given. */
  public static NodeProcess start(java.util.Map<String, String> env, String... args) throws IOException {
    return start(env, List.of("-jar", jar().toString()), args);
  }

  /** Starts {@code java -cp anvil.jar:extra... dev.anvil.Main args...}: the jar with a user's kinds beside it. */
  public static NodeProcess startWith(List<Path> extraClassPath, String... args) throws IOException {
    List<String> cp = new ArrayList<>(List.of(jar().toString()));
    extraClassPath.forEach(p -> cp.add(p.toString()));
    return start(java.util.Map.of(), List.of("-cp", String.join(java.io.File.pathSeparator, cp), "dev.anvil.Main"),
        args);
  }

  private static NodeProcess start(java.util.Map<String, String> env, List<String> launch, String... args)
      throws IOException {
    return start(env, List.of(), launch, args);
  }

  /** As {@link #start(java.util.Map, String...)}, under {@code prefix} (e.g. {@code nohup}). */
  public static NodeProcess startUnder(List<String> prefix, java.util.Map<String, String> env, String... args)
      throws IOException {
    return start(env, prefix, List.of("-jar", jar().toString()), args);
  }

  /** As {@link #startUnder}, with JVM options (e.g. {@code -Danvil.launcher.node-up-timeout=20s}) for this JVM. */
  public static NodeProcess startUnder(List<String> prefix, List<String> jvmOptions, java.util.Map<String, String> env,
      String... args) throws IOException {
    List<String> launch = new ArrayList<>(jvmOptions);
    launch.addAll(List.of("-jar", jar().toString()));
    return start(env, prefix, launch, args);
  }

  private static NodeProcess start(java.util.Map<String, String> env, List<String> prefix, List<String> launch,
      String... args) throws IOException {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
    if (args.length > 0 && args[0].equals("node")) {
      // as start gives its nodes (a node is ready in about half the time); a client or the
      // supervisor, which load few classes, would only pay for mapping it
      dev.anvil.launcher.ClassDataArchive.resolve("auto", jar().toString())
          .ifPresent(archive -> command.add("-XX:SharedArchiveFile=" + archive));
    }
    command.addAll(launch);
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    // tests run many nodes on one machine: each takes a free management port unless told otherwise
    builder.environment().put("ANVIL_MANAGEMENT_PORT", "0");
    // ...and cluster ports of its own: tests run two at a time, and start's default (25520 up)
    // would let two supervisors pick the same free ports before either binds them
    builder.environment().put("ANVIL_CLUSTER_PORT", Integer.toString(FreePorts.range(8)));
    // ...and a jobs' database of its own: no test resumes the unfinished jobs of another
    Path dataDir = java.nio.file.Files.createTempDirectory("anvil-test-data");
    builder.environment().put("ANVIL_DATA_DIR", dataDir.toString());
    builder.environment().putAll(env);
    NodeProcess started = new NodeProcess(builder.start(), "anvil " + String.join(" ", args), dataDir);
    STARTED.add(started);
    return started;
  }

  /** The last {@code n} lines of each process started since {@code sinceNanos}, each under a header. */
  static String tailsOfProcessesStartedSince(long sinceNanos, int n) {
    StringBuilder out = new StringBuilder();
    for (NodeProcess p : STARTED) {
      if (p.startedNanos - sinceNanos >= 0) {
        out.append(p.tail(n));
      }
    }
    return out.toString();
  }

  /** A header naming the process and its state, then its last {@code n} lines. */
  public String tail(int n) {
    List<String> all = List.copyOf(lines);
    String state = process.isAlive() ? "alive" : "exited " + process.exitValue();
    StringBuilder out = new StringBuilder("--- pid ").append(process.pid()).append(" (").append(state).append("): ")
        .append(command).append(": last ").append(Math.min(n, all.size())).append(" of ").append(all.size())
        .append(" lines ---\n");
    all.subList(Math.max(0, all.size() - n), all.size()).forEach(l -> out.append(l).append('\n'));
    return out.toString();
  }

  /** The node JVMs this process (a supervisor of {@code start}) runs now. */
  public List<ProcessHandle> nodeJvms() {
    return process.descendants()
        .filter(p -> p.isAlive() && p.info().commandLine().orElse("").contains("dev.anvil.Main node"))
        .toList();
  }

  public Process process() {
    return process;
  }

  /** Waits for the process to end and for all its output to be read; returns its exit status. */
  public int awaitExit() throws InterruptedException {
    int status = process.waitFor();
    reader.join(10_000);
    return status;
  }

  public List<String> lines() {
    return lines;
  }

  /** Waits for a line that matches, and returns it; on a timeout, the failure holds the process's last lines. */
  public String awaitLine(Predicate<String> match, Duration timeout) {
    try {
      return Awaitility.await().atMost(timeout).until(
          () -> lines.stream().filter(match).findFirst().orElse(null), line -> line != null);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("no matching line from pid " + process.pid() + " within " + timeout.toSeconds()
          + " s\n" + tail(ProcessOutputOnFailure.TAIL_LINES), e);
    }
  }

  /** Waits for the node's start-up line; returns {nodeId, httpPort}. */
  public String[] awaitServing(Duration timeout) {
    String line = awaitLine(l -> SERVING.matcher(l).find(), timeout);
    Matcher m = SERVING.matcher(line);
    m.find();
    return new String[] {m.group(1), m.group(2)};
  }

  public String output() {
    return String.join("\n", lines);
  }

  /** SIGTERM, then wait. */
  public boolean stop(Duration timeout) throws InterruptedException {
    process.destroy();
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive() && !stop(Duration.ofSeconds(20))) {
      process.destroyForcibly().waitFor();
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    // the data folder this class made (a test that gives ANVIL_DATA_DIR keeps its own)
    dev.anvil.node.TempFolders.deleteQuietly(dataDir);
  }
}
